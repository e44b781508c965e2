/**
 * The fills in progress of one client: one TopicFill per per-symbol topic being filled from REST
 * history, for a reconnect's gap (backfill.ts) or for history-then-live from a moment
 * (from-fills.ts). While a topic is filled its live events are held (bounded in count and in
 * time, `maxHoldMs`) and REST is asked for [the fill's start, first live event] (or up to now,
 * while no live event has come): a gap's answer whole, history-then-live's page by page, each
 * page delivered before the next is asked for. The tail is asked for again until an answer
 * reaches the first live event, which proves nothing before it is missing from REST however far
 * REST trails the stream. Then, or when the hold time runs out, the history (less what was
 * delivered or is held) is delivered in order before the held live events, the fill's owner gets
 * its report, and a guard drops live events the history already delivered. While gap-fill is on,
 * the time of each topic's last delivered event (and the identities at that time) is noted: the
 * next fill of the topic starts there.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import type { WireEvent } from '../../protocol/codec.js';
import { historyRoute, type HistoryRoute } from '../../protocol/rest/rest-history.js';
import { eventTime } from '../../protocol/timestamps.js';
import { STREAMS, type Cluster } from '../../protocol/streams.js';
import { eventKey } from '../../protocol/symbols.js';
import type { HistoryFetcher } from '../history/history.js';
import type { BackfillConfig } from './backfill-options.js';
import type { TopicFill } from './topic-fill.js';
import { FillClock } from './fill-clock.js';
import type { BackfillReport, MissingRange } from '../delivery/lifecycle.js';

/** Per topic, what the last delivered event was: its time and the identities at that time. */
interface Seen {
  t: number;
  ids: string[];
}

/** Identities the backfill delivered past a fill's end: live events among them are dropped. */
interface Guard {
  readonly until: number;
  readonly ids: Set<string>;
}

export interface FillsHost {
  /** Deliver events in order to the listeners: history (marked backfilled), then held live ones. */
  deliver(history: readonly WireEvent[], live: readonly WireEvent[]): void;
  /** A fill ended, `delivered` history events delivered at its end: its report, for its owner. */
  ended(fill: TopicFill, report: BackfillReport, delivered: number): void;
}

export class TopicFills {
  private readonly seen = new Map<string, Seen>();
  private readonly fills = new Map<string, TopicFill>();
  private readonly guards = new Map<string, Guard>();
  /** `ev` → route of this cluster's streams with history (and enabled). */
  private readonly routes = new Map<string, HistoryRoute>();
  private readonly clock = new FillClock({
    expired: (fill) => this.finish(fill),
    due: (fill) => this.query(fill),
  });

  constructor(
    private readonly config: BackfillConfig,
    private readonly fetcher: HistoryFetcher,
    private readonly cluster: Cluster,
    private readonly host: FillsHost,
    /** Gap-fill is on: every live event of a topic with history is noted. */
    private readonly notes: boolean,
  ) {
    for (const s of STREAMS) {
      const route = historyRoute(s);
      const enabled = config.streams === undefined || config.streams.includes(s.prefix);
      if (s.cluster === cluster && s.feed === 'market' && route && enabled) {
        this.routes.set(s.ev, route);
      }
    }
  }

  /** Whether live events need to pass `live` (gap-fill on, or a fill or guard in place). */
  get watching(): boolean {
    return this.notes || this.fills.size > 0 || this.guards.size > 0;
  }

  /** Whether the stream `ev` has history here and backfill.streams leaves it in. */
  fillable(ev: string): boolean {
    return this.routes.has(ev);
  }

  /** The fill of a topic in progress, by topic key. */
  get(key: string): TopicFill | undefined {
    return this.fills.get(key);
  }

  /** Time of the last event of a topic delivered (or where a cut fill started), if known. */
  lastSeen(key: string): number | undefined {
    return this.seen.get(key)?.t;
  }

  /** Whether a live event goes to the listeners now (false: held, or already delivered). */
  live(event: WireEvent): boolean {
    if (!this.watching) return true;
    const route = this.routes.get(event.ev);
    if (!route) return true;
    const key = eventKey(this.cluster, event);
    if (key === undefined) return true;
    const fill = this.fills.get(key);
    if (fill) return this.hold(fill, event);
    const guard = this.guards.get(key);
    if (guard) {
      const id = route.identity(event);
      if (eventTime(event) >= guard.until) this.guards.delete(key);
      else if (guard.ids.has(id)) return false;
    }
    if (this.notes) this.note(key, route, event);
    return true;
  }

  /** Take a fill in: from now its topic's live events are held. */
  add(fill: TopicFill): void {
    this.fills.set(fill.key, fill);
    this.guards.delete(fill.key);
  }

  /** Start an added fill: its deadline armed, its first query now or after `afterMs`. */
  start(fill: TopicFill, afterMs?: number): void {
    if (afterMs === undefined) {
      this.clock.arm(fill);
      this.query(fill);
    } else {
      fill.timer = setTimeout(() => this.query(fill), afterMs);
      this.clock.arm(fill);
    }
  }

  /** Stop one fill, its held events dropped and nothing delivered (its owner reports it). */
  drop(fill: TopicFill): void {
    this.stop(fill);
    this.fills.delete(fill.key);
  }

  /**
   * The connection dropped: every fill stops and its held events are dropped (the next fill
   * asks for them again from the same start, kept as the topic's last seen); `each` sees each.
   */
  interrupt(each: (fill: TopicFill) => void): void {
    for (const fill of this.fills.values()) {
      this.stop(fill);
      if (!this.seen.has(fill.key)) this.seen.set(fill.key, { t: fill.from, ids: [] });
      each(fill);
    }
    this.fills.clear();
  }

  /** The client closed: stop every fill, report nothing more. */
  close(): void {
    for (const fill of this.fills.values()) this.stop(fill);
    this.fills.clear();
  }

  /** A fill's report as it stands (counts of what `finish` delivers are set there). */
  reportOf(fill: TopicFill, end: number, missing: MissingRange[]): BackfillReport {
    return {
      topic: fill.topic,
      status: missing.length === 0 ? 'filled' : 'partial',
      from: fill.from,
      to: end,
      events: fill.streamed,
      duplicates: fill.releasedDuplicates,
      held: 0,
      heldMs: 0,
      queries: fill.queries,
      rejected: fill.rejected,
      forming: fill.forming,
      missing,
    };
  }

  private stop(fill: TopicFill): void {
    fill.done = true;
    clearTimeout(fill.timer);
    clearTimeout(fill.deadlineTimer);
    fill.abort?.abort();
  }

  private hold(fill: TopicFill, event: WireEvent): boolean {
    if (fill.held.length >= this.config.maxHeldEvents) {
      const waiting = fill.waiting(Date.now(), this.config);
      fill.cut = {
        code: ErrorCode.BackfillOverflow,
        reason: `${fill.topic}: more than backfill.maxHeldEvents (${this.config.maxHeldEvents}) live events arrived while filling${waiting ? `; ${waiting}` : ''}`,
      };
      this.finish(fill);
      return this.live(event);
    }
    fill.held.push(event);
    if (fill.held.length === 1) {
      fill.firstLive = eventTime(event);
      fill.heldAt = Date.now();
      // A gap's live events are held maxHoldMs from the first; history-then-live gives REST at
      // least that long (of its own time, not the gate's) to reach it, and more while it makes
      // progress (see FillClock.gate and stream).
      if (fill.mode === 'from') this.clock.extend(fill, this.config.maxHoldMs);
      else {
        fill.deadline = fill.heldAt + this.config.maxHoldMs;
        this.clock.arm(fill);
      }
      if (fill.abort === undefined) {
        clearTimeout(fill.timer);
        this.query(fill);
      }
    }
    return false;
  }

  /** One REST query of the fill's window; then done (proven), or the next query is planned. */
  private query(fill: TopicFill): void {
    if (fill.done || fill.abort) return;
    fill.timer = undefined;
    fill.queries++;
    const abort = (fill.abort = new AbortController());
    const window = fill.window(Date.now());
    const streaming = fill.mode === 'from';
    void (
      streaming ? this.stream(fill, window, abort.signal) : this.collect(fill, window, abort.signal)
    ).then(
      (events) => {
        if (fill.done) return;
        this.clock.idle(fill);
        if (!streaming) fill.take(events);
        if (fill.history.length > this.config.maxRows) {
          fill.cut = {
            code: ErrorCode.HistoryFailed,
            reason: `${fill.topic}: more than backfill.maxRows (${this.config.maxRows}) events in the gap`,
          };
        }
        if (fill.proven || fill.cut) this.finish(fill);
        else this.clock.next(fill);
      },
      (err: unknown) => {
        if (fill.done) return;
        this.clock.idle(fill);
        if (streaming) fill.answered();
        fill.error =
          err instanceof PolygonStreamError
            ? err
            : new PolygonStreamError(ErrorCode.HistoryFailed, String(err));
        // A refused key or plan, or a server breaking its own rules: asking again will not help.
        const code = fill.error.code;
        if (code === ErrorCode.HistoryUnavailable || code === ErrorCode.HistoryInvalid) {
          this.finish(fill);
        } else this.clock.next(fill);
      },
    );
  }

  /** One query of a gap's fill: the whole answer, collected. */
  private async collect(
    fill: TopicFill,
    window: { from: number; to: number },
    signal: AbortSignal,
  ): Promise<WireEvent[]> {
    const out: WireEvent[] = [];
    const query = {
      ...window,
      signal,
      deadline: fill.deadline,
      ...(fill.firstLive === undefined ? {} : { closedThrough: fill.firstLive }),
      rejected: (row: Parameters<TopicFill['reject']>[0]) => fill.reject(row, window),
      forming: () => void fill.forming++,
      gate: (phase: 'queued' | 'sent') => this.clock.gate(fill, phase),
    };
    for await (const event of this.fetcher.events(fill.target, query)) {
      out.push(event);
      if (out.length > this.config.maxRows) break;
    }
    return out;
  }

  /**
   * One query of a history-then-live fill, page by page: each page's events that no live event
   * can repeat (older than the first live event, or while none came, older than the query's start
   * less maxHoldMs) are delivered before the next page is asked for; the rest wait for `finish`.
   * Each page that brings rows gives the fill at least maxHoldMs more; the fill's own hold (its
   * clock stopped while a request waits in the gate) bounds the query, not history.deadlineMs.
   */
  private async stream(
    fill: TopicFill,
    window: { from: number; to: number },
    signal: AbortSignal,
  ): Promise<WireEvent[]> {
    const c = this.config;
    const seen = this.seen.get(fill.key)?.ids ?? [];
    const startedAt = Date.now();
    let page: WireEvent[] = [];
    const flush = (): void => {
      if (fill.done) return;
      // The answer begins with its first page (a query still in the gate has answered nothing).
      if (fill.pages++ === pages) fill.answer();
      fill.add(page);
      if (page.length > 0) this.clock.extend(fill, c.maxHoldMs);
      page = [];
      const safe = fill.firstLive ?? startedAt - c.maxHoldMs;
      const out = fill.release(safe, seen);
      for (const event of out) this.note(fill.key, fill.target.route, event);
      if (out.length > 0) this.host.deliver(out, []);
    };
    const pages = fill.pages;
    let asked = window;
    const query = {
      ...window,
      // Asked when the request leaves the gate: after a wait for its turn, the window reaches the
      // first live event that came meanwhile, and the seam needs no second query.
      lateWindow: () => {
        asked = fill.window(Date.now());
        return fill.firstLive === undefined ? asked : { ...asked, closedThrough: fill.firstLive };
      },
      signal,
      deadline: Infinity,
      rejected: (row: Parameters<TopicFill['reject']>[0]) => fill.reject(row, asked),
      forming: () => void fill.forming++,
      gate: (phase: 'queued' | 'sent') => this.clock.gate(fill, phase),
      page: flush,
    };
    for await (const event of this.fetcher.events(fill.target, query)) {
      page.push(event);
      if (fill.done) break;
    }
    if (!fill.done) fill.answered();
    return [];
  }

  /** Deliver a fill's history (less what was delivered or held), then its held live events. */
  private finish(fill: TopicFill): void {
    if (fill.done) return;
    this.drop(fill);
    const now = Date.now();
    const route = fill.target.route;
    const { events: history, duplicates } = fill.fresh(this.seen.get(fill.key)?.ids ?? []);
    const ids = new Set<string>();
    for (const event of history) {
      ids.add(route.identity(event));
      this.note(fill.key, route, event);
    }
    const end = fill.firstLive === undefined ? now : fill.firstLive + 1;
    if (ids.size > 0) this.guards.set(fill.key, { until: end, ids });
    const held = fill.held;
    fill.held = [];
    // Live events older than history already streamed were in it (REST keeps stream order).
    const late = (e: WireEvent): boolean => eventTime(e) < fill.releasedThrough;
    const live = held.filter((event) => !late(event) && this.live(event));
    this.host.deliver(history, live);
    const report: BackfillReport = {
      ...this.reportOf(fill, end, fill.missing(now, this.config)),
      events: fill.streamed + history.length,
      duplicates: duplicates + fill.releasedDuplicates + held.filter(late).length,
      held: held.length,
      heldMs: fill.heldAt === undefined ? 0 : now - fill.heldAt,
    };
    this.host.ended(fill, report, history.length);
  }

  private note(key: string, route: HistoryRoute, event: WireEvent): void {
    const t = eventTime(event);
    const s = this.seen.get(key);
    if (!s) this.seen.set(key, { t, ids: [route.identity(event)] });
    else if (t > s.t) {
      s.t = t;
      s.ids = [route.identity(event)];
    } else if (t === s.t) s.ids.push(route.identity(event));
  }
}
