/**
 * One connection to the protocol server: the protocol state machine (connected → authenticated →
 * subscribed), the cap on what a client sends before it has authenticated (a slowed verdict holds
 * what comes meanwhile), delivery of the events its subscriptions cover, the slow-consumer cut-off
 * and its timers. Its subscribe and unsubscribe messages, with their acknowledgements and
 * refusals, are handled in topic-requests.ts. Which keys authenticate and how a topic is answered
 * belong to the server's source (see protocol-server.ts); the server owns routing across sessions.
 */
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { decodeAction, encodeEvents, status, type ClientMessage } from '../protocol/codec.js';
import { isPolygonStreamError } from '../errors.js';
import type { Cluster } from '../protocol/streams.js';
import { MessageLog } from './message-log.js';
import { CloseCode, type SessionHost, type SessionInfo } from './session-host.js';
import { SessionTopics } from './session-topics.js';
import type { SharedFrames } from './shared-frames.js';
import { TopicRequests } from './topic-requests.js';
import { MAX_TIMER_MS } from '../validate.js';

const AUTH_FAILED = 'authentication failed';
/** Every frame the server sends is text, a Buffer (UTF-8) included. */
const TEXT_FRAME = { binary: false };
const DEFLATE = 'permessage-deflate';

export class ServerSession implements SessionInfo {
  apiKey: string | undefined;
  authenticated = false;
  private readonly log: MessageLog;
  /** Messages that came while the key was being checked (slowed down): handled after. */
  private deferred: string[] | undefined;
  /** Bytes received before authentication (framing included), while counted. */
  private unauthenticatedBytes = 0;
  private readonly countBytes = (chunk: Buffer): void => this.counted(chunk.length);
  private readonly topics = new SessionTopics();
  private readonly requests: TopicRequests<ServerSession>;
  private pongsStalled = false;
  private dataPaused = false;
  private closed = false;
  private authTimer: NodeJS.Timeout | undefined;
  private verdictTimer: NodeJS.Timeout | undefined;
  /**
   * The socket, when no compression was negotiated: `ws` then never queues a frame (the server
   * sends no Blobs), so shared frames are written to it directly, already framed.
   */
  private readonly plainSocket: Duplex | undefined;

  /** Whether the client negotiated permessage-deflate. */
  get compressed(): boolean {
    return this.ws.extensions.includes(DEFLATE);
  }

  constructor(
    readonly id: number,
    readonly cluster: Cluster,
    private readonly ws: WebSocket,
    private readonly host: SessionHost<ServerSession>,
    /** The peer's address, for rate limits. */
    readonly remoteAddress = '',
    /** The connection's socket: what it sends before authenticating is counted there. */
    private readonly socket?: Duplex,
  ) {
    this.log = new MessageLog(host.messageLogBytes);
    this.requests = new TopicRequests(this, host, this.topics);
    this.plainSocket = ws.extensions.includes(DEFLATE) ? undefined : socket;
    socket?.on('data', this.countBytes);
    ws.on('message', (data: WebSocket.RawData) => this.handle(rawText(data)));
    ws.on('ping', (data: Buffer) => {
      if (!this.pongsStalled && host.answersPings() && this.isOpen) ws.pong(data);
    });
    ws.on('error', () => this.dispose());
    ws.on('close', () => this.dispose());
    this.authTimer = setTimeout(() => {
      this.authTimer = undefined;
      if (!this.authenticated) {
        this.sendStatus('auth_timeout', 'authentication timed out', {
          code: CloseCode.PolicyViolation,
          reason: 'auth timeout',
        });
      }
    }, host.authTimeoutMs);
    this.sendStatus('connected', 'Connected Successfully');
  }

  get subscriptions(): ReadonlySet<string> {
    return this.topics.spelled;
  }

  /** The most recent messages, within the server's log budget (none on a relay). */
  get received(): readonly ClientMessage[] {
    return this.log.messages;
  }

  /** The canonical keys of the current subscriptions (for routing). */
  get topicKeys(): ReadonlyMap<string, number> {
    return this.topics.keys;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Data is paused on this connection (pauseData). */
  get paused(): boolean {
    return this.dataPaused;
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  /** Events its subscriptions covered that were not sent: it was too far behind, or closing. */
  droppedEvents = 0;
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  // ---- ServerConnection ---------------------------------------------------------------------

  drop(): void {
    this.ws.terminate();
  }

  stallPongs(on = true): void {
    this.pongsStalled = on;
  }

  pauseData(on = true): void {
    this.dataPaused = on;
  }

  sendRaw(text: string): void {
    if (this.isOpen) this.ws.send(text);
  }

  sendStatus(s: string, message: string, close?: { code: number; reason?: string }): void {
    this.sendText(encodeEvents([status(s, message)]));
    if (close) this.closeWith(close.code, close.reason);
  }

  forceDisconnect(message = 'The server has forced this connection to close.'): void {
    this.sendStatus('force_disconnect', message, {
      code: CloseCode.GoingAway,
      reason: 'force disconnect',
    });
  }

  // ---- server side --------------------------------------------------------------------------

  /** Evicted by a newer connection on the same cluster and key. */
  evict(message: string): void {
    this.sendStatus('max_connections', message, {
      code: CloseCode.PolicyViolation,
      reason: 'max connections',
    });
  }

  /**
   * Send the events of a published batch this session is subscribed to, as one frame (shared with
   * every session holding the same topic keys). Returns how many were sent.
   */
  deliver(frames: SharedFrames, data: boolean): number {
    if (!this.authenticated || (data && this.dataPaused) || this.topics.spelled.size === 0)
      return 0;
    const frame = frames.for(this.topics);
    if (frame === undefined) return 0;
    if (this.writable()) {
      // Without compression `ws` writes every frame to the socket at once, in order: so can this.
      if (this.plainSocket) this.plainSocket.write(frame.wire);
      else this.ws.send(frame.payload, TEXT_FRAME);
      return frame.events;
    }
    this.droppedEvents += frame.events;
    return 0;
  }

  /** Send a frame unless the client is too far behind, in which case it is cut off. */
  sendText(text: string): boolean {
    if (!this.writable()) return false;
    this.ws.send(text);
    return true;
  }

  /** Open and not too far behind (else cut off now). */
  private writable(): boolean {
    if (!this.isOpen) return false;
    if (this.ws.bufferedAmount > this.host.slowConsumerBytes) {
      this.slowConsumer();
      return false;
    }
    return true;
  }

  /** Close the socket now (server shutdown). */
  terminate(): void {
    this.dispose();
    this.ws.terminate();
  }

  /** Stop every timer of this session; idempotent. The server is told once. */
  dispose(): void {
    this.stopTimers();
    this.socket?.off('data', this.countBytes);
    if (this.closed) return;
    this.closed = true;
    this.host.onClose(this);
  }

  // ---- protocol -----------------------------------------------------------------------------

  private handle(text: string): void {
    if (this.closed) return;
    if (this.deferred !== undefined) {
      this.deferred.push(text);
      return;
    }
    // A compressed message can inflate far beyond what was counted on the wire.
    if (!this.authenticated && text.length > this.host.maxUnauthenticatedBytes) {
      this.tooMuchBeforeAuth();
      return;
    }
    let msg: ClientMessage;
    try {
      msg = decodeAction(text);
    } catch (err) {
      const reason = isPolygonStreamError(err) ? String(err.details.reason) : 'unreadable message';
      this.sendStatus('error', `invalid message: ${reason}`);
      return;
    }
    this.log.push(msg);
    switch (msg.action) {
      case 'auth':
        this.auth(msg.params);
        break;
      case 'subscribe':
      case 'unsubscribe':
        if (this.authenticated) this.requests.handle(msg.action, msg.params);
        else this.sendStatus('auth_required', 'authentication required');
        break;
      default:
        this.sendStatus('error', `unknown action: ${String(msg.action)}`);
    }
    this.host.onMessage(this, msg);
  }

  private auth(key: string): void {
    if (this.authenticated) {
      this.sendStatus('error', 'already authenticated');
      return;
    }
    this.apiKey = key;
    const verdict = key.length > 0 ? this.host.policy.authenticate(key, this) : false;
    const { ok, delayMs } = typeof verdict === 'boolean' ? { ok: verdict, delayMs: 0 } : verdict;
    if (!(delayMs > 0)) {
      this.authenticate(ok);
      return;
    }
    // The answer comes later; what the client sends meanwhile waits for it.
    this.deferred = [];
    this.verdictTimer = setTimeout(
      () => {
        this.verdictTimer = undefined;
        const waiting = this.deferred ?? [];
        this.deferred = undefined;
        this.authenticate(ok);
        for (const text of waiting) this.handle(text);
      },
      Math.min(delayMs, MAX_TIMER_MS),
    );
  }

  private authenticate(ok: boolean): void {
    if (this.closed) return;
    if (!ok) {
      this.sendStatus('auth_failed', AUTH_FAILED, {
        code: CloseCode.PolicyViolation,
        reason: AUTH_FAILED,
      });
      return;
    }
    const refusal = this.host.admit(this);
    if (refusal !== undefined) {
      this.sendStatus('max_connections', refusal, {
        code: CloseCode.PolicyViolation,
        reason: 'max connections',
      });
      return;
    }
    this.authenticated = true;
    this.socket?.off('data', this.countBytes);
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    this.sendStatus('auth_success', 'authenticated');
    this.host.onAuthenticated(this);
  }

  /** Bytes arrived before authentication: past the server's budget, the client is cut off. */
  private counted(bytes: number): void {
    if (this.authenticated || this.closed) return;
    this.unauthenticatedBytes += bytes;
    if (this.unauthenticatedBytes > this.host.maxUnauthenticatedBytes) this.tooMuchBeforeAuth();
  }

  private tooMuchBeforeAuth(): void {
    const limit = this.host.maxUnauthenticatedBytes;
    const text = encodeEvents([
      status('error', `too much data before authentication (more than ${limit} bytes)`),
    ]);
    // Nothing more is read; the refusal is written, then the socket goes.
    this.socket?.pause();
    if (this.isOpen) this.ws.send(text, () => this.ws.terminate());
    else this.ws.terminate();
    this.dispose();
  }

  // ---- transport ----------------------------------------------------------------------------

  private slowConsumer(): void {
    // Best effort: the client is not reading, so this status most likely never arrives.
    this.ws.send(
      encodeEvents([status('slow_consumer', 'slow consumer: too many messages buffered')]),
    );
    this.stopTimers();
    this.ws.terminate();
    this.host.onSlowConsumer(this);
  }

  private closeWith(code: number, reason = ''): void {
    this.stopTimers();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, reason);
    }
  }

  private stopTimers(): void {
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    clearTimeout(this.verdictTimer);
    this.verdictTimer = undefined;
    this.deferred = undefined;
    this.requests.stop();
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
