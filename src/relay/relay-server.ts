/**
 * The relay: the protocol server (src/server/) downstream, one upstream StreamClient per cluster
 * (upstream.ts) behind it. Any client of the provider's protocol connects to it unchanged and
 * authenticates with one of the relay's own tokens; the upstream key never leaves the relay.
 * Without a key it relays an embedded simulator (offline demos and tests).
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { filledEvents, type Gap } from '../client/delivery/lifecycle.js';
import { encodeEvents, status, type WireEvent } from '../protocol/codec.js';
import type { PolygonStreamError } from '../errors.js';
import { type Cluster, Host } from '../protocol/streams.js';
import { ProtocolServer, type ProtocolSource } from '../server/protocol-server.js';
import type { ServerSession } from '../server/server-session.js';
import {
  type AuthVerdict,
  CloseCode,
  type SessionInfo,
  type TopicAnswer,
} from '../server/session-host.js';
import type { ServerConnection } from '../server/server-connection.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { Access } from './access.js';
import { MetricsClock, type RelayMetrics } from './metrics.js';
import {
  type CheckedRelayOptions,
  checkRelayOptions,
  RELAY_DEFAULTS as DEFAULTS,
  type RelayOptions,
} from './relay-options.js';
import { RequestCheck } from './request-check.js';
import { Upstream } from './upstream.js';

export { isLoopback, type RelayOptions } from './relay-options.js';

export interface RelayEvents {
  /** Upstream runtime errors (refusals, disconnections …), with the key masked. */
  error: [error: PolygonStreamError];
  /** The upstream of a cluster missed data between two connections. */
  gap: [cluster: Cluster, gap: Gap];
}

export interface Relay extends EventEmitter<RelayEvents> {
  /**
   * `ws://HOST:PORT` (`wss://` with TLS): clients on this machine connect to `${url}/${cluster}`
   * (StreamClient `host: url`); a wildcard bind (`0.0.0.0`) is reached through loopback here.
   */
  readonly url: string;
  readonly port: number;
  /** The address and port actually bound (`0.0.0.0` when listening on every interface). */
  readonly address: AddressInfo;
  /** Whether clients connect with TLS (`wss://`). */
  readonly tls: boolean;
  /** The embedded simulator, when relaying one (no key). */
  readonly simulator: Simulator | undefined;
  metrics(): RelayMetrics;
  /** Open downstream connections. */
  connections(): ServerConnection[];
  /** Close every downstream client and upstream connection. */
  close(): Promise<void>;
}

const SIMULATOR_KEY = 'relay';

/** What an upstream gap means for clients: its window, and what was filled from history. */
export function gapMessage(gap: Gap): string {
  const when = `the upstream connection was down from ${new Date(gap.lostAt).toISOString()} to ${new Date(gap.to).toISOString()} (data last heard ${new Date(gap.from).toISOString()})`;
  if (gap.filled === undefined) return `${when}; events in between were not received`;
  const complete = Object.keys(gap.filled).length;
  const partial = Object.entries(gap.partial ?? {});
  let text = `${when}; filled from REST history: ${filledEvents(gap)} events; complete on ${complete} topics`;
  const list = (entries: [string, string][]): string => {
    const named = entries.slice(0, 5).map(([topic, code]) => `${topic} (${code})`);
    return named.join(', ') + (entries.length > 5 ? ` and ${entries.length - 5} more` : '');
  };
  if (partial.length > 0) {
    text += `; partial (ranges may lack events): ${list(partial.map(([t, p]) => [t, p.missing.map((m) => m.code).join('+')]))}`;
  }
  const unfilled = Object.entries(gap.unfilled ?? {});
  if (unfilled.length > 0) text += `; not filled: ${list(unfilled.map(([t, u]) => [t, u.code]))}`;
  return text;
}

/** Start a relay; resolves once it listens and every upstream connection is authenticated. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const checked = checkRelayOptions(options);
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

class RelayServer extends EventEmitter<RelayEvents> implements Relay, ProtocolSource {
  simulator: Simulator | undefined;
  private readonly server: ProtocolServer;
  private readonly access: Access;
  private readonly requests: RequestCheck;
  private readonly clock = new MetricsClock();
  private readonly upstreams = new Map<Cluster, Upstream>();
  /** What each downstream session holds upstream: topic as spelled → canonical key. */
  private readonly holdings = new Map<ServerSession, Map<string, string>>();
  private readonly maxClients: number;
  private readonly maxTopics: number;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly options: RelayOptions,
    private readonly checked: CheckedRelayOptions,
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
      slowdownMs: DEFAULTS.authSlowdownMs,
    });
    this.requests = new RequestCheck({
      allowOrigins: options.allowOrigins ?? [],
      allowHosts: options.allowHosts ?? [],
    });
    this.server = new ProtocolServer({
      source: this,
      clusters: checked.clusters,
      authTimeoutMs: options.authTimeoutMs ?? DEFAULTS.authTimeoutMs,
      slowConsumerBytes: options.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULTS.maxMessageBytes,
      maxUnauthenticated: options.maxUnauthenticated ?? DEFAULTS.maxUnauthenticated,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    });
  }

  async start(port: number, bind: string): Promise<void> {
    await Promise.all(this.checked.clusters.map((c) => this.upstreamOf(c).ready));
    await this.server.listen(port, bind);
  }

  get url(): string {
    return this.server.url;
  }

  get port(): number {
    return this.server.port;
  }

  get address(): AddressInfo {
    return this.server.address;
  }

  get tls(): boolean {
    return this.options.tls !== undefined;
  }

  connections(): ServerConnection[] {
    return this.server.connections();
  }

  metrics(): RelayMetrics {
    const upstreamTopics: Record<string, string[]> = {};
    for (const [cluster, up] of this.upstreams) upstreamTopics[cluster] = up.topics();
    return {
      ...this.clientCounts(),
      upstreamTopics,
      eventsInPerSecond: this.clock.inPerSecond,
      eventsOutPerSecond: this.clock.outPerSecond,
      authFailures: this.access.failures,
      authSlowed: this.access.slowed,
      ...this.clock.counters,
    };
  }

  private clientCounts(): { clients: number; connecting: number } {
    let clients = 0;
    for (const s of this.server.connections()) if (s.authenticated) clients++;
    return { clients, connecting: this.server.connecting };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.clock.stop();
      await this.server.close();
      await Promise.all([...this.upstreams.values()].map((u) => u.close()));
      await this.simulator?.close();
    })();
    return this.closing;
  }

  // ---- ProtocolSource -----------------------------------------------------------------------

  admit(): string | undefined {
    if (this.clientCounts().clients < this.maxClients) return undefined;
    this.clock.counters.refusedClients++;
    return `relay: client limit reached (${this.maxClients})`;
  }

  authenticate(token: string, session: SessionInfo): AuthVerdict {
    return this.access.check(token, session.remoteAddress);
  }

  refuseRequest(req: IncomingMessage): string | undefined {
    const refusal = this.requests.refusal(req);
    if (refusal !== undefined) this.clock.counters.refusedRequests++;
    return refusal;
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

  slowConsumer(): void {
    this.clock.counters.slowConsumerDisconnects++;
  }

  closed(session: ServerSession): void {
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
        reconnect: () => this.clock.counters.upstreamReconnects++,
        backfilled: (events) => (this.clock.counters.backfilledEvents += events),
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
