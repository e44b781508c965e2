/**
 * The simulator's server: HTTP listener, routing of `/CLUSTER` upgrades (404 otherwise), the
 * connection registry (one connection per cluster and API key), publish(), replay routing, waiters
 * and shutdown. Each connection's protocol lives in session.ts.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { type ClientMessage, isWireEvent, type WireEvent } from '../protocol/codec.js';
import { CLUSTERS, type Cluster } from '../protocol/streams.js';
import { Session, type SessionHost } from './session.js';
import { Replayer } from './replay.js';
import { clusterOfEvent, eventKey } from '../protocol/symbols.js';
import type {
  SimConnection,
  Simulator,
  SimulatorEvents,
  SimulatorFaults,
  SimulatorOptions,
} from './types.js';
import { Universe } from './universe.js';
import {
  duration,
  fn,
  integer,
  invalidOption,
  number,
  oneOf,
  plainObject,
  string,
} from '../validate.js';

export const DEFAULT_MAX_CONNECTIONS_MESSAGE =
  'Maximum number of websocket connections exceeded. You have reached the connection limit for your account.';

const DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  eventsPerSecond: 200,
  seed: 1,
  tickMs: 50,
  authTimeoutMs: 10_000,
  slowConsumerBytes: 4 * 1024 * 1024,
  waitForTimeoutMs: 5_000,
};

interface Waiter {
  predicate: (c: SimConnection) => boolean;
  resolve: (c: SimConnection) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export async function startSimulator(given: SimulatorOptions = {}): Promise<Simulator> {
  const options = plainObject<SimulatorOptions>('startSimulator', 'options', given);
  const sim = new SimulatorServer(options);
  await sim.listen(options.port ?? DEFAULTS.port, options.host ?? DEFAULTS.host);
  return sim;
}

class SimulatorServer extends EventEmitter<SimulatorEvents> implements Simulator, SessionHost {
  readonly faults: SimulatorFaults = {
    ackDelayMs: 0,
    silentTopics: new Set(),
    rejectTopics: new Map(),
    stallPongs: false,
  };
  readonly universe: Universe;
  readonly apiKeys: 'any' | readonly string[];
  readonly authTimeoutMs: number;
  readonly slowConsumerBytes: number;
  readonly tickMs: number;
  readonly windowScale: number;
  readonly generating: boolean;
  private eps: number;
  private readonly maxConnectionsMessage: string;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<Session>();
  /** `cluster \0 apiKey` → the authenticated session holding that slot. */
  private readonly accounts = new Map<string, Session>();
  private readonly waiters = new Set<Waiter>();
  private readonly replayer: Replayer | undefined;
  private nextId = 1;
  private boundPort = 0;
  private boundHost = DEFAULTS.host;
  private closing: Promise<void> | undefined;

  constructor(options: SimulatorOptions) {
    super();
    const where = 'startSimulator';
    if (options.port !== undefined) integer(where, 'port', options.port, { max: 65_535 });
    if (options.eventsPerSecond !== undefined) {
      number(where, 'eventsPerSecond', options.eventsPerSecond, { max: 10_000_000 });
    }
    if (options.tickMs !== undefined) duration(where, 'tickMs', options.tickMs, { min: 1 });
    if (options.authTimeoutMs !== undefined) {
      duration(where, 'authTimeoutMs', options.authTimeoutMs, { min: 1 });
    }
    if (options.slowConsumerBytes !== undefined) {
      integer(where, 'slowConsumerBytes', options.slowConsumerBytes);
    }
    if (options.seed !== undefined) {
      number(where, 'seed', options.seed, { min: -Number.MAX_VALUE });
    }
    if (options.maxConnectionsMessage !== undefined) {
      string(where, 'maxConnectionsMessage', options.maxConnectionsMessage);
    }
    if (options.replay !== undefined) plainObject(where, 'replay', options.replay);
    if (options.windowScale !== undefined) {
      number(where, 'windowScale', options.windowScale, { min: 0.000001, max: 1 });
    }
    const keys = options.apiKeys ?? 'any';
    if (keys !== 'any' && !(Array.isArray(keys) && keys.every((k) => typeof k === 'string'))) {
      throw invalidOption(where, 'apiKeys', "'any' or an array of strings", keys);
    }
    this.apiKeys = keys;
    this.eps = options.eventsPerSecond ?? DEFAULTS.eventsPerSecond;
    this.tickMs = options.tickMs ?? DEFAULTS.tickMs;
    this.windowScale = options.windowScale ?? 1;
    this.authTimeoutMs = options.authTimeoutMs ?? DEFAULTS.authTimeoutMs;
    this.slowConsumerBytes = options.slowConsumerBytes ?? DEFAULTS.slowConsumerBytes;
    this.maxConnectionsMessage = options.maxConnectionsMessage ?? DEFAULT_MAX_CONNECTIONS_MESSAGE;
    this.universe = new Universe(options.seed ?? DEFAULTS.seed);
    this.generating = options.replay === undefined;
    this.replayer = options.replay
      ? new Replayer(options.replay, {
          deliver: (events) => this.route(events),
          ended: () => this.emit('replayEnd'),
          failed: (err) => {
            if (this.listenerCount('error') > 0) this.emit('error', err);
          },
        })
      : undefined;
    this.http = createServer((req, res) => {
      res.writeHead(this.clusterOf(req) ? 426 : 404, { Connection: 'close' }).end();
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    this.http.on('clientError', (_err, socket: Duplex) => socket.destroy());
    this.wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: true });
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

  get url(): string {
    let host = this.boundHost;
    if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
    else if (host === '::') host = '[::1]';
    else if (host.includes(':')) host = `[${host}]`;
    return `ws://${host}:${this.boundPort}`;
  }

  connections(): SimConnection[] {
    return [...this.sessions].filter((s) => !s.isClosed);
  }

  eventsPerSecond(): number {
    return this.eps;
  }

  setEventsPerSecond(n: number): void {
    number('setEventsPerSecond', 'eventsPerSecond', n, { max: 10_000_000 });
    this.eps = n;
  }

  waitFor(
    predicate: (c: SimConnection) => boolean,
    timeoutMs = DEFAULTS.waitForTimeoutMs,
  ): Promise<SimConnection> {
    fn('waitFor', 'predicate', predicate);
    duration('waitFor', 'timeoutMs', timeoutMs);
    const hit = this.connections().find(predicate);
    if (hit) return Promise.resolve(hit);
    if (this.closing) return Promise.reject(new Error('simulator is closed'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`waitFor: no connection matched within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  publish(cluster: string, events: object[]): number {
    oneOf('publish', 'cluster', cluster, CLUSTERS);
    if (!Array.isArray(events)) throw invalidOption('publish', 'events', 'an array', events);
    const wire = events.filter(isWireEvent);
    const keys = wire.map((e) => eventKey(cluster, e));
    let delivered = 0;
    for (const s of this.sessions) {
      if (s.cluster === cluster) delivered += s.deliver(wire, keys, false);
    }
    return delivered;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- SessionHost --------------------------------------------------------------------------

  onAuthenticated(session: Session): void {
    const account = `${session.cluster}\u0000${session.apiKey ?? ''}`;
    const older = this.accounts.get(account);
    if (older && older !== session && !older.isClosed) older.evict(this.maxConnectionsMessage);
    this.accounts.set(account, session);
    this.emit('authenticated', session);
    this.notify();
  }

  onMessage(session: Session, msg: ClientMessage): void {
    this.emit('message', session, msg);
    this.notify();
  }

  onSubscribed(): void {
    this.replayer?.start();
  }

  onClose(session: Session): void {
    this.sessions.delete(session);
    const account = `${session.cluster}\u0000${session.apiKey ?? ''}`;
    if (this.accounts.get(account) === session) this.accounts.delete(account);
    this.emit('close', session);
    this.notify();
  }

  // ---- internals ----------------------------------------------------------------------------

  private clusterOf(req: IncomingMessage): Cluster | undefined {
    const path = new URL(req.url ?? '/', 'http://simulator').pathname.replace(/\/+$/, '');
    return CLUSTERS.find((c) => path === `/${c}`);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const cluster = this.clusterOf(req);
    if (!cluster || this.closing) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (this.closing) {
        ws.terminate();
        return;
      }
      const session = new Session(this.nextId++, cluster, ws, this);
      if (session.isClosed) return;
      this.sessions.add(session);
      this.emit('connection', session);
      this.notify();
    });
  }

  /** Route replayed events to the connections subscribed to them (one frame per connection). */
  private route(events: WireEvent[]): void {
    const clusters = events.map((e) => clusterOfEvent(e));
    const keys = events.map((e, i) => {
      const c = clusters[i];
      return c === undefined ? undefined : eventKey(c, e);
    });
    for (const s of this.sessions) {
      const own = keys.map((k, i) => (clusters[i] === s.cluster ? k : undefined));
      s.deliver(events, own, true);
    }
  }

  private notify(): void {
    if (this.waiters.size === 0) return;
    const open = this.connections();
    for (const w of [...this.waiters]) {
      let hit: SimConnection | undefined;
      try {
        hit = open.find(w.predicate);
      } catch (err) {
        this.settle(w);
        w.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (hit) {
        this.settle(w);
        w.resolve(hit);
      }
    }
  }

  private settle(w: Waiter): void {
    clearTimeout(w.timer);
    this.waiters.delete(w);
  }

  private async shutdown(): Promise<void> {
    this.replayer?.stop();
    for (const w of [...this.waiters]) {
      this.settle(w);
      w.reject(new Error('simulator closed'));
    }
    for (const s of [...this.sessions]) s.terminate();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }
}
