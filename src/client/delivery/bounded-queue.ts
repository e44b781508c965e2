/**
 * A bounded queue between the socket reader and one async consumer (a listener's drain loop or an
 * async iterator), so reading the socket never waits on user code. `push` is synchronous and O(1)
 * amortised: a ring buffer that grows by doubling up to `capacity`, never beyond it.
 *
 * Overflow policies, when a push finds the queue full:
 * - `drop-oldest` (default): evict the oldest pending item, keep the new one.
 * - `drop-newest`: reject the new item; `push` returns false.
 * - `latest`: conflate by `keyOf(item)`: a new item whose key is already pending replaces it in
 *   place (always, full or not — the consumer only ever sees the latest per key); an item with a
 *   new key, or none (`keyOf` → undefined, e.g. status events), evicts the oldest when full.
 * - `error`: the queue fails: pending items are still delivered, then the iterator throws a
 *   PolygonStreamError `QUEUE_OVERFLOW` whose details carry the figures.
 *
 * Why `drop-oldest` by default: it never blocks the reader and never tears down a consumer on a
 * transient burst, memory stays bounded, and for market data the freshest events are the valuable
 * ones — a consumer that falls behind catches up on current prices rather than replaying stale
 * ones. Every drop is counted (`dropped`, `drops`) and reported through `onDrop`, so loss is
 * visible. Use `error` when completeness matters more than liveness, `latest` for quote-like
 * streams keyed by topic.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import { fn, integer, invalidOption, oneOf } from '../../validate.js';

export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'latest' | 'error';

/** Why an item was dropped: evicted as oldest, rejected as newest, replaced, or overflowed. */
export type DropReason = 'oldest' | 'newest' | 'conflated' | 'overflow';

/** How the queue stopped accepting items. */
export type QueueEndReason = 'closed' | 'failed' | 'aborted' | 'returned';

export const DEFAULT_QUEUE_CAPACITY = 10_000;
export const DEFAULT_OVERFLOW_POLICY: OverflowPolicy = 'drop-oldest';
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = [
  'drop-oldest',
  'drop-newest',
  'latest',
  'error',
];

export interface BoundedQueueOptions<T> {
  /** Most items pending at once (≥ 1). Default `DEFAULT_QUEUE_CAPACITY` (10,000). */
  capacity?: number;
  /** What a push does when the queue is full. Default `'drop-oldest'`. */
  overflow?: OverflowPolicy;
  /** Conflation key (required for `'latest'`, e.g. `topicOf`); undefined means never conflate. */
  keyOf?: (item: T) => unknown;
  /** Aborting ends the iteration cleanly (pending items are discarded, the iterator is done). */
  signal?: AbortSignal;
  /** Called synchronously for every dropped item. Must not throw: it runs inside `push`. */
  onDrop?: (item: T, reason: DropReason) => void;
  /** Called once when the queue stops accepting items (close, fail, abort or return). */
  onEnd?: (reason: QueueEndReason) => void;
}

type Waiter<T> = {
  resolve: (r: IteratorResult<T, undefined>) => void;
  reject: (e: unknown) => void;
};

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class BoundedQueue<T> implements AsyncIterable<T> {
  readonly capacity: number;
  readonly policy: OverflowPolicy;
  /** Total items accepted by `push` (including ones later dropped). */
  pushed = 0;
  /** Most items ever pending at once. */
  peak = 0;

  #buf: (T | undefined)[];
  #keys: unknown[] | undefined; // parallel to #buf, 'latest' only
  #pending: Map<unknown, number> | undefined; // key → absolute sequence number of its slot
  #head = 0;
  #count = 0;
  #headSeq = 0; // absolute sequence number of the item at #head
  #state: 'open' | QueueEndReason = 'open';
  #error: unknown = undefined;
  #errorDelivered = false;
  #waiters: Waiter<T>[] = [];
  #drops: Record<DropReason, number> = { oldest: 0, newest: 0, conflated: 0, overflow: 0 };
  #dropped = 0;
  readonly #keyOf: ((item: T) => unknown) | undefined;
  readonly #onDrop: ((item: T, reason: DropReason) => void) | undefined;
  readonly #onEnd: ((reason: QueueEndReason) => void) | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.#end('aborted', true);

  constructor(options: BoundedQueueOptions<T> = {}) {
    const capacity = options.capacity ?? DEFAULT_QUEUE_CAPACITY;
    const policy = options.overflow ?? DEFAULT_OVERFLOW_POLICY;
    integer('queue', 'capacity', capacity, { min: 1 });
    oneOf('queue', 'overflow', policy, OVERFLOW_POLICIES);
    if (policy === 'latest') fn('queue', "keyOf (for overflow 'latest')", options.keyOf);
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
      throw invalidOption('queue', 'signal', 'an AbortSignal', options.signal);
    }
    this.capacity = capacity;
    this.policy = policy;
    this.#buf = new Array<T | undefined>(Math.min(capacity, 16));
    if (policy === 'latest') {
      this.#keyOf = options.keyOf;
      this.#keys = new Array<unknown>(this.#buf.length);
      this.#pending = new Map();
    }
    this.#onDrop = options.onDrop;
    this.#onEnd = options.onEnd;
    this.#signal = options.signal;
    if (this.#signal?.aborted) this.#end('aborted', true);
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Items pending. */
  get size(): number {
    return this.#count;
  }

  /** Items dropped so far, all reasons. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Items dropped so far, by reason (a live read-only view). */
  get drops(): Readonly<Record<DropReason, number>> {
    return this.#drops;
  }

  /** False once closed, failed, aborted or returned: pushes are then refused. */
  get open(): boolean {
    return this.#state === 'open';
  }

  /**
   * Offer an item. Returns true when it was accepted (queued, handed to a waiting consumer, or
   * replacing a pending item of its key), false when it was refused: dropped as newest, the
   * overflow that failed an `'error'` queue, or pushed after the queue ended (not counted as a
   * drop).
   */
  push(item: T): boolean {
    if (this.#state !== 'open') return false;
    if (this.#waiters.length > 0) {
      // Waiters exist only while the queue is empty: hand over directly.
      this.pushed++;
      this.#waiters.shift()!.resolve({ done: false, value: item });
      return true;
    }
    let key: unknown;
    if (this.#pending !== undefined) {
      key = this.#keyOf!(item);
      if (key !== undefined) {
        const seq = this.#pending.get(key);
        if (seq !== undefined) {
          const i = this.#slot(seq - this.#headSeq);
          const old = this.#buf[i] as T;
          this.#buf[i] = item;
          this.pushed++;
          this.#drop(old, 'conflated');
          return true;
        }
      }
    }
    if (this.#count === this.capacity) {
      if (this.policy === 'drop-newest') {
        this.#drop(item, 'newest');
        return false;
      }
      if (this.policy === 'error') {
        const err = new PolygonStreamError(
          ErrorCode.QueueOverflow,
          `Consumer queue overflowed: ${this.capacity} events pending and the consumer is not ` +
            `keeping up (overflow policy 'error')`,
          { capacity: this.capacity, pending: this.#count, pushed: this.pushed, policy: 'error' },
        );
        this.#drop(item, 'overflow');
        this.fail(err);
        return false;
      }
      const old = this.#shift();
      this.#enqueue(item, key);
      this.#drop(old, 'oldest');
      return true;
    }
    this.#enqueue(item, key);
    return true;
  }

  /** Take the oldest pending item without waiting, or undefined when none is pending. */
  shift(): T | undefined {
    return this.#count === 0 ? undefined : this.#shift();
  }

  /** Stop accepting items; pending ones are still delivered, then iteration ends. Idempotent. */
  close(): void {
    this.#end('closed', false);
  }

  /**
   * Stop accepting items with an error: pending items are still delivered, then the next read
   * rejects with `err` (once); after that iteration is done. No-op once the queue has ended.
   */
  fail(err: unknown): void {
    if (this.#state !== 'open') return;
    this.#error = err;
    this.#end('failed', false);
  }

  /** Wait for the next item: resolves done once the queue has ended and drained. */
  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#count > 0) return Promise.resolve({ done: false, value: this.#shift() });
    if (this.#state === 'failed' && !this.#errorDelivered) {
      this.#errorDelivered = true;
      this.#detach();
      return Promise.reject(this.#error);
    }
    if (this.#state !== 'open') {
      this.#detach();
      return Promise.resolve(DONE);
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /**
   * An async iterator over the queue. `return()` (a `break` out of `for await`) ends the queue:
   * pending items are discarded and further pushes refused.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T, undefined, undefined> {
    const iterator: AsyncIterableIterator<T, undefined, undefined> = {
      next: () => this.next(),
      return: () => {
        this.#end('returned', true);
        return Promise.resolve(DONE);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  #slot(offset: number): number {
    const i = this.#head + offset;
    return i >= this.#buf.length ? i - this.#buf.length : i;
  }

  #enqueue(item: T, key: unknown): void {
    if (this.#count === this.#buf.length) this.#grow();
    const i = this.#slot(this.#count);
    this.#buf[i] = item;
    if (this.#keys !== undefined) {
      this.#keys[i] = key;
      if (key !== undefined) this.#pending!.set(key, this.#headSeq + this.#count);
    }
    this.pushed++;
    if (++this.#count > this.peak) this.peak = this.#count;
  }

  #shift(): T {
    const h = this.#head;
    const item = this.#buf[h] as T;
    this.#buf[h] = undefined;
    if (this.#keys !== undefined) {
      const key = this.#keys[h];
      if (key !== undefined) this.#pending!.delete(key);
      this.#keys[h] = undefined;
    }
    this.#head = h + 1 === this.#buf.length ? 0 : h + 1;
    this.#count--;
    this.#headSeq++;
    return item;
  }

  #grow(): void {
    const size = Math.min(this.capacity, Math.max(16, this.#buf.length * 2));
    const buf = new Array<T | undefined>(size);
    const keys = this.#keys === undefined ? undefined : new Array<unknown>(size);
    for (let k = 0; k < this.#count; k++) {
      const i = this.#slot(k);
      buf[k] = this.#buf[i];
      if (keys !== undefined) keys[k] = this.#keys![i];
    }
    this.#buf = buf;
    this.#keys = keys;
    this.#head = 0; // slots move, sequence numbers (the #pending values) do not
  }

  #drop(item: T, reason: DropReason): void {
    this.#drops[reason]++;
    this.#dropped++;
    this.#onDrop?.(item, reason);
  }

  #end(reason: QueueEndReason, discard: boolean): void {
    if (discard) {
      this.#buf = [];
      this.#keys = this.#keys === undefined ? undefined : [];
      this.#pending?.clear();
      this.#head = 0;
      this.#count = 0;
      if (this.#state === 'failed') this.#errorDelivered = true;
      this.#detach();
    }
    if (this.#state !== 'open') return;
    this.#state = reason;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const [k, w] of waiters.entries()) {
      if (k === 0 && reason === 'failed') {
        this.#errorDelivered = true;
        w.reject(this.#error);
      } else {
        w.resolve(DONE);
      }
    }
    // Until drained, an abort may still discard what a close or fail left pending.
    if (this.#count === 0 && (reason !== 'failed' || this.#errorDelivered)) this.#detach();
    this.#onEnd?.(reason);
  }

  #detach(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}
