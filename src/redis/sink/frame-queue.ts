/**
 * FrameQueue: the sink's FIFO of frames (arrays of events) waiting for Redis, counted in events.
 * `take` cuts the front into stream entries of at most `entryEvents` events: a frame is one entry,
 * a larger frame is split, and frames queued one behind another are merged while they fit. Taking
 * moves a head index (compacted now and then) instead of shifting the array; entries that failed
 * in transit go back to the front, in order, as they were cut.
 *
 * The queue owns the arrays it is given (the sink copies each frame) and may append to them.
 */
import type { WireEvent } from '../../protocol/codec.js';

export class FrameQueue {
  #frames: WireEvent[][] = [];
  #head = 0;
  /** Events of the head frame already taken (a large frame split across entries). */
  #offset = 0;
  #events = 0;

  /** Events queued. */
  get length(): number {
    return this.#events;
  }

  push(frame: WireEvent[]): void {
    if (frame.length === 0) return;
    this.#frames.push(frame);
    this.#events += frame.length;
  }

  /**
   * Entries from the front, each of 1 to `entryEvents` events, whole entries of at most
   * `maxEvents` events in all (always at least one entry when anything is queued).
   */
  take(maxEvents: number, entryEvents: number): WireEvent[][] {
    const entries: WireEvent[][] = [];
    let total = 0;
    let current: WireEvent[] | undefined;
    while (this.#head < this.#frames.length) {
      const frame = this.#frames[this.#head]!;
      const left = frame.length - this.#offset;
      if (current && this.#offset === 0 && current.length + left <= entryEvents) {
        // Merge this whole frame into the entry being built.
        if (total + left > maxEvents) break;
        for (let i = 0; i < left; i++) current.push(frame[i]!);
        total += left;
        this.#head++;
        continue;
      }
      const size = Math.min(left, entryEvents);
      if (entries.length > 0 && total + size > maxEvents) break;
      current =
        this.#offset === 0 && size === frame.length
          ? frame
          : frame.slice(this.#offset, this.#offset + size);
      entries.push(current);
      total += size;
      if (this.#offset + size === frame.length) {
        this.#head++;
        this.#offset = 0;
      } else {
        this.#offset += size;
        // Split: the rest of this frame starts a new entry.
        current = undefined;
      }
    }
    this.#events -= total;
    if (this.#head === this.#frames.length) this.clear();
    else if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#head = 0;
    }
    return entries;
  }

  /** Put `entries` back in front of everything queued, each as one frame. */
  requeue(entries: readonly WireEvent[][]): void {
    const rest = this.#frames.slice(this.#head);
    if (this.#offset > 0) rest[0] = rest[0]!.slice(this.#offset);
    this.#frames = [];
    this.#head = 0;
    this.#offset = 0;
    this.#events = 0;
    for (const entry of entries) this.push(entry);
    for (const frame of rest) this.push(frame);
  }

  clear(): void {
    this.#frames = [];
    this.#head = 0;
    this.#offset = 0;
    this.#events = 0;
  }
}
