/**
 * ForwardTimes: how long the relay itself takes to forward an upstream frame, from handing it to
 * the protocol server to the last downstream socket write returning (filtering, encoding once per
 * distinct topic set, framing, the writes). Time a frame waits in the relay's event loop before
 * that, or in the kernel after it, is not in it.
 *
 * Kept as counts in fixed buckets, one set per second over the last `windowSeconds` (rotated by
 * the relay's once-a-second metrics tick), so a quantile describes the recent past and recording
 * costs one comparison loop and one increment per frame, never an allocation. A quantile is given
 * as its bucket's upper bound: "the p99 is at most this", never a guess below the truth.
 */

/** Bucket upper bounds, ms: 25 µs to about 4 s, doubling (finer where a relay should be). */
export const FORWARD_BUCKETS_MS: readonly number[] = [
  0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
];

/** What `RelayMetrics.forward` holds. */
export interface ForwardMetrics {
  /** Upstream frames forwarded since the relay started. */
  frames: number;
  /** The window the figures below describe, in seconds (the current second included). */
  windowSeconds: number;
  /** Frames forwarded in that window. */
  windowFrames: number;
  /**
   * At most this many ms for half of the window's frames, and for 99 of 100 (upper bounds of the
   * buckets holding those quantiles); null when the window has no frame. Above the last bucket
   * (about 4 s) the value is Infinity.
   */
  p50Ms: number | null;
  p99Ms: number | null;
  /** The slowest frame of the window, ms (exact); null when the window has no frame. */
  maxMs: number | null;
}

export class ForwardTimes {
  /** Per second of the window: a count per bucket, then one for above the last bucket. */
  readonly #slots: Uint32Array[];
  readonly #max: Float64Array;
  #current = 0;
  #frames = 0;

  constructor(readonly windowSeconds = 60) {
    this.#slots = Array.from(
      { length: windowSeconds },
      () => new Uint32Array(FORWARD_BUCKETS_MS.length + 1),
    );
    this.#max = new Float64Array(windowSeconds);
  }

  /** One frame forwarded in `ms`. */
  record(ms: number): void {
    let b = 0;
    while (b < FORWARD_BUCKETS_MS.length && ms > FORWARD_BUCKETS_MS[b]!) b++;
    this.#slots[this.#current]![b]!++;
    if (ms > this.#max[this.#current]!) this.#max[this.#current] = ms;
    this.#frames++;
  }

  /** A second has passed: the oldest second leaves the window. */
  rotate(): void {
    this.#current = (this.#current + 1) % this.windowSeconds;
    this.#slots[this.#current]!.fill(0);
    this.#max[this.#current] = 0;
  }

  read(): ForwardMetrics {
    const counts = new Array<number>(FORWARD_BUCKETS_MS.length + 1).fill(0);
    let windowFrames = 0;
    let maxMs = 0;
    for (let s = 0; s < this.windowSeconds; s++) {
      const slot = this.#slots[s]!;
      for (let b = 0; b < slot.length; b++) counts[b]! += slot[b]!;
      if (this.#max[s]! > maxMs) maxMs = this.#max[s]!;
    }
    for (const c of counts) windowFrames += c;
    const quantile = (q: number): number | null => {
      if (windowFrames === 0) return null;
      const rank = Math.ceil(q * windowFrames);
      let seen = 0;
      for (let b = 0; b < counts.length; b++) {
        seen += counts[b]!;
        if (seen >= rank) return FORWARD_BUCKETS_MS[b] ?? Infinity;
      }
      return Infinity;
    };
    return {
      frames: this.#frames,
      windowSeconds: this.windowSeconds,
      windowFrames,
      p50Ms: quantile(0.5),
      p99Ms: quantile(0.99),
      maxMs: windowFrames === 0 ? null : maxMs,
    };
  }
}
