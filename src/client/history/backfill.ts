/**
 * Filling the gaps a reconnect leaves from the provider's REST history. While the stream is live
 * it notes, per per-symbol topic with history, the time of the last event delivered and the
 * identities delivered at that time. On a reconnect, each such topic of the intended set holds
 * its live events (bounded), fetches [last event seen (or the gap's start), first live event]
 * (or now, when no live event comes within `liveWaitMs`), drops what was already delivered or is
 * held, and delivers the rest, in order, before the held live events. A guard then drops live
 * events the backfill already delivered. Wildcards, streams without history, gaps or topic counts
 * over the limits, REST failures and hold overflows leave the topic unfilled, with a coded reason
 * in the `gap` event; the live stream never stops for any of them.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import type { WireEvent } from '../../protocol/codec.js';
import { historyRoute, type HistoryRoute } from '../../protocol/rest-history.js';
import { eventTime } from '../../protocol/timestamps.js';
import { STREAMS, type Cluster, type Feed } from '../../protocol/streams.js';
import { eventKey, topicKey } from '../../protocol/symbols.js';
import { feedOfUrl, HistoryFetcher, type HistoryOptions, type HistoryTopic } from './history.js';
import { resolveBackfill, type BackfillConfig } from './backfill-options.js';
import type { Logger } from '../logger.js';
import type { BackfillReport, Gap } from '../delivery/lifecycle.js';

/** Per topic, what the last delivered event was: its time and the identities at that time. */
interface Seen {
  t: number;
  ids: string[];
}

interface Fill {
  readonly topic: string;
  /** Other spellings of the same topic in the set (`XT.BTC-USD`, `XT.X:BTCUSD`). */
  readonly aliases: string[];
  readonly key: string;
  readonly target: HistoryTopic;
  readonly from: number;
  held: WireEvent[];
  timer: NodeJS.Timeout | undefined;
  abort: AbortController | undefined;
  done: boolean;
}

/** Identities the backfill delivered past a fill's end: live events among them are dropped. */
interface Guard {
  readonly until: number;
  readonly ids: Set<string>;
}

/** Why a topic of a gap was not filled. */
type Unfilled = NonNullable<Gap['unfilled']>[string];

/** A gap with backfill on: which topics were filled and which not, and why. */
type FilledGap = Gap & Required<Pick<Gap, 'filled' | 'unfilled'>>;

export interface BackfillHost {
  readonly cluster: Cluster;
  readonly feed: Feed;
  /** Deliver one event to the listeners, marked or not. */
  deliver(event: WireEvent, backfilled: boolean): void;
  report(report: BackfillReport): void;
  gap(gap: FilledGap): void;
}

/**
 * The backfill of a client, or undefined when the `backfill` option is off (checked here): its own
 * REST fetcher, with the history options and backfill's base URL, concurrency and rate.
 */
export function createBackfill(
  client: { readonly apiKey: string; readonly url: string; readonly cluster: Cluster },
  options: { readonly backfill?: unknown; readonly history?: HistoryOptions },
  log: Logger,
  host: Omit<BackfillHost, 'cluster' | 'feed'>,
): Backfill | undefined {
  const config = resolveBackfill(options.backfill);
  if (!config) return undefined;
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
  return new Backfill(config, fetcher, {
    ...host,
    cluster: client.cluster,
    feed: feedOfUrl(client.url),
  });
}

export class Backfill {
  private readonly seen = new Map<string, Seen>();
  private readonly fills = new Map<string, Fill>();
  private readonly guards = new Map<string, Guard>();
  /** `ev` → route of this cluster's streams with history (and enabled). */
  private readonly routes = new Map<string, HistoryRoute>();
  private pending: { gap: FilledGap; left: number } | undefined;

  constructor(
    private readonly config: BackfillConfig,
    private readonly fetcher: HistoryFetcher,
    private readonly host: BackfillHost,
  ) {
    for (const s of STREAMS) {
      const route = historyRoute(s);
      const enabled = config.streams === undefined || config.streams.includes(s.prefix);
      if (s.cluster === host.cluster && s.feed === 'market' && route && enabled) {
        this.routes.set(s.ev, route);
      }
    }
  }

  /** Whether a live event goes to the listeners now (false: held, or already delivered). */
  live(event: WireEvent): boolean {
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
    this.note(key, route, event);
    return true;
  }

  /** A reconnect: fill each topic of the gap that can be filled; the `gap` event when all settle. */
  begin(gap: Gap): void {
    this.interrupt();
    const out: FilledGap = { ...gap, filled: {}, unfilled: {} };
    const c = this.config;
    let tickers = 0;
    const start: Fill[] = [];
    for (const topic of gap.topics) {
      const key = topicKey(this.host.cluster, topic);
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
      const fill: Fill = {
        topic,
        aliases: [],
        key: key!,
        target,
        from,
        held: [],
        timer: undefined,
        abort: undefined,
        done: false,
      };
      this.fills.set(fill.key, fill);
      this.guards.delete(fill.key);
      start.push(fill);
    }
    this.pending = { gap: out, left: start.length };
    for (const fill of start) {
      fill.timer = setTimeout(() => this.fetch(fill, Date.now() + 1), c.liveWaitMs);
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
    this.pending = undefined;
  }

  /** Stop every pending fill (its timer and request); `each` sees each one before it goes. */
  private stopFills(each?: (fill: Fill) => void): void {
    for (const fill of this.fills.values()) {
      clearTimeout(fill.timer);
      fill.abort?.abort();
      fill.done = true;
      each?.(fill);
    }
    this.fills.clear();
  }

  private hold(fill: Fill, event: WireEvent): boolean {
    if (fill.held.length >= this.config.maxHeldEvents) {
      this.finish(fill, [], {
        code: ErrorCode.BackfillOverflow,
        reason: `${fill.topic}: more than backfill.maxHeldEvents (${this.config.maxHeldEvents}) live events arrived while filling; gave up on the gap`,
      });
      return this.live(event);
    }
    fill.held.push(event);
    if (fill.held.length === 1 && fill.abort === undefined) {
      clearTimeout(fill.timer);
      this.fetch(fill, eventTime(event) + 1);
    }
    return false;
  }

  private fetch(fill: Fill, to: number): void {
    if (fill.done || fill.abort) return;
    fill.timer = undefined;
    fill.abort = new AbortController();
    const window = { from: fill.from, to: Math.max(to, fill.from + 1) };
    void this.collect(fill, window).then(
      (events) => this.finish(fill, events, undefined, window),
      (err: unknown) => {
        if (fill.done) return;
        const e =
          err instanceof PolygonStreamError
            ? err
            : new PolygonStreamError(ErrorCode.HistoryFailed, String(err));
        this.finish(fill, [], { code: e.code, reason: e.message });
      },
    );
  }

  private async collect(fill: Fill, window: { from: number; to: number }): Promise<WireEvent[]> {
    const out: WireEvent[] = [];
    const query = { ...window, signal: fill.abort!.signal };
    for await (const event of this.fetcher.events(fill.target, query)) {
      if (out.length >= this.config.maxRows) {
        throw new PolygonStreamError(
          ErrorCode.HistoryFailed,
          `${fill.topic}: more than backfill.maxRows (${this.config.maxRows}) events in the gap`,
        );
      }
      out.push(event);
    }
    return out;
  }

  /** Deliver a fill's history (less what was delivered or held), then its held live events. */
  private finish(
    fill: Fill,
    history: WireEvent[],
    failure: Unfilled | undefined,
    window = { from: fill.from, to: fill.from },
  ): void {
    if (fill.done) return;
    fill.done = true;
    clearTimeout(fill.timer);
    if (failure) fill.abort?.abort();
    this.fills.delete(fill.key);
    const route = fill.target.route;
    const already = new Map<string, number>();
    const count = (id: string): void => void already.set(id, (already.get(id) ?? 0) + 1);
    for (const id of this.seen.get(fill.key)?.ids ?? []) count(id);
    for (const e of fill.held) count(route.identity(e));
    let duplicates = 0;
    const ids = new Set<string>();
    for (const event of history) {
      const id = route.identity(event);
      const n = already.get(id) ?? 0;
      if (n > 0) {
        already.set(id, n - 1);
        duplicates++;
        continue;
      }
      ids.add(id);
      this.note(fill.key, route, event);
      this.host.deliver(event, true);
    }
    const delivered = history.length - duplicates;
    if (ids.size > 0) this.guards.set(fill.key, { until: window.to, ids });
    const held = fill.held;
    fill.held = [];
    for (const event of held) if (this.live(event)) this.host.deliver(event, false);
    const gap = this.pending?.gap;
    for (const topic of gap ? [fill.topic, ...fill.aliases] : []) {
      if (failure) gap!.unfilled[topic] = failure;
      else gap!.filled[topic] = delivered;
    }
    if (!failure) {
      this.host.report({
        topic: fill.topic,
        ...window,
        events: delivered,
        duplicates,
        held: held.length,
      });
    }
    if (this.pending) this.pending.left--;
    this.settle();
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
