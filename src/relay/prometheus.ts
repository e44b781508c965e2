/**
 * The relay's metrics in the Prometheus text format, with prom-client: an optional peer
 * dependency, imported when a relay starts (never by the client entry). Each relay has a registry
 * of its own (two relays in one process do not collide) and no process metrics. Every value is
 * read from the relay when scraped (prom-client `collect`), never updated per event: forwarding
 * stays as fast as without metrics.
 */
import type * as PromClient from 'prom-client';
import type { ServerConnection } from '../server/server-connection.js';
import type { ForwardMetrics } from './forward-times.js';
import type { RelayMetrics } from './metrics.js';

type Prom = typeof PromClient;

/** What `/metrics` answers (503) when prom-client is not installed. */
export const PROM_CLIENT_MISSING =
  "polygon-stream relay: metrics need the 'prom-client' package, an optional peer dependency of polygon-stream: npm install prom-client";

const PREFIX = 'polygon_stream_relay_';

let loading: Promise<Prom | undefined> | undefined;

/** `import('prom-client')`, once per process; undefined when it is not installed. */
export function loadPromClient(): Promise<Prom | undefined> {
  loading ??= import('prom-client').then(
    (m) => m,
    () => {
      loading = undefined;
      return undefined;
    },
  );
  return loading;
}

/** What the exporter reads from the relay. */
export interface MetricsSource {
  metrics(): RelayMetrics;
  connections(): readonly ServerConnection[];
}

interface Snapshot {
  metrics: RelayMetrics;
  connections: readonly ServerConnection[];
}

type Labels = Record<string, string>;
type Samples = (s: Snapshot) => Iterable<[Labels, number]>;

const one = (value: number): [Labels, number][] => [[{}, value]];
const byCluster = (s: Snapshot, value: (cluster: string) => number): [Labels, number][] =>
  Object.keys(s.metrics.upstreams).map((cluster) => [{ cluster }, value(cluster)]);

/** The forward-time quantiles, in seconds, by `quantile` label. */
const quantiles = (f: ForwardMetrics): [Labels, number][] => {
  const out: [Labels, number][] = [];
  if (f.p50Ms !== null) out.push([{ quantile: '0.5' }, f.p50Ms / 1000]);
  if (f.p99Ms !== null) out.push([{ quantile: '0.99' }, f.p99Ms / 1000]);
  return out;
};

/** The numeric fields of RelayMetrics. */
type Total = {
  [K in keyof RelayMetrics]: RelayMetrics[K] extends number ? K : never;
}[keyof RelayMetrics];

/** Counters that are one of the relay's totals as they are: name, help, RelayMetrics field. */
const TOTALS: readonly [name: string, help: string, field: Total][] = [
  ['events_in_total', 'Data events received from upstream', 'eventsIn'],
  ['events_out_total', 'Events sent downstream (one per client it reached)', 'eventsOut'],
  [
    'dropped_events_total',
    'Events a client subscribed to that it was not sent (too far behind, then cut off; or closing)',
    'droppedEvents',
  ],
  [
    'slow_consumer_disconnects_total',
    'Downstream clients cut off for not reading (slow_consumer)',
    'slowConsumerDisconnects',
  ],
  ['auth_failures_total', 'Failed downstream authentications', 'authFailures'],
  [
    'auth_slowed_total',
    'Authentication answers given late (an address guessing tokens, or a failed token retried)',
    'authSlowed',
  ],
  [
    'refused_clients_total',
    'Downstream clients refused at the client cap (after authenticating)',
    'refusedClients',
  ],
  [
    'refused_requests_total',
    'HTTP requests and WebSocket upgrades refused for their Origin or Host header (403)',
    'refusedRequests',
  ],
  [
    'backfilled_events_total',
    'Events filled from REST history after upstream gaps',
    'backfilledEvents',
  ],
];

export class PrometheusMetrics {
  private readonly registry: PromClient.Registry;
  /** The relay's state for the scrape in progress: read once, shared by every metric. */
  private current: Snapshot | undefined;

  constructor(
    prom: Prom,
    private readonly source: MetricsSource,
  ) {
    this.registry = new prom.Registry();
    const snap = (): Snapshot =>
      (this.current ??= { metrics: source.metrics(), connections: source.connections() });
    const define = (
      kind: 'counter' | 'gauge',
      name: string,
      help: string,
      labelNames: string[],
      samples: Samples,
    ): void => {
      const config = { name: PREFIX + name, help, labelNames, registers: [this.registry] };
      if (kind === 'counter') {
        new prom.Counter({
          ...config,
          collect() {
            this.reset();
            for (const [labels, value] of samples(snap())) this.inc(labels, value);
          },
        });
      } else {
        new prom.Gauge({
          ...config,
          collect() {
            this.reset();
            for (const [labels, value] of samples(snap())) this.set(labels, value);
          },
        });
      }
    };

    define(
      'gauge',
      'clients',
      'Downstream connections: authenticated clients, and connections still authenticating',
      ['authenticated'],
      (s) => [
        [{ authenticated: 'true' }, s.metrics.clients],
        [{ authenticated: 'false' }, s.metrics.connecting],
      ],
    );
    define(
      'gauge',
      'client_queue_bytes',
      'Bytes sent to an authenticated downstream client but not yet written to its socket, by session id',
      ['client'],
      (s) =>
        s.connections
          .filter((c) => c.authenticated)
          .map((c) => [{ client: String(c.id) }, c.bufferedAmount]),
    );
    define('gauge', 'upstream_topics', 'Topics subscribed upstream', ['cluster'], (s) =>
      byCluster(s, (c) => s.metrics.upstreamTopics[c]?.length ?? 0),
    );
    define(
      'gauge',
      'upstream_open',
      'Whether the upstream connection is open (1) or not (0: connecting, reconnecting, closed)',
      ['cluster'],
      (s) => byCluster(s, (c) => (s.metrics.upstreams[c]?.state === 'open' ? 1 : 0)),
    );
    for (const [name, help, field] of TOTALS) {
      define('counter', name, help, [], (s) => one(s.metrics[field]));
    }
    define(
      'counter',
      'upstream_reconnects_total',
      'Upstream reconnect attempts',
      ['cluster'],
      (s) => byCluster(s, (c) => s.metrics.upstreams[c]?.reconnects ?? 0),
    );
    define(
      'counter',
      'upstream_gaps_total',
      'Upstream gaps: the connection was lost, then back',
      ['cluster'],
      (s) => byCluster(s, (c) => s.metrics.upstreams[c]?.gaps ?? 0),
    );
    define(
      'counter',
      'forwarded_frames_total',
      'Upstream frames forwarded to downstream clients',
      [],
      (s) => one(s.metrics.forward.frames),
    );
    define(
      'gauge',
      'forward_seconds',
      "The relay's own time to forward an upstream frame (filter, encode, write to every client), over the last minute: at most this for the quantile's share of frames (its histogram bucket's upper bound); no sample while no frame",
      ['quantile'],
      (s) => quantiles(s.metrics.forward),
    );
    define(
      'gauge',
      'forward_max_seconds',
      "The slowest frame forward of the last minute (the relay's own time); no sample while no frame",
      [],
      (s) => (s.metrics.forward.maxMs === null ? [] : one(s.metrics.forward.maxMs / 1000)),
    );
    define(
      'counter',
      'backfills_total',
      'Topic fills after upstream gaps, by outcome (filled: complete; partial: ranges may lack events)',
      ['status'],
      (s) => Object.entries(s.metrics.backfills).map(([status, n]) => [{ status }, n]),
    );
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The metrics in the Prometheus text format. */
  async scrape(): Promise<string> {
    this.current = undefined;
    try {
      return await this.registry.metrics();
    } finally {
      this.current = undefined;
    }
  }

  close(): void {
    this.registry.clear();
  }
}
