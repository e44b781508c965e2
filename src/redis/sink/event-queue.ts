/**
 * EventQueue: the sink's FIFO of events waiting for Redis. Taking from the front moves a head index
 * (compacted now and then) instead of shifting the array; a batch that failed in transit goes back
 * to the front, in order.
 */
import type { WireEvent } from '../../protocol/codec.js';

export class EventQueue {
  #items: WireEvent[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(event: WireEvent): void {
    this.#items.push(event);
  }

  /** Up to `n` events from the front. */
  take(n: number): WireEvent[] {
    const batch = this.#items.slice(this.#head, this.#head + n);
    this.#head += batch.length;
    if (this.#head === this.#items.length) {
      this.clear();
    } else if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return batch;
  }

  /** Put `batch` back in front of everything queued. */
  requeue(batch: WireEvent[]): void {
    this.#items = batch.concat(this.#items.slice(this.#head));
    this.#head = 0;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
