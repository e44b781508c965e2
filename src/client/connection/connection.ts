/**
 * The connection state machine: one socket at a time, authentication, server statuses and
 * reconnects, with the heartbeat (heartbeat.ts) watching each open socket. State changes go
 * through `transition` (the legal ones are in connection-state.ts); every timer is a named field
 * here or in the heartbeat, armed in one place and cleared in `clearTimers`. The client above it
 * decodes frames and owns subscriptions; the socket below it is a transport (transport.ts): `ws`,
 * or the runtime's standard WebSocket.
 */
import { encodeAction } from '../../protocol/codec.js';
import type { ClientConfig, StartConfig } from '../config.js';
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import type { Logger } from '../logger.js';
import { Backoff } from './backoff.js';
import type { StatusVerdict } from '../../protocol/statuses.js';
import { redactText } from '../../redact.js';
import { connectionFailed, firstConnectError } from '../transport/socket-errors.js';
import { SocketState, type Transport, type TransportSocket } from '../transport/transport.js';
import { pickTransport } from '../transport/transports.js';
import { checkTransition, type ConnectionState } from './connection-state.js';
import { Heartbeat } from './heartbeat.js';

export type { ConnectionState } from './connection-state.js';

/** The verdicts the connection acts on. */
export type ConnectionVerdict = Exclude<StatusVerdict, { kind: 'ack' | 'refusal' }>;

export interface ReconnectInfo {
  attempt: number;
  delayMs: number;
  cause: PolygonStreamError;
}

export interface ConnectionHooks {
  /** Every text frame, after liveness bookkeeping. */
  frame(raw: string, now: number): void;
  /**
   * auth_success: `since` is when the previous connection last heard from the server, `lostAt`
   * when it was found lost.
   */
  authenticated(reconnect: { since: number; lostAt: number } | undefined): void;
  /** The socket is gone (a reconnect may follow). */
  disconnected(): void;
  state(next: ConnectionState, prev: ConnectionState): void;
  reconnecting(info: ReconnectInfo): void;
  error(error: PolygonStreamError): void;
  /** The stream closed for good. */
  closed(code: number, reason: string, error: PolygonStreamError | undefined): void;
  /** Whether any topic is subscribed (for the idle timeout). */
  subscribed(): boolean;
}

const CLOSE_GRACE_MS = 2_000;

type Timer = ReturnType<typeof setTimeout>;

export class Connection {
  private current: ConnectionState = 'idle';
  private ws: TransportSocket | undefined;
  private readonly transport: Transport;
  private start: StartConfig | undefined;
  private readonly backoff: Backoff | undefined;
  private everAuthenticated = false;
  /** Before the first auth_success: the last failure, and whether the first one was reported. */
  private firstFailure: { last: PolygonStreamError; attempts: number } | undefined;
  /** When the last connection was found lost (its socket closed), ms. */
  private lostAt = 0;
  /** When the previous connection last heard from the server (the start of a gap). */
  private disconnectedSince = 0;
  /** The last status the server sent on this socket (logged with the close). */
  private lastStatus = '';
  /** Liveness of the open socket (pings, idle timeout), and when the server was last heard. */
  private readonly heartbeat: Heartbeat;
  private readonly closeWaiters: (() => void)[] = [];
  /** Why the current socket is going away, decided before its close event arrives. */
  private closeCause: { error: PolygonStreamError; fatal: boolean; delayMs?: number } | undefined;

  private reconnectTimer: Timer | undefined;
  private authTimer: Timer | undefined;
  private stableTimer: Timer | undefined;
  private closeTimer: Timer | undefined;
  /** Bounds a client that was never connected (firstConnectTimeoutMs); outlives each socket. */
  private firstConnectTimer: Timer | undefined;

  constructor(
    private readonly config: ClientConfig,
    private readonly log: Logger,
    private readonly hooks: ConnectionHooks,
  ) {
    this.backoff = config.reconnect ? new Backoff(config.reconnect) : undefined;
    this.transport = pickTransport(config.transport);
    this.heartbeat = new Heartbeat(config.idleTimeoutMs, {
      idleWatched: () => this.current === 'open' && hooks.subscribed(),
      dead: (error) => this.drop(error, false),
    });
  }

  get state(): ConnectionState {
    return this.current;
  }

  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  open(start: StartConfig): void {
    this.start = start;
    if (Number.isFinite(this.config.firstConnectTimeoutMs)) {
      this.firstConnectTimer = setTimeout(
        () => this.firstConnectExpired(),
        this.config.firstConnectTimeoutMs,
      );
    }
    this.connect();
  }

  /** Send a client message; false when there is no open socket. */
  send(action: 'subscribe' | 'unsubscribe', params: string): boolean {
    const ws = this.ws;
    if (this.current !== 'open' || ws === undefined || ws.readyState !== SocketState.Open)
      return false;
    this.log.debug(`send ${action}`, { params });
    ws.send(encodeAction(action, params));
    return true;
  }

  /** Close gracefully; resolves once closed. */
  close(code = 1000, reason = 'closed by client'): Promise<void> {
    if (this.current === 'closed') return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    if (this.current === 'closing') return closed;
    const ws = this.ws;
    if (ws === undefined || ws.readyState === SocketState.Closed) {
      this.finish(code, reason, undefined);
      return closed;
    }
    this.transition('closing');
    this.clearTimers();
    this.log.info('closing', { code, reason });
    this.closeTimer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    if (ws.readyState === SocketState.Connecting) ws.terminate();
    else ws.close(code, reason);
    return closed;
  }

  /** Act on a server status about the connection itself (acks and refusals are the client's). */
  status(verdict: ConnectionVerdict): void {
    this.lastStatus = `${verdict.status}: ${verdict.text}`;
    switch (verdict.kind) {
      case 'log':
        return this.log.info(`server status ${verdict.status}`, { message: verdict.text });
      case 'authenticated':
        return this.authenticated();
      case 'report':
        return this.hooks.error(verdict.error);
      case 'end':
        if (verdict.report) this.hooks.error(verdict.error);
        return this.drop(verdict.error, verdict.fatal, verdict.delayMs);
    }
  }

  private connect(): void {
    const start = this.start!;
    this.transition('connecting');
    this.log.info('connecting', { url: this.config.url });
    const ws: TransportSocket = this.transport(
      this.config.url,
      {
        compression: this.config.compression,
        maxFrameBytes: this.config.maxFrameBytes,
        skipUtf8Validation: start.skipUtf8Validation,
        handshakeTimeoutMs: this.config.authTimeoutMs,
        ws: this.config.ws,
      },
      {
        open: () => this.ws === ws && this.opened(ws),
        message: (text) => {
          if (this.ws !== ws) return;
          const now = Date.now();
          this.heartbeat.message(now);
          this.hooks.frame(text, now);
        },
        pong: () => {
          if (this.ws === ws) this.heartbeat.pong(Date.now());
        },
        error: (err) => {
          if (this.ws !== ws || this.closeCause) return;
          this.closeCause = { error: connectionFailed(err, this.config), fatal: false };
        },
        close: (code, reason) => this.ws === ws && this.socketClosed(code, reason),
      },
    );
    this.ws = ws;
    this.closeCause = undefined;
  }

  private opened(ws: TransportSocket): void {
    this.transition('authenticating');
    this.log.info('open; sending auth');
    ws.send(encodeAction('auth', this.config.apiKey));
    this.authTimer = setTimeout(
      () =>
        this.drop(
          new PolygonStreamError(
            ErrorCode.AuthTimeout,
            `No answer to auth within ${this.config.authTimeoutMs} ms`,
          ),
          false,
        ),
      this.config.authTimeoutMs,
    );
    this.heartbeat.start(ws, this.start!);
  }

  private authenticated(): void {
    if (this.current !== 'authenticating') return;
    clearTimeout(this.authTimer);
    clearTimeout(this.firstConnectTimer);
    this.authTimer = this.firstConnectTimer = this.firstFailure = undefined;
    const reconnect = this.everAuthenticated
      ? { since: this.disconnectedSince, lostAt: this.lostAt }
      : undefined;
    this.everAuthenticated = true;
    this.transition('open');
    this.log.info('authenticated');
    if (this.backoff && this.config.reconnect) {
      this.stableTimer = setTimeout(
        () => this.backoff!.reset(),
        this.config.reconnect.stableAfterMs,
      );
    }
    this.hooks.authenticated(reconnect);
  }

  /** End the current socket for `error`; fatal errors end the stream, others reconnect. */
  private drop(error: PolygonStreamError, fatal: boolean, delayMs?: number): void {
    const ws = this.ws;
    if (this.closeCause === undefined)
      this.closeCause = { error, fatal, ...(delayMs === undefined ? {} : { delayMs }) };
    this.log.warn(error.message, { code: error.code });
    if (ws === undefined) return;
    // A heartbeat timeout means the peer is gone (half-open): a close handshake would only wait
    // out the grace period, so cut the socket at once.
    if (ws.readyState === SocketState.Open && error.code !== ErrorCode.HeartbeatTimeout) {
      ws.close(fatal ? 1000 : 4000, error.code);
      this.closeTimer ??= setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    } else ws.terminate();
  }

  private socketClosed(code: number, rawReason: string): void {
    // The close reason is server text, quoted in errors and passed to onClose: mask the key.
    const reason = redactText(rawReason, this.config.apiKey);
    this.clearTimers();
    this.lostAt = Date.now();
    this.disconnectedSince = this.heartbeat.lastFrameAt || this.lostAt;
    this.log.info('socket closed', { code, reason, lastStatus: this.lastStatus });
    this.lastStatus = '';
    this.hooks.disconnected();
    const cause = this.closeCause;
    this.closeCause = undefined;
    if (this.current === 'closing') return this.finish(code, reason, undefined);
    if (cause?.fatal) return this.finish(code, reason, cause.error);
    const error =
      cause?.error ??
      new PolygonStreamError(
        ErrorCode.ConnectionClosed,
        `Connection closed by the server (code ${code}${reason ? `, "${reason}"` : ''})`,
        {
          closeCode: code,
          reason,
        },
      );
    this.scheduleReconnect(error, cause?.delayMs, { code, reason });
  }

  private scheduleReconnect(
    cause: PolygonStreamError,
    fixedDelay: number | undefined,
    closed: { code: number; reason: string },
  ): void {
    const delay = fixedDelay ?? this.backoff?.next();
    if (delay === undefined) {
      const error = this.backoff
        ? new PolygonStreamError(
            ErrorCode.ReconnectExhausted,
            `Gave up after ${this.backoff.attempt} reconnect attempts; last cause: ${cause.message}`,
            { attempts: this.backoff.attempt, lastCode: cause.code },
            { cause },
          )
        : cause;
      // Without reconnects (as in the Python library) onClose gets the socket's own close code.
      if (!this.backoff) return this.finish(closed.code, closed.reason || cause.message, error);
      return this.finish(1006, cause.message, error);
    }
    if (!this.everAuthenticated) {
      // Never connected: most likely a wrong host or key. Say so at once, not at the last attempt.
      if (this.firstFailure === undefined) this.hooks.error(cause);
      this.firstFailure = { last: cause, attempts: (this.firstFailure?.attempts ?? 0) + 1 };
    }
    this.transition('reconnecting');
    const attempt = this.backoff?.attempt ?? 0;
    this.log.info(`reconnecting in ${delay} ms`, { attempt, cause: cause.code });
    this.hooks.reconnecting({ attempt, delayMs: delay, cause });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  /** firstConnectTimeoutMs passed without an auth_success: end the stream with the last cause. */
  private firstConnectExpired(): void {
    this.firstConnectTimer = undefined;
    if (this.current === 'closing' || this.current === 'closed') return;
    const failed = this.firstFailure?.attempts ?? 0;
    const attempts = failed + (this.current === 'reconnecting' ? 0 : 1);
    const { url, firstConnectTimeoutMs } = this.config;
    const error = firstConnectError(url, firstConnectTimeoutMs, attempts, this.firstFailure?.last);
    if (this.ws === undefined || this.ws.readyState === SocketState.Closed)
      return this.finish(1006, error.message, error);
    this.closeCause = undefined;
    this.drop(error, true);
  }

  private finish(code: number, reason: string, error: PolygonStreamError | undefined): void {
    if (this.current === 'closed') return;
    clearTimeout(this.firstConnectTimer);
    this.firstConnectTimer = undefined;
    this.clearTimers();
    this.ws?.mute();
    this.ws = undefined;
    this.transition('closed');
    this.log.info('closed', { code, reason });
    if (error) this.hooks.error(error);
    this.hooks.closed(code, reason, error);
    for (const resolve of this.closeWaiters.splice(0)) resolve();
  }

  private transition(next: ConnectionState): void {
    const prev = this.current;
    checkTransition(prev, next);
    this.current = next;
    this.hooks.state(next, prev);
  }

  private clearTimers(): void {
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.authTimer);
    clearTimeout(this.stableTimer);
    clearTimeout(this.closeTimer);
    this.heartbeat.stop();
    this.reconnectTimer = this.authTimer = this.stableTimer = this.closeTimer = undefined;
  }
}
