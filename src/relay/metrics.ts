/** The relay's counters, and per-second rates computed from them once a second. */

export interface RelayMetrics {
  /** Downstream clients connected and authenticated. */
  clients: number;
  /** Downstream connections still authenticating (never counted in `clients`). */
  connecting: number;
  /** Topics subscribed upstream, by cluster. */
  upstreamTopics: Record<string, string[]>;
  /** Data events received from upstream, per second (over the last second) and in total. */
  eventsInPerSecond: number;
  eventsIn: number;
  /** Events sent downstream (one per client it reached), per second and in total. */
  eventsOutPerSecond: number;
  eventsOut: number;
  /** Downstream clients cut off for not reading (slow_consumer). */
  slowConsumerDisconnects: number;
  /** Upstream reconnect attempts. */
  upstreamReconnects: number;
  /** Events filled from REST history after upstream gaps (with `backfill`). */
  backfilledEvents: number;
  /** Failed downstream authentications. */
  authFailures: number;
  /** Authentication answers given late: an address guessing tokens, or a wrong token retried. */
  authSlowed: number;
  /** Clients refused at the client cap (after authenticating). */
  refusedClients: number;
  /** HTTP requests and upgrades refused for their `Origin` or `Host` (403). */
  refusedRequests: number;
}

export type Counters = Omit<
  RelayMetrics,
  | 'clients'
  | 'connecting'
  | 'upstreamTopics'
  | 'eventsInPerSecond'
  | 'eventsOutPerSecond'
  | 'authFailures'
  | 'authSlowed'
>;

export class MetricsClock {
  readonly counters: Counters = {
    eventsIn: 0,
    eventsOut: 0,
    slowConsumerDisconnects: 0,
    upstreamReconnects: 0,
    backfilledEvents: 0,
    refusedClients: 0,
    refusedRequests: 0,
  };
  inPerSecond = 0;
  outPerSecond = 0;
  private last = { in: 0, out: 0, at: performance.now() };
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.tick(), 1_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = performance.now();
    const seconds = (now - this.last.at) / 1000;
    if (seconds <= 0) return;
    const { eventsIn, eventsOut } = this.counters;
    this.inPerSecond = Math.round((eventsIn - this.last.in) / seconds);
    this.outPerSecond = Math.round((eventsOut - this.last.out) / seconds);
    this.last = { in: eventsIn, out: eventsOut, at: now };
  }
}
