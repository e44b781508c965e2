/**
 * The simulated market's bounded history: every event of a cluster's tape by canonical topic key
 * (`T.AAPL`), in tape order, with absolute positions that survive trimming (a REST cursor names
 * a position), trimmed by age (generation time) and by count, oldest first.
 */
import type { WireEvent } from '../protocol/codec.js';
import { eventTime } from '../protocol/timestamps.js';

/** An array with a moving head: O(1) append and drop-oldest, absolute positions. */
class Series {
  /** Absolute position of `items[head]`. */
  base = 0;
  private head = 0;
  private readonly items: WireEvent[] = [];

  get start(): number {
    return this.base;
  }

  get end(): number {
    return this.base + this.items.length - this.head;
  }

  push(e: WireEvent): void {
    this.items.push(e);
  }

  shift(): void {
    this.head++;
    this.base++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }

  at(position: number): WireEvent {
    return this.items[this.head + position - this.base] as WireEvent;
  }

  /** First position whose event time is >= `time` (times rise along a series). */
  lowerBound(time: number): number {
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (eventTime(this.at(mid)) < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface LogLimits {
  /** Keep events generated within this many ms. */
  readonly historyMs: number;
  /** Keep at most this many events per cluster. */
  readonly maxEvents: number;
}

export class EventLog {
  private readonly series = new Map<string, Series>();
  /** Every entry in tape order: when it was generated and its series. */
  private readonly order: { at: number; series: Series }[] = [];
  private orderHead = 0;

  constructor(private readonly limits: LogLimits) {}

  /** Events kept. */
  get size(): number {
    return this.order.length - this.orderHead;
  }

  /** Append events generated at `at` under their topic keys, then trim. */
  add(at: number, entries: readonly (readonly [key: string, event: WireEvent])[]): void {
    for (const [key, event] of entries) {
      let s = this.series.get(key);
      if (!s) this.series.set(key, (s = new Series()));
      s.push(event);
      this.order.push({ at, series: s });
    }
    this.trim(at);
  }

  /** Positions [start, end) of the key's events with time in [from, to); empty when none. */
  range(key: string, from: number, to: number): { start: number; end: number } {
    const s = this.series.get(key);
    if (!s) return { start: 0, end: 0 };
    const start = s.lowerBound(from);
    return { start, end: Math.max(start, s.lowerBound(to)) };
  }

  /** The key's events at positions [start, end), clamped to what is still kept. */
  slice(key: string, start: number, end: number): WireEvent[] {
    const s = this.series.get(key);
    if (!s) return [];
    const out: WireEvent[] = [];
    for (let p = Math.max(start, s.start); p < Math.min(end, s.end); p++) out.push(s.at(p));
    return out;
  }

  /** The first and last event time kept for a key, or undefined when none is kept. */
  span(key: string): { from: number; to: number } | undefined {
    const s = this.series.get(key);
    if (!s || s.end === s.start) return undefined;
    return { from: eventTime(s.at(s.start)), to: eventTime(s.at(s.end - 1)) };
  }

  /** Every kept event of a key, oldest first. */
  all(key: string): WireEvent[] {
    const s = this.series.get(key);
    return s ? this.slice(key, s.start, s.end) : [];
  }

  private trim(now: number): void {
    const oldest = now - this.limits.historyMs;
    while (this.size > 0) {
      const first = this.order[this.orderHead]!;
      if (first.at >= oldest && this.size <= this.limits.maxEvents) break;
      first.series.shift();
      this.orderHead++;
    }
    if (this.orderHead > 4096 && this.orderHead * 2 > this.order.length) {
      this.order.splice(0, this.orderHead);
      this.orderHead = 0;
    }
  }
}
