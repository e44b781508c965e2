/**
 * The protocol server: the provider's WebSocket protocol spoken downstream, shared by the simulator
 * (a generated or replayed market behind it) and the relay (upstream StreamClients behind it).
 * HTTP (or HTTPS) listener, routing of `/CLUSTER` upgrades (404 otherwise), the connection
 * registry (with optional eviction of an older connection on the same cluster and key), the limits
 * on connections that have not authenticated yet, waiters, delivery of events to the sessions
 * whose subscriptions cover them, and shutdown. Which keys authenticate, which requests are
 * refused and how each topic is answered come from a `ProtocolSource`; each connection lives in
 * server-session.ts.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientMessage, WireEvent } from '../protocol/codec.js';
import { CLUSTERS, type Cluster } from '../protocol/streams.js';
import { clusterOfEvent, eventKey } from '../protocol/symbols.js';
import { ServerSession } from './server-session.js';
import { CloseCode, type SessionHost, type SessionPolicy } from './session-host.js';
import { ConnectionWaiters } from './connection-waiters.js';
import { SharedFrames } from './shared-frames.js';
import type { ProtocolServerEvents, ServerConnection } from './server-connection.js';

/**
 * What stands behind the protocol server: who may connect and how topics are answered (the
 * sessions' policy), plus optional limits and hooks.
 */
export interface ProtocolSource extends SessionPolicy {
  /**
   * Refuse a connection that just authenticated: the text of the `max_connections` status it gets
   * before closing. Connections still authenticating are not counted here (see
   * `maxUnauthenticated`).
   */
  admit?(session: ServerSession): string | undefined;
  /** Refuse an HTTP request or WebSocket upgrade (403): why, or undefined to let it through. */
  refuseRequest?(req: IncomingMessage): string | undefined;
  replyDelayMs?(): number;
  answersPings?(): boolean;
  authenticated?(session: ServerSession): void;
  subscriptionChanged?(session: ServerSession, action: 'subscribe' | 'unsubscribe'): void;
  slowConsumer?(session: ServerSession): void;
  closed?(session: ServerSession): void;
  /** False while new connections are refused (an outage): upgrades get 503. Default true. */
  accepts?(): boolean;
  /** A plain HTTP request (not an upgrade): true when the source answered it. */
  request?(req: IncomingMessage, res: ServerResponse): boolean;
}

export interface ProtocolServerOptions {
  source: ProtocolSource;
  /** Clusters served (other paths get 404). Default: all. */
  clusters?: readonly Cluster[];
  authTimeoutMs: number;
  /** `bufferedAmount` above this when sending → `slow_consumer` and close. */
  slowConsumerBytes: number;
  /** Set: one connection per cluster and key; a newer one evicts the older with this text. */
  evictionMessage?: string;
  /** Largest message a client may send once authenticated, bytes (after inflation); 1 MiB. */
  maxMessageBytes?: number;
  /** Bytes a client may send before it has authenticated, framing included; 16 KiB. */
  maxUnauthenticatedBytes?: number;
  /**
   * Connections that have not authenticated yet, at most; 128. A new one beyond closes the oldest
   * of the address holding the most, so idle sockets never keep a client out.
   */
  maxUnauthenticated?: number;
  /** Bytes of each connection's recent messages kept in `received`; 0 (none). */
  messageLogBytes?: number;
  /** PEM certificate and key: the server speaks `wss://` (and `https://`). */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** The limits a protocol server applies unless told otherwise. */
export const SERVER_LIMITS = {
  maxMessageBytes: 1024 * 1024,
  maxUnauthenticatedBytes: 16 * 1024,
  maxUnauthenticated: 128,
};

/** HTTP timeouts: a request (or upgrade) must arrive whole within these. */
const HTTP_TIMEOUTS = {
  headersTimeout: 10_000,
  requestTimeout: 15_000,
  connectionsCheckingInterval: 1_000,
};

const WAIT_FOR_TIMEOUT_MS = 5_000;

export class ProtocolServer
  extends EventEmitter<ProtocolServerEvents>
  implements SessionHost<ServerSession>
{
  readonly authTimeoutMs: number;
  readonly slowConsumerBytes: number;
  readonly maxUnauthenticatedBytes: number;
  readonly messageLogBytes: number;
  /** Who may connect and how topics are answered: the source itself. */
  readonly policy: SessionPolicy;
  private readonly source: ProtocolSource;
  private readonly clusters: readonly Cluster[];
  private readonly evictionMessage: string | undefined;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<ServerSession>();
  /** Sessions not authenticated yet, oldest first. */
  private readonly unauthenticated = new Set<ServerSession>();
  private readonly maxUnauthenticated: number;
  private readonly tls: boolean;
  /** `cluster \0 apiKey` → the authenticated session holding that slot (with eviction). */
  private readonly accounts = new Map<string, ServerSession>();
  private readonly waiters = new ConnectionWaiters(() => this.connections());
  private nextId = 1;
  private boundPort = 0;
  private boundHost = '127.0.0.1';
  private closing: Promise<void> | undefined;

  constructor(options: ProtocolServerOptions) {
    super();
    this.source = options.source;
    this.policy = options.source;
    this.clusters = options.clusters ?? CLUSTERS;
    this.authTimeoutMs = options.authTimeoutMs;
    this.slowConsumerBytes = options.slowConsumerBytes;
    this.evictionMessage = options.evictionMessage;
    this.maxUnauthenticatedBytes =
      options.maxUnauthenticatedBytes ?? SERVER_LIMITS.maxUnauthenticatedBytes;
    this.maxUnauthenticated = options.maxUnauthenticated ?? SERVER_LIMITS.maxUnauthenticated;
    this.messageLogBytes = options.messageLogBytes ?? 0;
    this.tls = options.tls !== undefined;
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      const refusal = this.source.refuseRequest?.(req);
      if (refusal !== undefined) {
        res.writeHead(403, { Connection: 'close', 'Content-Type': 'text/plain' }).end(refusal);
        return;
      }
      if (this.source.request?.(req, res)) return;
      res.writeHead(this.clusterOf(req) ? 426 : 404, { Connection: 'close' }).end();
    };
    this.http = options.tls
      ? createTlsServer(
          { ...HTTP_TIMEOUTS, cert: options.tls.cert, key: options.tls.key },
          onRequest,
        )
      : createServer(HTTP_TIMEOUTS, onRequest);
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    this.http.on('clientError', (_err, socket: Duplex) => socket.destroy());
    this.wss = new WebSocketServer({
      noServer: true,
      autoPong: false,
      perMessageDeflate: true,
      maxPayload: options.maxMessageBytes ?? SERVER_LIMITS.maxMessageBytes,
    });
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.http.once('error', onError);
      this.http.listen(port, host, () => {
        this.http.off('error', onError);
        const address = this.http.address() as AddressInfo;
        this.boundPort = address.port;
        this.boundHost = host;
        resolve();
      });
    });
  }

  get port(): number {
    return this.boundPort;
  }

  /** Where a client on this machine connects: a wildcard bind is reached through loopback. */
  get url(): string {
    let host = this.boundHost;
    if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
    else if (host === '::') host = '[::1]';
    else if (host.includes(':')) host = `[${host}]`;
    return `${this.tls ? 'wss' : 'ws'}://${host}:${this.boundPort}`;
  }

  /** The address and port actually bound (`0.0.0.0` for every IPv4 interface). */
  get address(): AddressInfo {
    return this.http.address() as AddressInfo;
  }

  /** Connections still authenticating (closing ones excluded). */
  get connecting(): number {
    return this.unauthenticated.size;
  }

  connections(): ServerSession[] {
    return [...this.sessions].filter((s) => !s.isClosed);
  }

  waitFor(
    predicate: (c: ServerConnection) => boolean,
    timeoutMs = WAIT_FOR_TIMEOUT_MS,
  ): Promise<ServerConnection> {
    return this.waiters.waitFor(predicate, timeoutMs);
  }

  /**
   * Send events of one cluster to every session there whose subscriptions cover them (one frame
   * per session, filtered and encoded once per distinct topic set: shared-frames.ts). `data`
   * events are held back from sessions with paused data; `raw` is the events already encoded,
   * forwarded as they are to a session that gets all of them. Returns the number of events
   * delivered.
   */
  publish(cluster: string, events: readonly WireEvent[], data: boolean, raw?: string): number {
    const frames = new SharedFrames(
      events,
      events.map((e) => eventKey(cluster, e)),
      raw,
    );
    let delivered = 0;
    for (const s of this.sessions) {
      if (s.cluster === cluster) delivered += s.deliver(frames, data);
    }
    return delivered;
  }

  /** Route events of any cluster (a recording) to the sessions subscribed to them. */
  route(events: readonly WireEvent[]): void {
    const clusters = events.map((e) => clusterOfEvent(e));
    const byCluster = new Map<string, SharedFrames>();
    for (const s of this.sessions) {
      let frames = byCluster.get(s.cluster);
      if (frames === undefined) {
        const own = events.map((e, i) =>
          clusters[i] === s.cluster ? eventKey(s.cluster, e) : undefined,
        );
        frames = new SharedFrames(events, own);
        byCluster.set(s.cluster, frames);
      }
      s.deliver(frames, true);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- SessionHost --------------------------------------------------------------------------

  replyDelayMs(): number {
    return this.source.replyDelayMs?.() ?? 0;
  }

  answersPings(): boolean {
    return this.source.answersPings?.() ?? true;
  }

  admit(session: ServerSession): string | undefined {
    return this.source.admit?.(session);
  }

  onAuthenticated(session: ServerSession): void {
    this.unauthenticated.delete(session);
    if (this.evictionMessage !== undefined) {
      const account = `${session.cluster}\u0000${session.apiKey ?? ''}`;
      const older = this.accounts.get(account);
      if (older && older !== session && !older.isClosed) older.evict(this.evictionMessage);
      this.accounts.set(account, session);
    }
    this.source.authenticated?.(session);
    this.emit('authenticated', session);
    this.waiters.notify();
  }

  onMessage(session: ServerSession, msg: ClientMessage): void {
    this.emit('message', session, msg);
    this.waiters.notify();
  }

  onSubscriptionChange(session: ServerSession, action: 'subscribe' | 'unsubscribe'): void {
    this.source.subscriptionChanged?.(session, action);
  }

  onSlowConsumer(session: ServerSession): void {
    this.source.slowConsumer?.(session);
  }

  onClose(session: ServerSession): void {
    this.sessions.delete(session);
    this.unauthenticated.delete(session);
    const account = `${session.cluster}\u0000${session.apiKey ?? ''}`;
    if (this.accounts.get(account) === session) this.accounts.delete(account);
    this.source.closed?.(session);
    this.emit('close', session);
    this.waiters.notify();
  }

  // ---- internals ----------------------------------------------------------------------------

  private clusterOf(req: IncomingMessage): Cluster | undefined {
    const path = new URL(req.url ?? '/', 'http://server').pathname.replace(/\/+$/, '');
    return this.clusters.find((c) => path === `/${c}`);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const refusal = this.source.refuseRequest?.(req);
    if (refusal !== undefined) {
      const body = Buffer.from(refusal, 'utf8');
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${refusal}`,
      );
      return;
    }
    const cluster = this.clusterOf(req);
    if (!cluster || this.closing) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.source.accepts?.() === false) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (this.closing) {
        ws.terminate();
        return;
      }
      const session = new ServerSession(
        this.nextId++,
        cluster,
        ws,
        this,
        req.socket.remoteAddress ?? '',
        socket,
      );
      if (session.isClosed) return;
      this.sessions.add(session);
      this.unauthenticated.add(session);
      if (this.unauthenticated.size > this.maxUnauthenticated) this.makeRoom();
      this.emit('connection', session);
      this.waiters.notify();
    });
  }

  /**
   * Too many connections are waiting to authenticate: the oldest of the address holding the most
   * goes, so one busy neighbour (or a flood of idle sockets) closes its own connections first.
   */
  private makeRoom(): void {
    const count = new Map<string, number>();
    let busiest = '';
    let most = 0;
    for (const s of this.unauthenticated) {
      const n = (count.get(s.remoteAddress) ?? 0) + 1;
      count.set(s.remoteAddress, n);
      if (n > most) [busiest, most] = [s.remoteAddress, n];
    }
    for (const s of this.unauthenticated) {
      if (s.remoteAddress !== busiest) continue;
      this.unauthenticated.delete(s);
      s.sendStatus(
        'error',
        `too many connections waiting to authenticate (${this.maxUnauthenticated}); the oldest is closed`,
        { code: CloseCode.PolicyViolation, reason: 'too many unauthenticated' },
      );
      return;
    }
  }

  private async shutdown(): Promise<void> {
    this.waiters.close();
    for (const s of [...this.sessions]) s.terminate();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }
}
