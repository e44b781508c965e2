/**
 * WrittenLog: what the sink has written to one stream, batch by batch (first id, last id, running
 * count of events: an entry holds several), so that when Redis comes back rolled back (its last-generated-id behind the sink's last
 * id) or empty the sink can count exactly the events of its entries Redis no longer holds. A batch is
 * one server-side script, applied and persisted whole, so it is either all above Redis's last id or
 * all at or below it. The log forgets batches Redis has trimmed (they are gone whatever happens)
 * and, past `maxBatches`, the oldest ones: a rollback behind that horizon is then counted as "at
 * least".
 */
import { compareStreamIds } from '../stream-id.js';

export type LossBound = 'exact' | 'at least' | 'at most';

export interface Loss {
  /** Events the sink wrote (and had not seen trimmed) that Redis no longer holds. */
  lost: number;
  bound: LossBound;
}

const DEFAULT_MAX_BATCHES = 100_000;

export class WrittenLog {
  #first: string[] = [];
  #last: string[] = [];
  /** Events written up to and including batch i, counted from the start of the log. */
  #upTo: number[] = [];
  #head = 0;
  /** Events in the batches forgotten because Redis trimmed them. */
  #trimmedBase = 0;
  /** Events in the batches forgotten for room: a rollback behind them is counted "at least". */
  #cappedBase = 0;
  /** The last id of the newest batch forgotten for room. */
  #cappedLast: string | undefined;
  #total = 0;
  readonly #maxBatches: number;

  constructor(maxBatches = DEFAULT_MAX_BATCHES) {
    this.#maxBatches = maxBatches;
  }

  /** The last id the sink wrote, or undefined before any write (or after everything was lost). */
  get lastId(): string | undefined {
    return this.#last.length > this.#head ? this.#last[this.#last.length - 1] : undefined;
  }

  /** A batch of entries from `firstId` to `lastId` holding `count` events. */
  record(firstId: string, lastId: string, count: number): void {
    this.#total += count;
    this.#first.push(firstId);
    this.#last.push(lastId);
    this.#upTo.push(this.#total);
    if (this.#last.length - this.#head > this.#maxBatches) this.#forget(this.#head + 1, 'capped');
  }

  /** Redis trimmed every entry before `firstKept` (the stream's first entry now). */
  trimmedBefore(firstKept: string | undefined): void {
    let end = this.#head;
    while (
      end < this.#last.length &&
      (firstKept === undefined || compareStreamIds(this.#last[end]!, firstKept) < 0)
    ) {
      end++;
    }
    if (end > this.#head) this.#forget(end, 'trimmed');
  }

  /**
   * Redis's stream now ends at `redisLastId` ('0-0': missing or empty): count the batches above it,
   * forget them, and say how sure the count is.
   */
  rolledBackTo(redisLastId: string): Loss {
    const n = this.#last.length;
    // The first batch whose last id is above Redis's last id: that one and every later one are gone.
    let lo = this.#head;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareStreamIds(this.#last[mid]!, redisLastId) <= 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo === n) return { lost: 0, bound: 'exact' };
    const before = lo > this.#head ? this.#upTo[lo - 1]! : this.#trimmedBase + this.#cappedBase;
    const lost = this.#total - before;
    let bound: LossBound = 'exact';
    // A batch straddling Redis's last id (never seen: scripts are atomic) is counted whole.
    if (compareStreamIds(this.#first[lo]!, redisLastId) <= 0) bound = 'at most';
    // Behind the forgotten batches: they may be gone too, uncounted.
    if (
      lo === this.#head &&
      this.#cappedLast !== undefined &&
      compareStreamIds(this.#cappedLast, redisLastId) > 0
    ) {
      bound = 'at least';
    }
    this.#first.length = lo;
    this.#last.length = lo;
    this.#upTo.length = lo;
    this.#total -= lost;
    return { lost, bound };
  }

  #forget(end: number, why: 'trimmed' | 'capped'): void {
    const before =
      this.#head > 0 ? this.#upTo[this.#head - 1]! : this.#trimmedBase + this.#cappedBase;
    const count = this.#upTo[end - 1]! - before;
    if (why === 'trimmed') this.#trimmedBase += count;
    else {
      this.#cappedBase += count;
      this.#cappedLast = this.#last[end - 1];
    }
    this.#head = end;
    if (this.#head > 4096 && this.#head * 2 > this.#last.length) {
      this.#first = this.#first.slice(this.#head);
      this.#last = this.#last.slice(this.#head);
      this.#upTo = this.#upTo.slice(this.#head);
      this.#head = 0;
    }
  }
}
