/**
 * The relay: the protocol server (src/server/) downstream, one upstream StreamClient per cluster
 * (upstream.ts) behind it. Any client of the provider's protocol connects to it unchanged and
 * authenticates with one of the relay's own tokens; the upstream key never leaves the relay.
 * Without a key it relays an embedded simulator (offline demos and tests).
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { BackfillOptions } from '../client/history/backfill-options.js';
import type { ClientOptions } from '../client/config.js';
import type { ConnectionState } from '../client/connection/connection-state.js';
import type { Gap } from '../client/delivery/lifecycle.js';
import type { StreamClient } from '../client/stream-client.js';
import { encodeEvents, status, type WireEvent } from '../protocol/codec.js';
import type { PolygonStreamError } from '../errors.js';
import * as v from '../validate.js';
import { CLUSTERS, type Cluster, Host } from '../protocol/streams.js';
import { ProtocolServer, type ProtocolSource } from '../server/protocol-server.js';
import { CloseCode, type ServerSession, type TopicAnswer } from '../server/server-session.js';
import type { ServerConnection } from '../server/server-connection.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../simulator/index.js';
import { Access } from './access.js';
import { HEALTH_PATH, httpUrl, METRICS_PATH, RelayEndpoints } from './endpoints.js';
import { gapMessage } from './gap-message.js';
import { MetricsClock, type RelayMetrics } from './metrics.js';
import { loadPromClient } from './prometheus.js';
import { Upstream } from './upstream.js';

export interface RelayOptions {
  /** Downstream port; default 0 (any free port). */
  port?: number;
  /** Downstream address; default '127.0.0.1'. Anything else serves the feed beyond this machine. */
  bind?: string;
  /** The upstream API key. None: an embedded simulator is relayed. */
  key?: string;
  /** Clusters relayed; default ['stocks']. */
  clusters?: readonly Cluster[];
  /** Tokens downstream clients authenticate with (their `auth` params). */
  tokens?: readonly string[];
  /** Accept any non-empty token (loopback binds only). */
  allowAnyToken?: boolean;
  /** Upstream host name or ws:// URL; default socket.polygon.io (the simulator's without a key). */
  upstreamHost?: string;
  /**
   * Fill each upstream gap from the provider's REST history (StreamClient's `backfill`): clients
   * then get the missed events of their per-symbol topics, in order, before the live ones, even
   * when a wildcard carries the topic upstream (every downstream topic goes in `alsoFill`).
   * Default off.
   */
  backfill?: boolean | BackfillOptions;
  /** Further StreamClient options for the upstream connections (reconnect policy, timeouts …). */
  upstream?: Omit<ClientOptions<StreamClient>, 'host' | 'onMessage' | 'onError' | 'onClose'>;
  /** Most downstream clients at once; default 100. */
  maxClients?: number;
  /** Most topics one downstream client may hold; default 1000. */
  maxTopicsPerClient?: number;
  /** A client whose unsent data exceeds this many bytes is cut off (slow_consumer); 4 MiB. */
  maxBufferedBytes?: number;
  /** Failed authentications per address within a minute before all its attempts fail; 10. */
  maxAuthFailures?: number;
  /** Downstream clients must authenticate within this, ms; default 10000. */
  authTimeoutMs?: number;
  /** Options of the embedded simulator (no key). */
  simulator?: SimulatorOptions;
}

export interface RelayEvents {
  /** Upstream runtime errors (refusals, disconnections …), with the key masked. */
  error: [error: PolygonStreamError];
  /** The upstream of a cluster missed data between two connections. */
  gap: [cluster: Cluster, gap: Gap];
}

export interface Relay extends EventEmitter<RelayEvents> {
  /** `ws://HOST:PORT`: clients connect to `${url}/${cluster}` (StreamClient `host: url`). */
  readonly url: string;
  readonly port: number;
  /** The embedded simulator, when relaying one (no key). */
  readonly simulator: Simulator | undefined;
  /** `http://HOST:PORT/metrics` (Prometheus); undefined without prom-client (it answers 503). */
  readonly metricsUrl: string | undefined;
  /** `http://HOST:PORT/healthz`: 200 when every upstream connection is open, 503 otherwise. */
  readonly healthUrl: string;
  metrics(): RelayMetrics;
  /** Open downstream connections. */
  connections(): ServerConnection[];
  /** Close every downstream client and upstream connection. */
  close(): Promise<void>;
}

const DEFAULTS = {
  port: 0,
  bind: '127.0.0.1',
  clusters: ['stocks'] as readonly Cluster[],
  maxClients: 100,
  maxTopicsPerClient: 1000,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxAuthFailures: 10,
  authFailureWindowMs: 60_000,
  authTimeoutMs: 10_000,
};

const SIMULATOR_KEY = 'relay';

/** Start a relay; resolves once it listens and every upstream connection is authenticated. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const checked = checkOptions(options);
  let simulator: Simulator | undefined;
  let upstreamHost = options.upstreamHost ?? Host.RealTime;
  if (options.key === undefined) {
    simulator = await startSimulator(options.simulator ?? {});
    upstreamHost = options.upstreamHost ?? simulator.url;
  }
  const relay = new RelayServer(options, checked, options.key ?? SIMULATOR_KEY, upstreamHost);
  relay.simulator = simulator;
  try {
    await relay.start(options.port ?? DEFAULTS.port, options.bind ?? DEFAULTS.bind);
  } catch (err) {
    await relay.close();
    throw err;
  }
  return relay;
}

/** Loopback addresses: the only ones `allowAnyToken` may listen on. */
export function isLoopback(address: string): boolean {
  if (address === 'localhost' || address === '::1') return true;
  return isIP(address) === 4 && address.startsWith('127.');
}

function checkOptions(given: RelayOptions): {
  clusters: readonly Cluster[];
  tokens: string[] | 'any';
} {
  const where = 'startRelay';
  const o = v.plainObject<RelayOptions>(where, 'options', given);
  const bind = v.optional(o.bind, DEFAULTS.bind, (x) => v.string(where, 'bind', x));
  if (bind === '') throw v.invalidOption(where, 'bind', 'an address to listen on', bind);
  if (o.key !== undefined && (typeof o.key !== 'string' || o.key.trim() === '')) {
    throw v.invalidOption(
      where,
      'key',
      'a non-empty string (or left out to relay the simulator)',
      o.key,
    );
  }
  const clusters = o.clusters ?? DEFAULTS.clusters;
  if (!Array.isArray(clusters) || clusters.length === 0) {
    throw v.invalidOption(where, 'clusters', `some of ${CLUSTERS.join(', ')}`, clusters);
  }
  for (const c of clusters) v.oneOf(where, 'clusters', c, CLUSTERS);
  if (o.allowAnyToken !== undefined) v.boolean(where, 'allowAnyToken', o.allowAnyToken);
  if (o.allowAnyToken === true) {
    if (o.tokens !== undefined) {
      throw v.invalidOption(where, 'tokens', 'left out when allowAnyToken is true', o.tokens);
    }
    if (!isLoopback(bind)) {
      throw v.invalidOption(
        where,
        'allowAnyToken',
        `false on ${bind} (any token would serve the feed to anyone who can reach it; give tokens)`,
        true,
      );
    }
    return { clusters: [...new Set(clusters)], tokens: 'any' };
  }
  const tokens = o.tokens;
  const valid = (t: unknown): boolean => typeof t === 'string' && t.length > 0 && !t.includes(',');
  if (!Array.isArray(tokens) || tokens.length === 0 || !tokens.every(valid)) {
    throw v.invalidOption(
      where,
      'tokens',
      'the non-empty strings downstream clients authenticate with (or allowAnyToken: true)',
      tokens,
    );
  }
  if (o.key !== undefined && tokens.includes(o.key)) {
    throw v.invalidOption(where, 'tokens', 'tokens other than the upstream key', '(the key)');
  }
  if (o.port !== undefined) v.integer(where, 'port', o.port, { max: 65_535 });
  for (const name of [
    'maxClients',
    'maxTopicsPerClient',
    'maxBufferedBytes',
    'maxAuthFailures',
  ] as const) {
    if (o[name] !== undefined) v.integer(where, name, o[name], { min: 1 });
  }
  if (o.authTimeoutMs !== undefined)
    v.duration(where, 'authTimeoutMs', o.authTimeoutMs, { min: 1 });
  return { clusters: [...new Set(clusters)], tokens: [...tokens] };
}

class RelayServer extends EventEmitter<RelayEvents> implements Relay, ProtocolSource {
  simulator: Simulator | undefined;
  private readonly server: ProtocolServer;
  private readonly access: Access;
  private readonly clock = new MetricsClock();
  private readonly upstreams = new Map<Cluster, Upstream>();
  /** What each downstream session holds upstream: topic as spelled → canonical key. */
  private readonly holdings = new Map<ServerSession, Map<string, string>>();
  private endpoints: RelayEndpoints | undefined;
  private readonly maxClients: number;
  private readonly maxTopics: number;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly options: RelayOptions,
    private readonly checked: { clusters: readonly Cluster[]; tokens: string[] | 'any' },
    private readonly key: string,
    private readonly upstreamHost: string,
  ) {
    super();
    this.maxClients = options.maxClients ?? DEFAULTS.maxClients;
    this.maxTopics = options.maxTopicsPerClient ?? DEFAULTS.maxTopicsPerClient;
    this.access = new Access({
      tokens: checked.tokens,
      maxFailures: options.maxAuthFailures ?? DEFAULTS.maxAuthFailures,
      windowMs: DEFAULTS.authFailureWindowMs,
    });
    this.server = new ProtocolServer({
      source: this,
      clusters: checked.clusters,
      authTimeoutMs: options.authTimeoutMs ?? DEFAULTS.authTimeoutMs,
      slowConsumerBytes: options.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes,
    });
  }

  async start(port: number, bind: string): Promise<void> {
    this.endpoints = new RelayEndpoints(this, await loadPromClient());
    await Promise.all(this.checked.clusters.map((c) => this.upstreamOf(c).ready));
    await this.server.listen(port, bind);
  }

  get url(): string {
    return this.server.url;
  }

  get port(): number {
    return this.server.port;
  }

  get metricsUrl(): string | undefined {
    return this.endpoints?.metricsAvailable ? httpUrl(this.url, METRICS_PATH) : undefined;
  }

  get healthUrl(): string {
    return httpUrl(this.url, HEALTH_PATH);
  }

  connections(): ServerConnection[] {
    return this.server.connections();
  }

  metrics(): RelayMetrics {
    const topics: Record<string, string[]> = {};
    for (const [cluster, up] of this.upstreams) topics[cluster] = up.topics();
    const states = new Map<string, ConnectionState>();
    for (const c of this.checked.clusters) {
      states.set(c, this.upstreams.get(c)?.client.state ?? 'closed');
    }
    return this.clock.read(this.server.connections(), topics, states, this.access.failures);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.clock.stop();
      this.endpoints?.close();
      await this.server.close();
      await Promise.all([...this.upstreams.values()].map((u) => u.close()));
      await this.simulator?.close();
    })();
    return this.closing;
  }

  // ---- ProtocolSource -----------------------------------------------------------------------

  admit(): string | undefined {
    if (this.server.connections().length < this.maxClients) return undefined;
    this.clock.counters.refusedClients++;
    return `relay: client limit reached (${this.maxClients})`;
  }

  authenticate(token: string, session: ServerSession): boolean {
    return this.access.check(token, session.remoteAddress);
  }

  answer(
    session: ServerSession,
    action: 'subscribe' | 'unsubscribe',
    topic: string,
    key: string,
  ): TopicAnswer | Promise<TopicAnswer> {
    const held = this.holdings.get(session) ?? new Map<string, string>();
    this.holdings.set(session, held);
    if (action === 'unsubscribe') {
      this.drop(session, topic);
      return 'ack';
    }
    if (held.size >= this.maxTopics) {
      return { refuse: `relay: topic limit per client reached (${this.maxTopics})` };
    }
    const upstream = this.upstreamOf(session.cluster).up;
    const answer = upstream.acquire(topic, key, () => this.drop(session, topic));
    if (typeof answer === 'object' && !(answer instanceof Promise)) return answer;
    held.set(topic, key);
    return answer;
  }

  request(req: IncomingMessage, res: ServerResponse): boolean {
    return this.endpoints?.handle(req, res) ?? false;
  }

  slowConsumer(): void {
    this.clock.counters.slowConsumerDisconnects++;
  }

  closed(session: ServerSession): void {
    this.clock.droppedOnClosed += session.droppedEvents;
    const held = this.holdings.get(session);
    this.holdings.delete(session);
    if (!held) return;
    const up = this.upstreams.get(session.cluster);
    for (const key of held.values()) up?.release(key);
  }

  // ---- upstream -----------------------------------------------------------------------------

  /** A session's holding of `topic` ends (unsubscribed, or refused upstream). */
  private drop(session: ServerSession, topic: string): void {
    const held = this.holdings.get(session);
    const key = held?.get(topic);
    if (key === undefined) return;
    held!.delete(topic);
    this.upstreams.get(session.cluster)?.release(key);
  }

  /** The cluster's upstream, started when missing (first use, or after it ended for good). */
  private upstreamOf(cluster: Cluster): { up: Upstream; ready: Promise<void> } {
    const existing = this.upstreams.get(cluster);
    if (existing && !existing.ended) return { up: existing, ready: Promise.resolve() };
    const up = new Upstream(
      cluster,
      this.key,
      {
        reconnect: { maxAttempts: Infinity },
        ...(this.options.backfill === undefined ? {} : { backfill: this.options.backfill }),
        ...this.options.upstream,
        host: this.upstreamHost,
      },
      {
        frame: (c, events, raw) => this.forward(c, events, raw),
        gap: (c, gap) => this.gap(c, gap),
        reconnect: (c) => this.clock.reconnect(c),
        backfilled: (events, status) => this.clock.backfilled(events, status),
        error: (error) => {
          if (this.listenerCount('error') > 0) this.emit('error', error);
        },
        ended: (c, error) => this.ended(c, up, error),
      },
    );
    this.upstreams.set(cluster, up);
    return { up, ready: up.client.startStreamThread() };
  }

  private forward(cluster: Cluster, events: readonly WireEvent[], raw: string | undefined): void {
    let data = 0;
    for (const e of events) if (e.ev !== 'status') data++;
    if (data === 0) return;
    this.clock.counters.eventsIn += data;
    const delivered = this.server.publish(cluster, events, true, raw);
    this.clock.counters.eventsOut += delivered;
  }

  private gap(cluster: Cluster, gap: Gap): void {
    this.clock.gap(cluster);
    if (this.listenerCount('gap') > 0) this.emit('gap', cluster, gap);
    const text = encodeEvents([status('gap', `relay: ${gapMessage(gap)}`)]);
    for (const s of this.server.connections()) {
      if (s.cluster === cluster && s.subscriptions.size > 0) s.sendText(text);
    }
  }

  /** The upstream ended for good: its downstream clients are told and closed. */
  private ended(cluster: Cluster, up: Upstream, error: PolygonStreamError | undefined): void {
    if (this.upstreams.get(cluster) === up) this.upstreams.delete(cluster);
    if (this.closing) return;
    const why = error ? `${error.code}: ${error.message}` : 'closed';
    for (const s of this.server.connections()) {
      if (s.cluster !== cluster) continue;
      this.holdings.delete(s);
      s.sendStatus('error', `relay: the upstream connection ended (${why})`, {
        code: CloseCode.GoingAway,
        reason: 'upstream ended',
      });
    }
  }
}
