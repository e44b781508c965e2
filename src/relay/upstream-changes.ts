/**
 * When the relay's upstream sends its subscription changes, and how many messages: changes gather
 * for `coalesceMs` after the first one, then one flush sends what differs between what is wanted
 * and what is subscribed upstream (at most one subscribe and one unsubscribe message, split only
 * past MAX_TOPICS_PER_MESSAGE topics), as far as a token bucket of messages allows. A client
 * flapping a topic thus costs at most two messages per flush, and any interval of T seconds at
 * most UPSTREAM_BURST + UPSTREAM_MESSAGES_PER_SECOND × T messages. No socket in here: the upstream
 * (upstream.ts) says what differs and sends it.
 */
import { MAX_TOPICS_PER_MESSAGE } from '../client/subscriptions/subscription-requests.js';

/**
 * Upstream subscribe/unsubscribe messages one relay may send at once per cluster (the bucket's
 * size). With UPSTREAM_MESSAGES_PER_SECOND it bounds any interval of T seconds to
 * UPSTREAM_BURST + UPSTREAM_MESSAGES_PER_SECOND × T subscription messages upstream.
 */
export const UPSTREAM_BURST = 10;

/** Upstream subscribe/unsubscribe messages per second, sustained, per cluster (the refill rate). */
export const UPSTREAM_MESSAGES_PER_SECOND = 5;

/** How long subscription changes gather after the first one before they are sent upstream, ms. */
export const COALESCE_MS = 50;

/** A token bucket: `burst` tokens at most, refilled continuously at `perSecond`. Starts full. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly burst = UPSTREAM_BURST,
    readonly perSecond = UPSTREAM_MESSAGES_PER_SECOND,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.tokens = burst;
    this.at = now();
  }

  /** Whole tokens available now. */
  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  /** Spend `n` tokens (no more than `available()`). */
  take(n: number): void {
    this.refill();
    this.tokens -= n;
  }

  /** Milliseconds until a whole token is available (0 when one is). */
  msUntilNext(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    // Less a rounding error's worth: 0.995 tokens at 5/s is 1 ms away, not 1.0000000000000009.
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.perSecond - 1e-9));
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perSecond) / 1000);
    this.at = now;
  }
}

/** What to subscribe and unsubscribe upstream. */
export interface Changes<T> {
  subscribe: T[];
  unsubscribe: T[];
}

export interface PacingOptions {
  /** How long changes gather before a flush, ms; default COALESCE_MS. */
  coalesceMs?: number;
  /** The bucket of upstream messages; default UPSTREAM_BURST, refilled UPSTREAM_MESSAGES_PER_SECOND. */
  bucket?: TokenBucket;
}

export class UpstreamChanges<T> {
  private readonly coalesceMs: number;
  private readonly bucket: TokenBucket;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Which kind goes first when the tokens cannot carry both; flips each time one is cut. */
  private unsubscribeFirst = false;

  /**
   * `plan` says, at a flush, what differs between what is wanted and what is subscribed; `send`
   * is then called once with what the tokens carry (possibly nothing: the owner may settle what
   * waited on the flush). What did not fit is planned again at the next token.
   */
  constructor(
    private readonly plan: () => Changes<T>,
    private readonly send: (changes: Changes<T>) => void,
    options: PacingOptions = {},
  ) {
    this.coalesceMs = options.coalesceMs ?? COALESCE_MS;
    this.bucket = options.bucket ?? new TokenBucket();
  }

  /** Something changed: a flush runs `coalesceMs` from now, unless one is already due. */
  changed(): void {
    if (this.closed || this.timer !== undefined) return;
    this.arm(this.coalesceMs);
  }

  /** Whether a flush is due. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** No more flushes; the timer is cleared. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.flush(), ms);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed) return;
    const tokens = this.bucket.available();
    if (tokens < 1) {
      this.arm(this.bucket.msUntilNext());
      return;
    }
    const wanted = this.plan();
    const out: Changes<T> = { subscribe: [], unsubscribe: [] };
    const order = this.unsubscribeFirst
      ? (['unsubscribe', 'subscribe'] as const)
      : (['subscribe', 'unsubscribe'] as const);
    let left = tokens;
    let cut = false;
    for (const kind of order) {
      const all = wanted[kind];
      const messages = Math.min(left, Math.ceil(all.length / MAX_TOPICS_PER_MESSAGE));
      out[kind] = all.slice(0, messages * MAX_TOPICS_PER_MESSAGE);
      left -= messages;
      if (out[kind].length < all.length) cut = true;
    }
    this.bucket.take(tokens - left);
    this.send(out);
    if (!cut) return;
    this.unsubscribeFirst = !this.unsubscribeFirst;
    if (!this.closed && this.timer === undefined) this.arm(this.bucket.msUntilNext());
  }
}
