/**
 * The relay's counters, per-second rates computed from them once a second, and the time it takes
 * to forward each upstream frame (forward-times.ts, its window moved on by the same tick).
 */
import type { ConnectionState } from '../client/connection/connection-state.js';
import { ForwardTimes, type ForwardMetrics } from './forward-times.js';

export interface RelayMetrics {
  /** Downstream clients connected and authenticated. */
  clients: number;
  /** Downstream connections still authenticating (never counted in `clients`). */
  connecting: number;
  /** Topics subscribed upstream, by cluster. */
  upstreamTopics: Record<string, string[]>;
  /** Each cluster's upstream connection: its state, reconnect attempts and gaps so far. */
  upstreams: Record<string, UpstreamMetrics>;
  /** Data events received from upstream, per second (over the last second) and in total. */
  eventsInPerSecond: number;
  eventsIn: number;
  /** Events sent downstream (one per client it reached), per second and in total. */
  eventsOutPerSecond: number;
  eventsOut: number;
  /**
   * Events a client subscribed to that it was not sent: the frame that found it too far behind
   * (it is then cut off: slow_consumer) or its connection already closing.
   */
  droppedEvents: number;
  /** Downstream clients cut off for not reading (slow_consumer). */
  slowConsumerDisconnects: number;
  /** Upstream reconnect attempts. */
  upstreamReconnects: number;
  /** Events filled from REST history after upstream gaps (with `backfill`). */
  backfilledEvents: number;
  /** Topic fills after upstream gaps (with `backfill`), by outcome (the `backfill` report's status). */
  backfills: { filled: number; partial: number };
  /**
   * The relay's own time per upstream frame forwarded (filter, encode, write to every client that
   * gets it), over the last minute: see ForwardMetrics.
   */
  forward: ForwardMetrics;
  /** Failed downstream authentications. */
  authFailures: number;
  /** Authentication answers given late: an address guessing tokens, or a wrong token retried. */
  authSlowed: number;
  /** Clients refused at the client cap (after authenticating). */
  refusedClients: number;
  /** HTTP requests and upgrades refused for their `Origin` or `Host` (403). */
  refusedRequests: number;
}

export interface UpstreamMetrics {
  /**
   * StreamClient `state`: `open` while it streams, `reconnecting` between connections; `closed`
   * once it ended for good (the next client subscribing there starts a new one).
   */
  state: ConnectionState;
  /** Reconnect attempts. */
  reconnects: number;
  /** Gaps: the connection was lost, then back (data in between was not received live). */
  gaps: number;
}

export type Counters = Omit<
  RelayMetrics,
  | 'clients'
  | 'connecting'
  | 'upstreamTopics'
  | 'upstreams'
  | 'eventsInPerSecond'
  | 'eventsOutPerSecond'
  | 'authFailures'
  | 'authSlowed'
  | 'droppedEvents'
  | 'backfills'
  | 'forward'
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
  /** Upstream reconnect attempts and gaps by cluster (rare: counted as they happen). */
  readonly reconnects = new Map<string, number>();
  readonly gaps = new Map<string, number>();
  readonly backfills = { filled: 0, partial: 0 };
  readonly forwardTimes = new ForwardTimes();
  /** Events dropped on downstream connections that have closed (open ones keep their own count). */
  droppedOnClosed = 0;
  inPerSecond = 0;
  outPerSecond = 0;
  private last = { in: 0, out: 0, at: performance.now() };
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.tick(), 1_000);
    this.timer.unref();
  }

  reconnect(cluster: string): void {
    this.counters.upstreamReconnects++;
    this.reconnects.set(cluster, (this.reconnects.get(cluster) ?? 0) + 1);
  }

  gap(cluster: string): void {
    this.gaps.set(cluster, (this.gaps.get(cluster) ?? 0) + 1);
  }

  backfilled(events: number, status: 'filled' | 'partial'): void {
    this.counters.backfilledEvents += events;
    this.backfills[status]++;
  }

  /** The metrics, given what the relay holds now. */
  read(
    sessions: readonly { droppedEvents: number; authenticated: boolean }[],
    connecting: number,
    upstreamTopics: Record<string, string[]>,
    states: ReadonlyMap<string, ConnectionState>,
    auth: { failures: number; slowed: number },
  ): RelayMetrics {
    const upstreams: Record<string, UpstreamMetrics> = {};
    for (const [cluster, state] of states) {
      const reconnects = this.reconnects.get(cluster) ?? 0;
      upstreams[cluster] = { state, reconnects, gaps: this.gaps.get(cluster) ?? 0 };
    }
    let droppedEvents = this.droppedOnClosed;
    let clients = 0;
    for (const s of sessions) {
      droppedEvents += s.droppedEvents;
      if (s.authenticated) clients++;
    }
    return {
      clients,
      connecting,
      upstreamTopics,
      upstreams,
      eventsInPerSecond: this.inPerSecond,
      eventsOutPerSecond: this.outPerSecond,
      authFailures: auth.failures,
      authSlowed: auth.slowed,
      ...this.counters,
      droppedEvents,
      backfills: { ...this.backfills },
      forward: this.forwardTimes.read(),
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    this.forwardTimes.rotate();
    const now = performance.now();
    const seconds = (now - this.last.at) / 1000;
    if (seconds <= 0) return;
    const { eventsIn, eventsOut } = this.counters;
    this.inPerSecond = Math.round((eventsIn - this.last.in) / seconds);
    this.outPerSecond = Math.round((eventsOut - this.last.out) / seconds);
    this.last = { in: eventsIn, out: eventsOut, at: now };
  }
}
