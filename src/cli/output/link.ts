/**
 * What the CLI tells a person about the connection and the data, counted by the CLI itself from
 * the client's public notifications (`state`, `reconnect`) and the data events it handles:
 * - the connection state, first on the status line: `connecting` (retries of the first
 *   connection included), `live`, `reconnecting 2/20` (attempt / attempts allowed, once it has
 *   been live), `reclaiming` (waiting to take a connection back after max_connections), `closed`;
 * - data events only (status messages are not events a trader asked for), and their current
 *   rate: events per second over the last RATE_WINDOW_MS, from the same rate window as the
 *   client's `stats()` (a Stats of its own, as the client's counts status messages and not the
 *   events backfill delivers), whose window starts when the connection is first live, so the
 *   time spent connecting does not dilute the first seconds' rate;
 * - reconnections that succeeded, apart from the attempts they took (one outage that needed three
 *   attempts is one reconnect, three attempts).
 */
import type { ConnectionState, ReconnectInfo, StatsSnapshot, StreamClient } from '../../index.js';
import { Stats } from '../../client/delivery/stats.js';

/** The span of the status line's rate: short enough to follow the feed, long enough to be even. */
export const RATE_WINDOW_MS = 5_000;

/** The rate window of a fresh watch: RATE_WINDOW_MS in half-second buckets. */
function rateWindow(now: () => number): Stats {
  return new Stats({ now, rateWindowMs: RATE_WINDOW_MS, rateBuckets: 10 });
}

/** The words the status line leads with. (Room for more: a future `filling gap`, say.) */
type LinkState = 'connecting' | 'live' | 'reconnecting' | 'reclaiming' | 'closed';

/** The CLI's own figures, as the status line prints them. */
export interface LinkFigures {
  /** The state as shown: `live`, `reconnecting 2/20` … */
  readonly state: string;
  readonly live: boolean;
  /** Data events handled (printed / recorded), statuses not included. */
  readonly events: number;
  /**
   * Data events per second now: over the last RATE_WINDOW_MS (and the current half-second), or
   * since the connection was first live when that is shorter. 0 after RATE_WINDOW_MS without data.
   */
  readonly eventsPerSecond: number;
  /** Successful reconnections. */
  readonly reconnects: number;
  /** Reconnect attempts, successful or not. */
  readonly attempts: number;
  /** How long no data event has arrived, ms. */
  readonly quietMs: number;
  /** Time since the watch started, ms. */
  readonly uptimeMs: number;
}

export class LinkWatch {
  private state: LinkState = 'connecting';
  private attempt = 0;
  private everLive = false;
  /** A reconnect was scheduled since the connection was last live. */
  private outage = false;
  private reconnects = 0;
  private attempts = 0;
  private count = 0;
  private rate: Stats;
  private readonly startedAt: number;
  private lastDataAt: number;

  /** `maxAttempts`: the client's reconnect budget (undefined: it does not reconnect). */
  constructor(
    private readonly maxAttempts: number | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.rate = rateWindow(now);
    this.startedAt = this.lastDataAt = now();
  }

  /** Follow a client's state changes and reconnect attempts. */
  attach(client: Pick<StreamClient, 'on'>): void {
    client.on('state', ({ state }) => this.stateChanged(state));
    client.on('reconnect', (info) => this.reconnecting(info));
  }

  /** One data event was handled. */
  dataEvent(): void {
    const now = this.now();
    this.lastDataAt = now;
    this.count++;
    this.rate.recordFrame(0, 1, undefined, now);
  }

  /** Whether the connection has been live at least once (after that, retries are reconnects). */
  get wasLive(): boolean {
    return this.everLive;
  }

  /** Data events handled so far. */
  get events(): number {
    return this.count;
  }

  figures(): LinkFigures {
    const now = this.now();
    const live = this.state === 'live';
    const snapshot = this.rate.snapshot();
    return {
      state: this.state === 'reconnecting' ? this.reconnectLabel() : this.state,
      live,
      events: this.count,
      eventsPerSecond: snapshot.eventsPerSecond,
      reconnects: this.reconnects,
      attempts: this.attempts,
      quietMs: now - this.lastDataAt,
      uptimeMs: now - this.startedAt,
    };
  }

  private reconnectLabel(): string {
    if (this.maxAttempts === undefined) return 'reconnecting';
    const max = Number.isFinite(this.maxAttempts) ? String(this.maxAttempts) : '∞';
    return `reconnecting ${this.attempt}/${max}`;
  }

  private reconnecting(info: ReconnectInfo): void {
    // Retries of the first connection are still `connecting` (bounded by the client's
    // firstConnectTimeoutMs, not by the reconnect budget the label counts), and no reconnects.
    if (!this.everLive) return;
    this.outage = true;
    // A fixed delay after max_connections is a wait to take the connection back, not a retry.
    if (info.cause.code === 'MAX_CONNECTIONS') {
      this.state = 'reclaiming';
      return;
    }
    this.attempts++;
    this.attempt = info.attempt;
    this.state = 'reconnecting';
  }

  private stateChanged(state: ConnectionState): void {
    switch (state) {
      case 'open':
        if (this.outage && this.everLive) this.reconnects++;
        if (!this.everLive) this.rate = rateWindow(this.now); // count from when data can flow
        this.everLive = true;
        this.outage = false;
        this.state = 'live';
        return;
      case 'closing':
      case 'closed':
        this.state = 'closed';
        return;
      case 'reconnecting':
        return; // the 'reconnect' notification that follows says which kind
      default:
        // idle / connecting / authenticating: the first connection, or one more attempt (whose
        // state, reconnecting or reclaiming, holds until it is live).
        if (!this.outage) this.state = 'connecting';
    }
  }
}

/** Only the parts of the client's snapshot the status line shows beside the CLI's own figures. */
export type ClientFigures = Pick<StatsSnapshot, 'dropped' | 'latencyMs'> & {
  /** With --backfill: events delivered from REST history so far. */
  backfilled?: number;
  /** With --backfill: topic fills that ended with ranges that may lack events. */
  partialFills?: number;
  /** With --from: topics subscribed with history first, those caught up, and partly. */
  catchUp?: { topics: number; caughtUp: number; partial: number };
};
