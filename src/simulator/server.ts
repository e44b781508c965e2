/**
 * The simulator: the protocol server (src/server/) in front of one generated market (a tape per
 * cluster, tape.ts, advanced on one clock and shown to every connection subscribed to it, its
 * history served over REST on the same port, rest/) or a replayed recording, with the
 * provider's one-connection-per-key eviction, fault knobs (WebSocket and REST), publish() and
 * waiters.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isWireEvent, type WireEvent } from '../protocol/codec.js';
import { CLUSTERS, FUTURES_CLUSTERS, isFuturesCluster, type Cluster } from '../protocol/streams.js';
import { splitTopic, symbolOf } from '../protocol/symbols.js';
import { ProtocolServer, type ProtocolSource } from '../server/protocol-server.js';
import type { ServerSession } from '../server/server-session.js';
import type { SessionInfo, TopicAnswer } from '../server/session-host.js';
import { checkDelayedFeeds, DelayedFeed } from './delayed-feed.js';
import { Replayer } from './replay.js';
import { ClusterTape } from './tape.js';
import { checkRestFaults } from './rest/rest-faults.js';
import { RestHistory } from './rest/rest-history.js';
import type {
  SimConnection,
  Simulator,
  SimulatorEvents,
  SimulatorFaults,
  SimulatorOptions,
} from './simulator-types.js';
import { checkTickers, Universe } from './universe.js';
import {
  boolean,
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
  messageLogBytes: 64 * 1024,
  historyMs: 15 * 60_000,
  pastMs: 15 * 60_000,
  maxHistoryEvents: 250_000,
  restRequestsPerSecond: 100,
};

export async function startSimulator(given: SimulatorOptions = {}): Promise<Simulator> {
  const options = plainObject<SimulatorOptions>('startSimulator', 'options', given);
  const sim = new SimulatorServer(options);
  await sim.listen(options.port ?? DEFAULTS.port, options.host ?? DEFAULTS.host);
  return sim;
}

class SimulatorServer extends EventEmitter<SimulatorEvents> implements Simulator, ProtocolSource {
  readonly faults: SimulatorFaults;
  readonly universe: Universe;
  readonly apiKeys: 'any' | readonly string[];
  readonly tickMs: number;
  readonly windowScale: number;
  /** False when replaying: sessions then generate nothing themselves. */
  readonly generating: boolean;
  private eps: number;
  private readonly server: ProtocolServer;
  private readonly tapes = new Map<Cluster, ClusterTape>();
  private readonly rest: RestHistory;
  private readonly historyLimits: { historyMs: number; maxEvents: number; pastMs: number };
  private clock: NodeJS.Timeout | undefined;
  /** Until then (ms), new connections are refused: an outage. */
  private downUntil = 0;
  private readonly replayer: Replayer | undefined;
  private readonly delayed: DelayedFeed;

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
    if (options.messageLogBytes !== undefined) {
      integer(where, 'messageLogBytes', options.messageLogBytes);
    }
    if (options.seed !== undefined) {
      number(where, 'seed', options.seed, { min: -Number.MAX_VALUE });
    }
    if (options.maxConnectionsMessage !== undefined) {
      string(where, 'maxConnectionsMessage', options.maxConnectionsMessage);
    }
    if (options.replay !== undefined) {
      plainObject(where, 'replay', options.replay);
      if (options.replay.cluster !== undefined) {
        oneOf(where, 'replay.cluster', options.replay.cluster, CLUSTERS);
      }
    }
    if (options.windowScale !== undefined) {
      number(where, 'windowScale', options.windowScale, { min: 0.000001, max: 1 });
    }
    if (options.historyMs !== undefined) {
      duration(where, 'historyMs', options.historyMs, { min: 1 });
    }
    if (options.pastMs !== undefined) duration(where, 'pastMs', options.pastMs, { min: 0 });
    if (options.maxHistoryEvents !== undefined) {
      integer(where, 'maxHistoryEvents', options.maxHistoryEvents, { min: 1, max: 100_000_000 });
    }
    if (options.restRequestsPerSecond !== undefined) {
      number(where, 'restRequestsPerSecond', options.restRequestsPerSecond, { min: 0.001 });
    }
    if (options.restLagMs !== undefined) duration(where, 'restLagMs', options.restLagMs);
    if (options.restLagJitterMs !== undefined) {
      duration(where, 'restLagJitterMs', options.restLagJitterMs);
    }
    if (options.restFormingBars !== undefined) {
      boolean(where, 'restFormingBars', options.restFormingBars);
    }
    this.delayed = new DelayedFeed(
      options.delayedMs === undefined ? {} : checkDelayedFeeds(where, options.delayedMs),
    );
    const restFaults =
      options.restFaults === undefined
        ? []
        : checkRestFaults(where, 'restFaults', options.restFaults);
    this.faults = {
      ackDelayMs: 0,
      silentTopics: new Set(),
      rejectTopics: new Map(),
      stallPongs: false,
      rest: [...restFaults],
    };
    const keys = options.apiKeys ?? 'any';
    if (keys !== 'any' && !(Array.isArray(keys) && keys.every((k) => typeof k === 'string'))) {
      throw invalidOption(where, 'apiKeys', "'any' or an array of strings", keys);
    }
    this.apiKeys = keys;
    this.eps = options.eventsPerSecond ?? DEFAULTS.eventsPerSecond;
    this.tickMs = options.tickMs ?? DEFAULTS.tickMs;
    this.windowScale = options.windowScale ?? 1;
    this.universe = new Universe(
      options.seed ?? DEFAULTS.seed,
      new Date(),
      checkTickers(where, options.tickers),
    );
    this.generating = options.replay === undefined;
    this.historyLimits = {
      historyMs: options.historyMs ?? DEFAULTS.historyMs,
      maxEvents: options.maxHistoryEvents ?? DEFAULTS.maxHistoryEvents,
      pastMs: options.pastMs ?? DEFAULTS.pastMs,
    };
    this.rest = new RestHistory(this, {
      requestsPerSecond: options.restRequestsPerSecond ?? DEFAULTS.restRequestsPerSecond,
      lagMs: options.restLagMs ?? 0,
      lagJitterMs: options.restLagJitterMs ?? 0,
      formingBars: options.restFormingBars ?? false,
    });
    this.replayer = options.replay
      ? new Replayer(options.replay, {
          // A recording says nothing of its cluster; futures reuse the stock evs, so a recording
          // of a futures stream names its cluster (replay.cluster) and goes there whole.
          deliver: (events) => {
            const cluster = options.replay?.cluster;
            if (cluster === undefined) this.server.route(events);
            else this.fanOut(cluster, events, (c, own) => this.server.publish(c, own, true));
          },
          ended: () => this.emit('replayEnd'),
          failed: (err) => {
            if (this.listenerCount('error') > 0) this.emit('error', err);
          },
        })
      : undefined;
    this.server = new ProtocolServer({
      source: this,
      authTimeoutMs: options.authTimeoutMs ?? DEFAULTS.authTimeoutMs,
      slowConsumerBytes: options.slowConsumerBytes ?? DEFAULTS.slowConsumerBytes,
      messageLogBytes: options.messageLogBytes ?? DEFAULTS.messageLogBytes,
      evictionMessage: options.maxConnectionsMessage ?? DEFAULT_MAX_CONNECTIONS_MESSAGE,
    });
    this.server.on('connection', (c) => this.emit('connection', c));
    this.server.on('authenticated', (c) => this.emit('authenticated', c));
    this.server.on('message', (c, msg) => this.emit('message', c, msg));
    this.server.on('close', (c) => this.emit('close', c));
  }

  async listen(port: number, host: string): Promise<void> {
    await this.server.listen(port, host);
    if (this.generating) this.clock = setInterval(() => this.tick(), this.tickMs);
  }

  /**
   * The tape of a cluster, created on first use. The futures exchange paths have none of their
   * own: they are views of the one `futures` tape (one market).
   */
  tape(cluster: Cluster): ClusterTape {
    if (isFuturesCluster(cluster)) cluster = 'futures';
    let tape = this.tapes.get(cluster);
    if (!tape) {
      const options = {
        ...this.historyLimits,
        windowScale: this.windowScale,
        eventsPerSecond: () => this.eps,
      };
      tape = new ClusterTape(cluster, this.universe, options);
      this.tapes.set(cluster, tape);
    }
    return tape;
  }

  history(cluster: string, key: string): WireEvent[] {
    if (isFuturesCluster(cluster) && cluster !== 'futures') {
      // An exchange path's view: only its own contracts.
      const symbol = key.slice(key.indexOf('.') + 1);
      if (!this.universe.known(cluster, symbol)) return [];
      return this.tapes.get('futures')?.log.all(key) ?? [];
    }
    return this.tapes.get(cluster as Cluster)?.log.all(key) ?? [];
  }

  isKnownTicker(cluster: string, symbol: string): boolean {
    oneOf('isKnownTicker', 'cluster', cluster, CLUSTERS);
    string('isKnownTicker', 'symbol', symbol);
    return this.universe.known(cluster as Cluster, symbol);
  }

  tickers(cluster: string): string[] {
    oneOf('tickers', 'cluster', cluster, CLUSTERS);
    return this.universe.symbols(cluster as Cluster).map((s) => s.symbol);
  }

  /** One tick of the market clock: every tape moves on; subscribers get what they cover. */
  private tick(): void {
    const now = Date.now();
    for (const tape of this.tapes.values()) {
      const events = tape.advance(now, this.eps, this.tickMs);
      if (events.length === 0) continue;
      this.fanOut(tape.cluster, events, (c, own) => this.send(c, own, now));
    }
    for (const held of this.delayed.due(now)) {
      this.server.publish(held.cluster, held.events, true);
    }
  }

  /**
   * Events of a cluster to `deliver`; the whole futures market's also, each on its contract's
   * exchange path (`futures/cme` …), which are views of the one market. Returns what `deliver`
   * returned, summed.
   */
  private fanOut(
    cluster: Cluster,
    events: WireEvent[],
    deliver: (cluster: Cluster, events: WireEvent[]) => number | void,
  ): number {
    let n = deliver(cluster, events) ?? 0;
    if (cluster !== 'futures') return n;
    for (const exchange of FUTURES_CLUSTERS) {
      if (exchange === 'futures') continue;
      const own = events.filter((e) => this.universe.known(exchange, symbolOf(e) ?? ''));
      if (own.length > 0) n += deliver(exchange, own) ?? 0;
    }
    return n;
  }

  /** Generated events to the cluster's subscribers: now, or held for its delay (delayedMs). */
  private send(cluster: Cluster, events: WireEvent[], now: number): void {
    if (!this.delayed.hold(cluster, events, now)) this.server.publish(cluster, events, true);
  }

  get port(): number {
    return this.server.port;
  }

  get url(): string {
    return this.server.url;
  }

  connections(): SimConnection[] {
    return this.server.connections();
  }

  eventsPerSecond(): number {
    return this.eps;
  }

  setEventsPerSecond(n: number): void {
    number('setEventsPerSecond', 'eventsPerSecond', n, { max: 10_000_000 });
    this.eps = n;
  }

  waitFor(predicate: (c: SimConnection) => boolean, timeoutMs?: number): Promise<SimConnection> {
    fn('waitFor', 'predicate', predicate);
    if (timeoutMs !== undefined) duration('waitFor', 'timeoutMs', timeoutMs);
    return this.server.waitFor(predicate, timeoutMs);
  }

  outage(ms: number): void {
    duration('outage', 'ms', ms, { min: 0 });
    this.downUntil = Date.now() + ms;
    for (const c of this.server.connections()) c.drop();
  }

  accepts(): boolean {
    return Date.now() >= this.downUntil;
  }

  publish(cluster: string, events: object[]): number {
    oneOf('publish', 'cluster', cluster, CLUSTERS);
    if (!Array.isArray(events)) throw invalidOption('publish', 'events', 'an array', events);
    const wire = events.filter(isWireEvent);
    return this.fanOut(cluster as Cluster, wire, (c, own) => this.server.publish(c, own, false));
  }

  async close(): Promise<void> {
    clearInterval(this.clock);
    this.clock = undefined;
    this.replayer?.stop();
    await this.server.close();
  }

  // ---- ProtocolSource -----------------------------------------------------------------------

  authenticate(key: string): boolean {
    return this.apiKeys === 'any' || this.apiKeys.includes(key);
  }

  answer(session: SessionInfo, action: 'subscribe' | 'unsubscribe', topic: string): TopicAnswer {
    const rejection = action === 'subscribe' ? this.faults.rejectTopics.get(topic) : undefined;
    if (rejection !== undefined) return { refuse: rejection };
    // A subscribed symbol joins the tape (once; later subscribes of it change nothing there).
    if (action === 'subscribe' && this.generating) {
      const parts = splitTopic(topic);
      if (parts) this.tape(session.cluster as Cluster).touch(parts.prefix, parts.symbol);
    }
    return this.faults.silentTopics.has(topic) ? 'silent' : 'ack';
  }

  replyDelayMs(): number {
    return this.faults.ackDelayMs;
  }

  answersPings(): boolean {
    return !this.faults.stallPongs;
  }

  request(req: IncomingMessage, res: ServerResponse): boolean {
    return this.rest.handle(req, res);
  }

  // ---- RestHost (tape, authenticate and tickers above) --------------------------------------

  restFaults(): unknown {
    return this.faults.rest;
  }

  subscriptionChanged(_session: ServerSession, action: 'subscribe' | 'unsubscribe'): void {
    if (action === 'subscribe') this.replayer?.start();
  }
}
