/**
 * The relay: the protocol server (src/server/) downstream, one upstream StreamClient per cluster
 * (upstream.ts) behind it. Any client of the provider's protocol connects to it unchanged and
 * authenticates with one of the relay's own tokens; the upstream key never leaves the relay.
 * Without a key it relays an embedded simulator (offline demos and tests).
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectionState } from '../client/connection/connection-state.js';
import type { Gap } from '../client/delivery/lifecycle.js';
import { encodeEvents, status, type WireEvent } from '../protocol/codec.js';
import type { PolygonStreamError } from '../errors.js';
import type { Cluster } from '../protocol/streams.js';
import { DEFAULT_HOST } from '../protocol/hosts.js';
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
import { HEALTH_PATH, httpUrl, METRICS_PATH, RelayEndpoints } from './endpoints.js';
import { gapMessage } from './gap-message.js';
import { MetricsClock, type RelayMetrics } from './metrics.js';
import {
  type CheckedRelayOptions,
  checkRelayOptions,
  RELAY_DEFAULTS as DEFAULTS,
  type RelayOptions,
} from './relay-options.js';
import { RequestCheck } from './request-check.js';
import { loadPromClient } from './prometheus.js';
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

const SIMULATOR_KEY = 'relay';

/** Start a relay; resolves once it listens and every upstream connection is authenticated. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const checked = checkRelayOptions(options);
  let simulator: Simulator | undefined;
  let upstreamHost = options.upstreamHost ?? DEFAULT_HOST;
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
  private endpoints: RelayEndpoints | undefined;
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

  get address(): AddressInfo {
    return this.server.address;
  }

  get tls(): boolean {
    return this.options.tls !== undefined;
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
    const auth = { failures: this.access.failures, slowed: this.access.slowed };
    return this.clock.read(this.server.connections(), this.server.connecting, topics, states, auth);
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
    let clients = 0;
    for (const s of this.server.connections()) if (s.authenticated) clients++;
    if (clients < this.maxClients) return undefined;
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
    const started = performance.now();
    const delivered = this.server.publish(cluster, events, true, raw);
    this.clock.forwardTimes.record(performance.now() - started);
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
