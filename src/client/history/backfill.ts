/**
 * Filling the gaps a reconnect leaves from the provider's REST history. While the stream is live
 * it notes, per per-symbol topic with history, the time of the last event delivered and the
 * identities delivered at that time. On a reconnect, each such topic of the intended set (and
 * each topic `backfill.alsoFill` names, such as those a wildcard carries) is filled by a
 * TopicFill: its live events are held (bounded in count and in time, `maxHoldMs`), REST is asked
 * for [last event seen (or the gap's start), first live event] (or up to now, for a topic with
 * no live event yet) and asked again for the tail until an answer reaches the first live event,
 * which proves nothing of the gap is missing from REST however far it trails the stream. Then,
 * or when the hold time runs out, the history (less what was delivered or is held) is delivered
 * in order before the held live events, and the topic is reported `filled` (proven) or
 * `partial`, naming the ranges that may lack events and why; a guard then drops live events the
 * backfill already delivered. Wildcards, streams without history, gaps or topic counts over the
 * limits leave the topic `unfilled`, with a coded reason; the live stream never stops for long.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import type { WireEvent } from '../../protocol/codec.js';
import { historyRoute, type HistoryRoute } from '../../protocol/rest-history.js';
import { eventTime } from '../../protocol/timestamps.js';
import { STREAMS, type Cluster, type Feed } from '../../protocol/streams.js';
import { eventKey, topicKey } from '../../protocol/symbols.js';
import { feedOfUrl, HistoryFetcher, type HistoryOptions, type HistoryTopic } from './history.js';
import { resolveBackfill, type BackfillConfig } from './backfill-options.js';
import { TopicFill } from './topic-fill.js';
import type { Logger } from '../logger.js';
import type { BackfillReport, CaughtUp, Gap, MissingRange } from '../delivery/lifecycle.js';

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

/** A gap with backfill on: which topics were filled, in part or not, and why. */
type FilledGap = Gap & Required<Pick<Gap, 'filled' | 'partial' | 'unfilled'>>;

/** Longest wait between two REST queries of a fill that has not reached its first live event. */
const MAX_POLL_GAP_MS = 1_000;

export interface BackfillHost {
  readonly cluster: Cluster;
  readonly feed: Feed;
  /** Deliver events in order to the listeners: history (marked backfilled), then held live ones. */
  deliver(history: readonly WireEvent[], live: readonly WireEvent[]): void;
  report(report: BackfillReport): void;
  gap(gap: Gap): void;
  /** A history-then-live topic switched to live (or could not be filled). */
  caughtUp(report: CaughtUp): void;
}

/**
 * The backfill of a client: its own REST fetcher, with the history options and backfill's base
 * URL, concurrency and rate. With the `backfill` option off (checked here) it fills no gaps and
 * serves history-then-live (`from`) with the backfill defaults.
 */
export function createBackfill(
  client: { readonly apiKey: string; readonly url: string; readonly cluster: Cluster },
  options: { readonly backfill?: unknown; readonly history?: HistoryOptions },
  log: Logger,
  host: Omit<BackfillHost, 'cluster' | 'feed'>,
): Backfill {
  const given = resolveBackfill(options.backfill);
  const config = given ?? resolveBackfill(true)!;
  const fetcher = new HistoryFetcher(
    client,
    {
      ...options.history,
      ...(config.restUrl === undefined ? {} : { restUrl: config.restUrl }),
      concurrency: config.concurrency,
      requestsPerSecond: config.requestsPerSecond,
    },
    log,
  );
  return new Backfill(
    config,
    fetcher,
    { ...host, cluster: client.cluster, feed: feedOfUrl(client.url) },
    given !== undefined,
  );
}

export class Backfill {
  private readonly seen = new Map<string, Seen>();
  private readonly fills = new Map<string, TopicFill>();
  private readonly guards = new Map<string, Guard>();
  /** `ev` → route of this cluster's streams with history (and enabled). */
  private readonly routes = new Map<string, HistoryRoute>();
  private pending: { gap: FilledGap; left: number } | undefined;
  /** History-then-live topics a drop interrupted: the next connection resumes them. */
  private readonly resume = new Map<string, { topic: string; aliases: string[] }>();

  constructor(
    private readonly config: BackfillConfig,
    private readonly fetcher: HistoryFetcher,
    private readonly host: BackfillHost,
    /** The `backfill` option is on: reconnects' gaps are filled. */
    private readonly fillsGaps = true,
  ) {
    for (const s of STREAMS) {
      const route = historyRoute(s);
      const enabled = config.streams === undefined || config.streams.includes(s.prefix);
      if (s.cluster === host.cluster && s.feed === 'market' && route && enabled) {
        this.routes.set(s.ev, route);
      }
    }
  }

  /** Whether live events need to pass `live` (gap-fill on, or a fill or guard in place). */
  get watching(): boolean {
    return this.fillsGaps || this.fills.size > 0 || this.guards.size > 0;
  }

  /** Whether a live event goes to the listeners now (false: held, or already delivered). */
  live(event: WireEvent): boolean {
    if (!this.watching) return true;
    const route = this.routes.get(event.ev);
    if (!route) return true;
    const key = eventKey(this.host.cluster, event);
    if (key === undefined) return true;
    const fill = this.fills.get(key);
    if (fill) return this.hold(fill, event);
    const guard = this.guards.get(key);
    if (guard) {
      const id = route.identity(event);
      if (eventTime(event) >= guard.until) this.guards.delete(key);
      else if (guard.ids.has(id)) return false;
    }
    if (this.fillsGaps) this.note(key, route, event);
    return true;
  }

  /** A reconnect: fill each topic of the gap that can be filled; the `gap` event when all settle. */
  begin(gap: Gap): void {
    this.interrupt();
    const resumed = this.resumeFrom();
    if (!this.fillsGaps) return this.host.gap(gap);
    const out: FilledGap = { ...gap, filled: {}, partial: {}, unfilled: {} };
    const c = this.config;
    const now = Date.now();
    let tickers = 0;
    const start: TopicFill[] = [];
    for (const topic of this.topicsOf(gap)) {
      const key = topicKey(this.host.cluster, topic);
      // A history-then-live topic cut by the drop is resumed from its last event instead.
      if (key !== undefined && resumed.has(key)) continue;
      let target: HistoryTopic;
      try {
        target = this.fetcher.topic(topic);
        if (!this.routes.has(target.stream.ev)) {
          throw new PolygonStreamError(
            ErrorCode.NoHistory,
            `${topic}: backfill.streams leaves out ${target.stream.prefix}`,
          );
        }
      } catch (err) {
        const e = err as PolygonStreamError;
        out.unfilled[topic] = { code: e.code, reason: e.message };
        continue;
      }
      const same = this.fills.get(key!);
      if (same) {
        same.aliases.push(topic);
        continue;
      }
      const from = this.seen.get(key!)?.t ?? gap.from;
      const skip =
        gap.to - from > c.maxGapMs
          ? `the gap (${gap.to - from} ms) is longer than backfill.maxGapMs (${c.maxGapMs})`
          : ++tickers > c.maxTickers
            ? `more than backfill.maxTickers (${c.maxTickers}) topics to fill`
            : '';
      if (skip) {
        out.unfilled[topic] = { code: ErrorCode.BackfillSkipped, reason: `${topic}: ${skip}` };
        continue;
      }
      // A topic with no live event yet gets liveWaitMs to show one, then maxHoldMs to be proven.
      const fill = new TopicFill(topic, key!, target, from, now + c.liveWaitMs + c.maxHoldMs);
      this.fills.set(fill.key, fill);
      this.guards.delete(fill.key);
      start.push(fill);
    }
    this.pending = { gap: out, left: start.length };
    for (const fill of start) {
      fill.timer = setTimeout(() => this.query(fill), c.liveWaitMs);
      this.arm(fill);
    }
    this.settle();
  }

  /**
   * The connection dropped again: pending fills stop, their held events are dropped (the next
   * fill asks for them again from the same start), and the pending `gap` is reported as it is.
   */
  interrupt(): void {
    this.stopFills((fill) => {
      // The next fill starts where this one would have: keep its start as the last seen.
      if (!this.seen.has(fill.key)) this.seen.set(fill.key, { t: fill.from, ids: [] });
      if (fill.mode === 'from') {
        this.resume.set(fill.key, { topic: fill.topic, aliases: fill.aliases });
        return;
      }
      for (const topic of this.pending ? [fill.topic, ...fill.aliases] : []) {
        this.pending!.gap.unfilled[topic] = {
          code: ErrorCode.BackfillSkipped,
          reason: `${topic}: interrupted by another disconnect; the next gap covers it`,
        };
      }
    });
    if (this.pending) {
      this.pending.left = 0;
      this.settle();
    }
  }

  /** The client closed: stop everything, report nothing more. */
  close(): void {
    this.stopFills();
    this.resume.clear();
    this.pending = undefined;
  }

  /**
   * Which of `topics` have no history here (a wildcard, a stream without history), each with a
   * NO_HISTORY error saying why; the others resolved.
   */
  check(topics: readonly string[]): { ok: HistoryTopic[]; none: Map<string, PolygonStreamError> } {
    const ok: HistoryTopic[] = [];
    const none = new Map<string, PolygonStreamError>();
    for (const topic of topics) {
      try {
        ok.push(this.fetcher.topic(topic));
      } catch (err) {
        none.set(topic, err as PolygonStreamError);
      }
    }
    return { ok, none };
  }

  /**
   * History, then live: from `from` (Unix ms), each topic's REST history is delivered page by
   * page, then its live events (held meanwhile); a `caughtUp` report per topic when it switches.
   * Call before the topics are subscribed, so their first live events are held.
   */
  from(targets: readonly HistoryTopic[], from: number): void {
    for (const target of targets) {
      const key = topicKey(this.host.cluster, target.topic)!;
      const same = this.fills.get(key);
      if (same) {
        same.aliases.push(target.topic);
        continue;
      }
      this.startFrom(target, key, from);
    }
  }

  /** Stop the history-then-live fills of `topics` (unsubscribed, refused), reported unfilled. */
  cancel(topics: readonly string[], code: string, reason: string): void {
    for (const topic of topics) {
      const key = topicKey(this.host.cluster, topic);
      const fill = key === undefined ? undefined : this.fills.get(key);
      if (key !== undefined) this.resume.delete(key);
      if (!fill || fill.mode !== 'from') continue;
      this.stop(fill);
      this.fills.delete(key!);
      this.host.caughtUp({
        ...this.reportOf(fill, fill.from, []),
        status: 'unfilled',
        code,
        reason: `${topic}: ${reason}`,
      });
    }
  }

  private startFrom(target: HistoryTopic, key: string, from: number): TopicFill {
    const c = this.config;
    const fill = new TopicFill(target.topic, key, target, from, Date.now() + c.maxHoldMs, 'from');
    this.fills.set(key, fill);
    this.guards.delete(key);
    this.arm(fill);
    this.query(fill);
    return fill;
  }

  /** After a reconnect: restart the history-then-live fills a drop cut, from their last event. */
  private resumeFrom(): Set<string> {
    const keys = new Set(this.resume.keys());
    for (const [key, { topic, aliases }] of this.resume) {
      const fill = this.startFrom(this.fetcher.topic(topic), key, this.seen.get(key)!.t);
      fill.aliases.push(...aliases);
    }
    this.resume.clear();
    return keys;
  }

  /** The gap's per-symbol topics and those `alsoFill` names, each once. */
  private topicsOf(gap: Gap): string[] {
    const extra = this.config.alsoFill?.() ?? [];
    const topics = [...gap.topics];
    const keys = new Set(gap.topics.map((t) => topicKey(this.host.cluster, t)));
    for (const topic of extra) {
      const key = topicKey(this.host.cluster, topic);
      if (key === undefined || key.endsWith('.*') || keys.has(key)) continue;
      keys.add(key);
      topics.push(topic);
    }
    return topics;
  }

  /** Stop every pending fill (its timers and request); `each` sees each one before it goes. */
  private stopFills(each?: (fill: TopicFill) => void): void {
    for (const fill of this.fills.values()) {
      this.stop(fill);
      each?.(fill);
    }
    this.fills.clear();
  }

  private stop(fill: TopicFill): void {
    fill.done = true;
    clearTimeout(fill.timer);
    clearTimeout(fill.deadlineTimer);
    fill.abort?.abort();
  }

  /** (Re)arm the fill's deadline: then live events flow and what is missing is reported. */
  private arm(fill: TopicFill): void {
    clearTimeout(fill.deadlineTimer);
    fill.deadlineTimer = setTimeout(
      () => this.finish(fill),
      Math.max(0, fill.deadline - Date.now()),
    );
  }

  private hold(fill: TopicFill, event: WireEvent): boolean {
    if (fill.held.length >= this.config.maxHeldEvents) {
      fill.cut = {
        code: ErrorCode.BackfillOverflow,
        reason: `${fill.topic}: more than backfill.maxHeldEvents (${this.config.maxHeldEvents}) live events arrived while filling`,
      };
      this.finish(fill);
      return this.live(event);
    }
    fill.held.push(event);
    if (fill.held.length === 1) {
      fill.firstLive = eventTime(event);
      fill.heldAt = Date.now();
      const deadline = fill.heldAt + this.config.maxHoldMs;
      // History-then-live holds live events while REST keeps making progress (see collect).
      fill.deadline = fill.mode === 'from' ? Math.max(fill.deadline, deadline) : deadline;
      this.arm(fill);
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
        fill.abort = undefined;
        if (!streaming) fill.take(events);
        if (fill.history.length > this.config.maxRows) {
          fill.cut = {
            code: ErrorCode.HistoryFailed,
            reason: `${fill.topic}: more than backfill.maxRows (${this.config.maxRows}) events in the gap`,
          };
        }
        if (fill.proven || fill.cut) this.finish(fill);
        else this.next(fill);
      },
      (err: unknown) => {
        if (fill.done) return;
        fill.abort = undefined;
        if (streaming) fill.answered();
        fill.error =
          err instanceof PolygonStreamError
            ? err
            : new PolygonStreamError(ErrorCode.HistoryFailed, String(err));
        // A refused key or plan, or a server breaking its own rules: asking again will not help.
        const code = fill.error.code;
        if (code === ErrorCode.HistoryUnavailable || code === ErrorCode.HistoryInvalid) {
          this.finish(fill);
        } else this.next(fill);
      },
    );
  }

  /**
   * Plan the next query of a fill not yet proven: at once when the last one was asked before the
   * first live event was known; then its tail again, ever less often (REST may be catching up)
   * while live events are held; once more, halfway to the deadline, while none has come.
   */
  private next(fill: TopicFill): void {
    const now = Date.now();
    let delay: number;
    const backoff = Math.min(MAX_POLL_GAP_MS, 100 * 2 ** Math.min(fill.queries, 4));
    if (fill.mode === 'from') {
      // A failed query is asked again; one that stopped short of the first live event (or of
      // now, before one came) asks for its tail again, ever less often while REST catches up.
      delay = fill.firstLive !== undefined && fill.lastTo <= fill.firstLive ? 0 : backoff;
    } else if (fill.firstLive === undefined) {
      if (fill.queries >= 2) return;
      delay = (fill.deadline - now) / 2;
    } else if (fill.lastTo <= fill.firstLive) delay = 0;
    else delay = backoff;
    if (now + delay >= fill.deadline) return;
    fill.timer = setTimeout(() => this.query(fill), delay);
  }

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
    };
    for await (const event of this.fetcher.events(fill.target, query)) {
      out.push(event);
      if (out.length > this.config.maxRows) break;
    }
    return out;
  }

  /**
   * One query of a history-then-live fill, page by page: each page's events that no live event
   * can repeat (older than the first live event, or while none came, older than the fill's start
   * less maxHoldMs) are delivered before the next page is asked for; the rest wait for `finish`.
   * Each page that brings rows moves the fill's deadline to maxHoldMs from now.
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
      fill.add(page);
      fill.pages++;
      if (page.length > 0) {
        fill.deadline = Math.max(fill.deadline, Date.now() + c.maxHoldMs);
        this.arm(fill);
      }
      page = [];
      const safe = fill.firstLive ?? startedAt - c.maxHoldMs;
      const out = fill.release(safe, seen);
      for (const event of out) this.note(fill.key, fill.target.route, event);
      if (out.length > 0) this.host.deliver(out, []);
    };
    const query = {
      ...window,
      signal,
      ...(fill.firstLive === undefined ? {} : { closedThrough: fill.firstLive }),
      rejected: (row: Parameters<TopicFill['reject']>[0]) => fill.reject(row, window),
      forming: () => void fill.forming++,
      page: flush,
    };
    fill.answer();
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
    this.stop(fill);
    this.fills.delete(fill.key);
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
    const missing = fill.missing(now, this.config.maxHoldMs);
    const report: BackfillReport = {
      ...this.reportOf(fill, end, missing),
      events: fill.streamed + history.length,
      duplicates: duplicates + fill.releasedDuplicates + held.filter(late).length,
      held: held.length,
      heldMs: fill.heldAt === undefined ? 0 : now - fill.heldAt,
    };
    if (fill.mode === 'from') {
      this.host.caughtUp({ ...report, pages: fill.pages, peak: fill.peak });
      return;
    }
    const gap = this.pending?.gap;
    // Nothing delivered and nothing proven: the whole gap is unfilled, for the first reason.
    const none = history.length === 0 && !fill.proven && missing.length > 0;
    for (const topic of gap ? [fill.topic, ...fill.aliases] : []) {
      if (missing.length === 0) gap!.filled[topic] = history.length;
      else if (none)
        gap!.unfilled[topic] = { code: missing[0]!.code, reason: missing[0]!.reason, missing };
      else gap!.partial[topic] = { events: history.length, missing };
    }
    this.host.report(report);
    if (this.pending) this.pending.left--;
    this.settle();
  }

  /** A fill's report as it stands (counts of what `finish` delivers are set there). */
  private reportOf(fill: TopicFill, end: number, missing: MissingRange[]): BackfillReport {
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

  private note(key: string, route: HistoryRoute, event: WireEvent): void {
    const t = eventTime(event);
    const s = this.seen.get(key);
    if (!s) this.seen.set(key, { t, ids: [route.identity(event)] });
    else if (t > s.t) {
      s.t = t;
      s.ids = [route.identity(event)];
    } else if (t === s.t) s.ids.push(route.identity(event));
  }

  private settle(): void {
    const p = this.pending;
    if (!p || p.left > 0) return;
    this.pending = undefined;
    this.host.gap(p.gap);
  }
}
