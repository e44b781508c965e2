/**
 * The sink's in-flight window: the batches sent on its one connection and not answered yet, oldest
 * first (Redis answers in order). A lost connection takes every batch back at once, in order, and
 * starts a new epoch: replies that still arrive for the old batches are stale (their entries are
 * queued again and counted when their copy is written).
 */
import type { WireEvent } from '../../protocol/codec.js';

/** A batch sent, awaiting its reply. */
export interface InFlight {
  readonly entries: WireEvent[][];
  readonly events: number;
  /** The epoch it was sent in. */
  readonly epoch: number;
  /** Settles (never rejects) once its reply was handled. */
  done: Promise<void>;
}

export class InFlightWindow {
  #batches: InFlight[] = [];
  #events = 0;
  #epoch = 0;

  /** Batches in flight. */
  get size(): number {
    return this.#batches.length;
  }

  /** Events in flight. */
  get events(): number {
    return this.#events;
  }

  /** A new batch of this epoch, in the window. */
  add(entries: WireEvent[][], events: number): InFlight {
    const batch: InFlight = { entries, events, epoch: this.#epoch, done: Promise.resolve() };
    this.#batches.push(batch);
    this.#events += events;
    return batch;
  }

  /** True for a batch sent before the last `takeAll`. */
  isStale(batch: InFlight): boolean {
    return batch.epoch !== this.#epoch;
  }

  /** Take an answered batch out of the window. */
  settle(batch: InFlight): void {
    const at = this.#batches.indexOf(batch);
    if (at < 0) return;
    this.#batches.splice(at, 1);
    this.#events -= batch.events;
  }

  /** Every batch's entries, oldest first, out of the window; what is still answered is stale. */
  takeAll(): WireEvent[][] {
    const entries = this.#batches.flatMap((b) => b.entries);
    this.#batches = [];
    this.#events = 0;
    this.#epoch++;
    return entries;
  }

  /** Settles once every batch in the window now has been answered. */
  settled(): Promise<unknown> {
    return Promise.all(this.#batches.map((b) => b.done));
  }
}
