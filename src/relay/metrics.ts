/** The relay's counters, and per-second rates computed from them once a second. */

export interface RelayMetrics {
  /** Downstream clients connected. */
  clients: number;
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
  /** Failed downstream authentications (rate-limited attempts included). */
  authFailures: number;
  /** Connections refused at the client cap. */
  refusedClients: number;
}

export type Counters = Omit<
  RelayMetrics,
  'clients' | 'upstreamTopics' | 'eventsInPerSecond' | 'eventsOutPerSecond' | 'authFailures'
>;

export class MetricsClock {
  readonly counters: Counters = {
    eventsIn: 0,
    eventsOut: 0,
    slowConsumerDisconnects: 0,
    upstreamReconnects: 0,
    backfilledEvents: 0,
    refusedClients: 0,
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
