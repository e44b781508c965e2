/**
 * What one topic's fill knows, without timers or I/O: the REST events collected so far (oldest
 * first, each once), the live events held, the first live event's time (the end of the gap), and
 * whether REST has been *seen* to reach it. REST history may trail the stream (an event shows up
 * in REST some time after it was streamed), so an answer that stops short of the first live
 * event proves nothing about what lies between: the fill counts as complete only once a REST
 * answer holds a row at or after the first live event's time (REST keeps a ticker's events in
 * stream order, so such a row means every earlier one is there). Until then, or when the fill
 * ends without that proof, the range after the last event collected is reported missing.
 */
import { ErrorCode, type PolygonStreamError } from '../../errors.js';
import type { WireEvent } from '../../protocol/codec.js';
import { eventTime } from '../../protocol/timestamps.js';
import type { MissingRange } from '../delivery/lifecycle.js';
import type { BackfillConfig } from './backfill-options.js';
import type { HistoryTopic } from '../history/history-topic.js';
import type { RejectedRow } from '../history/row-check.js';

/** More separate missing ranges than this are reported as one range covering them all. */
const MAX_RANGES = 10;

/** The options a fill's report names when it says why REST did not prove it. */
export type HoldLimits = Pick<BackfillConfig, 'maxHoldMs' | 'concurrency' | 'requestsPerSecond'>;

/**
 * Where a fill's REST query is: none running (`idle`), a request waiting for its turn in the
 * client's request gate (`queued`), or a request on the wire, not yet fully answered (`sent`).
 */
export type FillPhase = 'idle' | 'queued' | 'sent';

export class TopicFill {
  /** Other spellings of the same topic in the set (`XT.BTC-USD`, `XT.X:BTCUSD`). */
  readonly aliases: string[] = [];
  /** REST events collected, oldest first, not yet delivered. */
  readonly history: WireEvent[] = [];
  /** Live events held until the fill ends. */
  held: WireEvent[] = [];
  /** Stream time of the first live event held: the end of the gap. */
  firstLive: number | undefined;
  /** When the first live event was held (wall clock, ms). */
  heldAt: number | undefined;
  /** A REST answer reached the first live event: nothing before it is missing from REST. */
  proven = false;
  queries = 0;
  /** REST answers begun (at least one page of each read). */
  answers = 0;
  /** Where the fill's REST query is now, and since when (wall clock, ms). */
  phase: FillPhase = 'idle';
  phaseAt = 0;
  /**
   * History-then-live: the hold's time left (ms) while its clock is stopped because the fill's
   * request waits in the request gate; undefined while the clock runs.
   */
  paused: number | undefined;
  rejected = 0;
  forming = 0;
  /** The last REST failure, if the fill has one. */
  error: PolygonStreamError | undefined;
  /** Why the fill ended early (held overflow, too many rows), if it did. */
  cut: { code: string; reason: string } | undefined;
  /** End of the last REST query's window (exclusive). */
  lastTo = 0;
  abort: AbortController | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the fill gives up and lets live events flow (wall clock, ms). */
  deadline: number;
  done = false;
  /** Stream time of the last event collected (or the start): the next query starts here. */
  private cursor: number;
  /** Identities collected at the cursor's time, with how many of each. */
  private taken = new Map<string, number>();
  /** The current answer's start and the identities it gave at its start and at its end. */
  private start: number;
  private atStart = new Map<string, number>();
  private atEnd = new Map<string, number>();
  /** Whether `release` has run (the identities before the start were counted). */
  private released = false;
  /** History events delivered while filling (`release`), and those it left out as repeats. */
  streamed = 0;
  releasedDuplicates = 0;
  /** Most collected events held at once (history/live streams them; gap fills keep all). */
  peak = 0;
  /** REST pages read (history/live). */
  pages = 0;
  /** Time of the last event `release` gave out (−Infinity: none). */
  releasedThrough = -Infinity;
  private readonly invalid: MissingRange[] = [];

  constructor(
    readonly topic: string,
    readonly key: string,
    readonly target: HistoryTopic,
    /** Stream time the gap starts at: the last event delivered before it, or the drop. */
    readonly from: number,
    deadline: number,
    /** 'gap': a reconnect's gap; 'from': history, then live, from `from` (page by page). */
    readonly mode: 'gap' | 'from' = 'gap',
  ) {
    this.cursor = from;
    this.start = from;
    this.deadline = deadline;
  }

  /** The window of the next REST query: from the last event collected to the first live one (or now). */
  window(now: number): { from: number; to: number } {
    const to = this.firstLive === undefined ? now + 1 : this.firstLive + 1;
    this.lastTo = Math.max(to, this.cursor + 1);
    return { from: this.cursor, to: this.lastTo };
  }

  /**
   * Events of one REST answer, oldest first: kept once each, up to the first live event. An
   * answer starts at the last event collected: rows at that time count against the ones an
   * earlier answer gave (by identity, with multiplicity: two quotes can be alike).
   */
  take(events: readonly WireEvent[]): void {
    this.answer();
    this.add(events);
    this.answered();
  }

  /** A REST answer begins: its rows come through `add` (page by page), then `answered`. */
  answer(): void {
    this.answers++;
    this.start = this.cursor;
    this.atStart = new Map();
    this.atEnd = new Map();
  }

  /** Rows of the current answer (one page of it), oldest first. */
  add(events: readonly WireEvent[]): void {
    const identity = this.target.route.identity;
    const start = this.start;
    for (const event of events) {
      const t = eventTime(event);
      if (this.firstLive !== undefined && t >= this.firstLive) {
        this.proven = true;
        if (t > this.firstLive) continue;
      }
      if (t < start) continue;
      const id = identity(event);
      if (t === start) {
        const n = (this.atStart.get(id) ?? 0) + 1;
        this.atStart.set(id, n);
        if (n <= (this.taken.get(id) ?? 0)) continue;
      }
      if (t > this.cursor) {
        this.cursor = t;
        this.atEnd = new Map();
      }
      this.atEnd.set(id, (this.atEnd.get(id) ?? 0) + 1);
      this.history.push(event);
    }
    this.peak = Math.max(this.peak, this.history.length);
  }

  /** The current answer ended (or failed part way): what it gave counts against the next. */
  answered(): void {
    if (this.cursor === this.start) {
      for (const [id, n] of this.atStart) this.taken.set(id, Math.max(this.taken.get(id) ?? 0, n));
    } else this.taken = this.atEnd;
    this.atStart = new Map();
    this.start = this.cursor;
  }

  /**
   * History/live streaming: take out the events collected so far that are older than `safe`
   * (no live event can repeat them), less those delivered before the fill's start (`seen`:
   * identities at its start, counted once), to be delivered now.
   */
  release(safe: number, seen: readonly string[]): WireEvent[] {
    let n = 0;
    while (n < this.history.length && eventTime(this.history[n]!) < safe) n++;
    if (n === 0) return [];
    const out = this.history.splice(0, n);
    const identity = this.target.route.identity;
    const before = new Map<string, number>();
    if (!this.released) for (const id of seen) before.set(id, (before.get(id) ?? 0) + 1);
    this.released = true;
    const fresh: WireEvent[] = [];
    for (const event of out) {
      const id = identity(event);
      const k = eventTime(event) === this.from ? (before.get(id) ?? 0) : 0;
      if (k > 0) {
        before.set(id, k - 1);
        this.releasedDuplicates++;
      } else fresh.push(event);
    }
    this.streamed += fresh.length;
    this.releasedThrough = eventTime(out[out.length - 1]!);
    return fresh;
  }

  /** A row REST served that failed its checks: its time (or the query's window) may lack events. */
  reject(row: RejectedRow, window: { from: number; to: number }): void {
    this.rejected++;
    const range = row.time === undefined ? window : { from: row.time, to: row.time + 1 };
    this.invalid.push({ ...range, code: ErrorCode.HistoryInvalid, reason: row.reason });
  }

  /**
   * The history to deliver: the events up to the first live event (later ones come live), less
   * those delivered before the gap (`seen`: identities at the fill's start) or held, counted.
   */
  fresh(seen: readonly string[]): { events: WireEvent[]; duplicates: number } {
    const identity = this.target.route.identity;
    const already = new Map<string, number>();
    const count = (id: string): void => void already.set(id, (already.get(id) ?? 0) + 1);
    for (const id of seen) count(id);
    for (const e of this.held) count(identity(e));
    const end = this.firstLive ?? Infinity;
    const events: WireEvent[] = [];
    let duplicates = 0;
    for (const event of this.history) {
      if (eventTime(event) > end) continue;
      const id = identity(event);
      const n = already.get(id) ?? 0;
      if (n > 0) {
        already.set(id, n - 1);
        duplicates++;
      } else events.push(event);
    }
    return { events, duplicates };
  }

  /** What may be missing once the fill ends at `now` (wall clock), merged and bounded. */
  missing(now: number, limits: HoldLimits): MissingRange[] {
    const out = [...this.invalid];
    if (this.cut) out.push({ from: this.cursor, to: this.firstLive ?? now, ...this.cut });
    else if (!this.proven) {
      const end = this.firstLive ?? now;
      out.push({ from: this.cursor, to: end, ...this.unproven(now, limits) });
    }
    return merge(out.filter((r) => r.to > r.from));
  }

  /** Where the REST query was when the fill ended, in words (for a reason), or '' when idle. */
  waiting(now: number, limits: HoldLimits): string {
    const ms = now - this.phaseAt;
    if (this.phase === 'queued') {
      return `its REST request had waited ${ms} ms for its turn in the request gate (backfill.concurrency ${limits.concurrency} in flight, backfill.requestsPerSecond ${limits.requestsPerSecond}) behind the other topics' requests`;
    }
    if (this.phase === 'sent') {
      return `its REST request had been on the wire ${ms} ms without a complete answer (REST was slow)`;
    }
    return '';
  }

  private unproven(now: number, limits: HoldLimits): { code: string; reason: string } {
    if (this.error) return { code: this.error.code, reason: this.error.message };
    const hold = `backfill.maxHoldMs (${limits.maxHoldMs} ms)`;
    const waiting = this.waiting(now, limits);
    const why = waiting
      ? `the hold (${hold}) ran out while ${waiting}`
      : this.answers === 0
        ? `no REST answer came within ${hold}`
        : this.firstLive === undefined
          ? 'no live event came to prove that REST history reached the end of the gap (REST may trail the stream)'
          : `REST answered, but its history did not reach the first live event (${new Date(this.firstLive).toISOString()}) within ${hold}: it trails the stream`;
    return { code: ErrorCode.BackfillIncomplete, reason: `${this.topic}: ${why}` };
  }
}

/** Ranges sorted, overlapping ones of the same code joined; past MAX_RANGES, one covering all. */
function merge(ranges: MissingRange[]): MissingRange[] {
  ranges.sort((a, b) => a.from - b.from);
  const out: MissingRange[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && last.code === r.code && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  if (out.length <= MAX_RANGES) return out;
  const first = out[0]!;
  return [
    {
      from: first.from,
      to: Math.max(...out.map((r) => r.to)),
      code: first.code,
      reason: `${out.length} ranges, the first: ${first.reason}`,
    },
  ];
}
