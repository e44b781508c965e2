/**
 * Whether the server is still there, watched on one open socket at a time: a ping every
 * `pingInterval` seconds (on transports that can send one), which a pong or any other frame must
 * follow within `pingTimeout` seconds (else the connection is half-open), and the idle timeout: no
 * data for `idleTimeoutMs` while subscribed (pongs are not data). Either failing hands the error to
 * `dead`. It also keeps, across sockets, when the server was last heard from: a reconnect's gap
 * starts there.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import type { StartConfig } from '../config.js';
import { SocketState, type TransportSocket } from '../transport/transport.js';

export interface HeartbeatHooks {
  /** Whether the idle timeout applies now: the connection is open with a topic subscribed. */
  idleWatched(): boolean;
  /** The connection is dead or idle: end it (a reconnect follows) for `error`. */
  dead(error: PolygonStreamError): void;
}

type Timer = ReturnType<typeof setTimeout>;

export class Heartbeat {
  /** Last time any frame (or pong) arrived, on the current socket or an earlier one; 0: never. */
  lastFrameAt = 0;
  /** Last time a message frame arrived (pongs are not data: the idle timeout ignores them). */
  private lastMessageAt = 0;
  /** The socket watched; undefined once stopped. */
  private ws: TransportSocket | undefined;
  private pingTimer: Timer | undefined;
  private pongTimer: Timer | undefined;
  private idleTimer: Timer | undefined;

  constructor(
    private readonly idleTimeoutMs: number,
    private readonly hooks: HeartbeatHooks,
  ) {}

  /** Watch `ws`, just opened: it counts as heard from now. */
  start(ws: TransportSocket, start: StartConfig): void {
    this.ws = ws;
    this.lastFrameAt = this.lastMessageAt = Date.now();
    // Without ping frames (the standard WebSocket) liveness comes from data: idleTimeoutMs.
    if (start.pingInterval > 0 && ws.canPing) {
      this.pingTimer = setInterval(() => this.ping(ws, start), start.pingInterval * 1000);
    }
    if (this.idleTimeoutMs > 0) {
      this.idleTimer = setInterval(() => this.checkIdle(), Math.max(10, this.idleTimeoutMs / 4));
    }
  }

  /** A message frame arrived at `now` (ms). */
  message(now: number): void {
    this.lastFrameAt = this.lastMessageAt = now;
  }

  /** A pong arrived at `now` (ms). */
  pong(now: number): void {
    this.lastFrameAt = now;
  }

  /** Stop watching (the socket is closing or gone); idempotent. */
  stop(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    clearInterval(this.idleTimer);
    this.pingTimer = this.pongTimer = this.idleTimer = undefined;
    this.ws = undefined;
  }

  private ping(ws: TransportSocket, start: StartConfig): void {
    const sentAt = Date.now();
    ws.ping(start.pingPayload);
    if (this.pongTimer !== undefined) return;
    this.pongTimer = setTimeout(() => {
      this.pongTimer = undefined;
      // Timers run before the loop reads sockets: after a busy stretch the pong may be waiting
      // unread. Decide on the check phase, once pending I/O has been read.
      setImmediate(() => {
        // Any frame since the ping that armed this timer proves the connection alive (a late
        // pong behind data is backlog). Not since the latest ping: with pingTimeout >=
        // pingInterval a ping sent just before this check would count as unanswered.
        if (this.ws !== ws || ws.readyState !== SocketState.Open || this.lastFrameAt >= sentAt)
          return;
        this.hooks.dead(
          new PolygonStreamError(
            ErrorCode.HeartbeatTimeout,
            `No pong or data within ${start.pingTimeout} s of a ping: the connection is dead (half-open); reconnecting`,
            { pingTimeout: start.pingTimeout },
          ),
        );
      });
    }, start.pingTimeout * 1000);
  }

  private checkIdle(): void {
    const idle = Date.now() - this.lastMessageAt;
    if (idle < this.idleTimeoutMs || !this.hooks.idleWatched()) return;
    this.hooks.dead(
      new PolygonStreamError(
        ErrorCode.IdleTimeout,
        `No data for ${idle} ms while subscribed (idleTimeoutMs ${this.idleTimeoutMs}); reconnecting`,
        { idleMs: idle },
      ),
    );
  }
}
