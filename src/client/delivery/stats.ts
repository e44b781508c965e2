/**
 * Counters for `client.stats()`. Recording is O(1) and allocation-free (one clock read per frame);
 * the work — summing the rate window, sorting latency samples — happens in `snapshot()`.
 *
 * - Rate: events per second over the last `rateWindowMs` whole buckets plus the current partial
 *   one, from a ring of per-bucket counts.
 * - Latency: now − event timestamp, in ms, one sample per frame (the caller passes one timestamp,
 *   e.g. the frame's last event's `t`), kept in a fixed ring of the most recent samples; p50/p99
 *   are nearest-rank over that ring. Timestamps are normalised to ms by magnitude (s, ms, µs, ns,
 *   `timestampToMs`) because the provider mixes them. It measures the provider-to-us delay only as far as the two
 *   clocks agree: skew shows up as an offset, and can make samples negative.
 */
import { timestampToMs } from '../../protocol/timestamps.js';
import { integer, MAX_TIMER_MS } from '../../validate.js';

export type Clock = () => number;

export interface StatsOptions {
  /** Wall clock in Unix ms (default `Date.now`); inject a fake one in tests. */
  now?: Clock;
  /** Span of the events-per-second window (default 10,000 ms). */
  rateWindowMs?: number;
  /** Buckets the window is cut into (default 10): the rate's time resolution. */
  rateBuckets?: number;
  /** Latency samples kept for percentiles (default 1,024). */
  latencySamples?: number;
  /** Reports how many events are waiting in consumer queues (default: none, 0). */
  queueDepth?: () => number;
}

export interface LatencySnapshot {
  /** Samples the percentiles were computed over (the most recent, at most `latencySamples`). */
  readonly samples: number;
  /** Median latency, ms. */
  readonly p50: number;
  /** 99th-percentile latency, ms. */
  readonly p99: number;
  /** Smallest latency among the samples, ms (negative means the clocks disagree). */
  readonly min: number;
  /** Largest latency among the samples, ms. */
  readonly max: number;
  /** The most recent sample, ms. */
  readonly last: number;
}

/** A plain, JSON-serialisable copy of the counters at one instant. */
export interface StatsSnapshot {
  /** When the collector was created (Unix ms). */
  readonly startedAt: number;
  /** Time since `startedAt`, ms. */
  readonly uptimeMs: number;
  /** Data frames received. */
  readonly frames: number;
  /** Events received, as counted by the caller (every event in every frame). */
  readonly events: number;
  /** Frame payload bytes received. */
  readonly bytes: number;
  /**
   * Events per second over the last `rateWindowMs` plus the current partial bucket (or since
   * start, when that is shorter).
   */
  readonly eventsPerSecond: number;
  /** The nominal span of the rate window, ms (the current partial bucket comes on top). */
  readonly rateWindowMs: number;
  /** Reconnections since start. */
  readonly reconnects: number;
  /** Events dropped, all reasons. */
  readonly dropped: number;
  /** Events dropped, by reason (`oldest`, `newest`, `conflated`, `overflow`, `malformed`, …). */
  readonly drops: Readonly<Record<string, number>>;
  /** Events waiting in consumer queues now. */
  readonly queueDepth: number;
  /**
   * Latency figures in ms. null until the first sample, which a frame gives when its last event
   * carries a positive numeric timestamp (`t`, or `s` for aggregates): so null before any data
   * arrives, while only status messages have come (they have no timestamp), and in raw mode (an
   * `onMessage` handler and no event listener), where frames are decoded only while a subscribe
   * awaits its acknowledgement.
   */
  readonly latencyMs: LatencySnapshot | null;
  /** When the last frame arrived (Unix ms; status frames count). null until the first frame. */
  readonly lastFrameAt: number | null;
}

export class Stats {
  readonly startedAt: number;
  #frames = 0;
  #events = 0;
  #bytes = 0;
  #reconnects = 0;
  #dropped = 0;
  readonly #drops = new Map<string, number>();
  #lastFrameAt: number | null = null;

  readonly #now: Clock;
  #queueDepth: (() => number) | undefined;

  readonly #windowMs: number;
  readonly #bucketMs: number;
  readonly #buckets: Float64Array;
  #bucket: number; // absolute bucket number (floor(now / bucketMs)) the ring's current slot holds
  #slot = 0; // #bucket % ring length
  #bucketEnd = 0; // when #bucket ends (ms): recordFrame only rotates past it

  readonly #latency: Float64Array;
  #latencyCount = 0; // samples ever recorded
  #latencyIndex = 0; // next ring slot (#latencyCount % length)
  #latencyLast = 0;

  constructor(options: StatsOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#queueDepth = options.queueDepth;
    const buckets = positiveInt(options.rateBuckets, 10, 'rateBuckets', 1_000_000);
    this.#windowMs = positiveInt(options.rateWindowMs, 10_000, 'rateWindowMs', MAX_TIMER_MS);
    this.#bucketMs = this.#windowMs / buckets;
    this.#buckets = new Float64Array(buckets + 1); // + the current, partial bucket
    this.#latency = new Float64Array(
      positiveInt(options.latencySamples, 1024, 'latencySamples', 1_000_000),
    );
    this.startedAt = this.#now();
    this.#bucket = Math.floor(this.startedAt / this.#bucketMs);
    this.#advance(this.startedAt);
  }

  /**
   * Record one received frame: its size in bytes, how many events it carried, and optionally one
   * event timestamp (any unit; e.g. the last event's `t`) for a latency sample. The timestamp may
   * be passed straight from the event: anything but a positive finite number is ignored.
   */
  recordFrame(bytes: number, eventCount: number, lastTimestamp?: unknown, now = this.#now()): void {
    this.#frames++;
    this.#bytes += bytes;
    this.#events += eventCount;
    this.#lastFrameAt = now;
    if (now >= this.#bucketEnd) this.#advance(now);
    this.#buckets[this.#slot]! += eventCount;
    if (typeof lastTimestamp === 'number' && lastTimestamp > 0 && lastTimestamp < Infinity) {
      const sample = now - timestampToMs(lastTimestamp);
      this.#latency[this.#latencyIndex] = sample;
      if (++this.#latencyIndex === this.#latency.length) this.#latencyIndex = 0;
      this.#latencyCount++;
      this.#latencyLast = sample;
    }
  }

  /** Record a reconnection. */
  recordReconnect(): void {
    this.#reconnects++;
  }

  /** Record dropped events (queue overflow, conflation, malformed entries, …). */
  recordDrop(reason: string, count = 1): void {
    this.#dropped += count;
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + count);
  }

  /** Set (or replace) the callback that reports queued events. */
  setQueueDepth(queueDepth: (() => number) | undefined): void {
    this.#queueDepth = queueDepth;
  }

  /** A plain copy of the counters now. */
  snapshot(): StatsSnapshot {
    const now = this.#now();
    this.#advance(now);
    let sum = 0;
    for (const n of this.#buckets) sum += n;
    const windowStart = Math.max(
      (this.#bucket - this.#buckets.length + 1) * this.#bucketMs,
      this.startedAt,
    );
    const covered = now - windowStart;
    return {
      startedAt: this.startedAt,
      uptimeMs: now - this.startedAt,
      frames: this.#frames,
      events: this.#events,
      bytes: this.#bytes,
      eventsPerSecond: covered > 0 ? (sum * 1000) / covered : 0,
      rateWindowMs: this.#windowMs,
      reconnects: this.#reconnects,
      dropped: this.#dropped,
      drops: Object.fromEntries(this.#drops),
      queueDepth: this.#queueDepth?.() ?? 0,
      latencyMs: this.#latencySnapshot(),
      lastFrameAt: this.#lastFrameAt,
    };
  }

  /** Rotate the rate ring up to `now`'s bucket, zeroing the buckets skipped; returns its slot. */
  #advance(now: number): number {
    const n = this.#buckets.length;
    const b = Math.floor(now / this.#bucketMs);
    if (b > this.#bucket) {
      if (b - this.#bucket >= n) this.#buckets.fill(0);
      else for (let k = this.#bucket + 1; k <= b; k++) this.#buckets[k % n] = 0;
      this.#bucket = b;
    }
    // A clock stepping back keeps counting in the current bucket.
    this.#slot = this.#bucket % n;
    this.#bucketEnd = (this.#bucket + 1) * this.#bucketMs;
    return this.#slot;
  }

  #latencySnapshot(): LatencySnapshot | null {
    const count = Math.min(this.#latencyCount, this.#latency.length);
    if (count === 0) return null;
    const sorted = this.#latency.slice(0, count).sort();
    return {
      samples: count,
      p50: nearestRank(sorted, 50),
      p99: nearestRank(sorted, 99),
      min: sorted[0]!,
      max: sorted[count - 1]!,
      last: this.#latencyLast,
    };
  }
}

/** Nearest-rank percentile of a sorted, non-empty array. */
function nearestRank(sorted: Float64Array, p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)]!;
}

function positiveInt(value: unknown, fallback: number, name: string, max: number): number {
  return value === undefined ? fallback : integer('Stats', name, value, { min: 1, max });
}
