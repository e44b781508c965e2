/**
 * Filling the gaps a reconnect leaves from the provider's REST history, and the client's one
 * entry to its fills. On a reconnect, each per-symbol topic with history of the intended set (and
 * each topic `backfill.alsoFill` names, such as those a wildcard carries) gets a fill
 * (topic-fills.ts) from the last event delivered before the drop (or the gap's start) to its
 * first live event, proven against REST trailing the stream; when every topic has settled, the
 * `gap` event says which were `filled`, `partial` (naming the ranges that may lack events and
 * why) or `unfilled`. Wildcards, streams without history, gaps or topic counts over the limits
 * leave the topic `unfilled`, with a coded reason; the live stream never stops for long.
 * History-then-live fills (from-fills.ts) run through the same fills: a drop cuts them and the
 * reconnect resumes them instead of filling their gap.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import type { WireEvent } from '../../protocol/codec.js';
import type { Cluster, Feed } from '../../protocol/streams.js';
import { topicKey } from '../../protocol/symbols.js';
import {
  feedOfUrl,
  HistoryFetcher,
  type HistoryOptions,
  type HistoryTopic,
} from '../history/history.js';
import { resolveBackfill, type BackfillConfig } from './backfill-options.js';
import { TopicFill } from './topic-fill.js';
import { TopicFills } from './topic-fills.js';
import { FromFills } from './from-fills.js';
import type { Logger } from '../logger.js';
import type { BackfillReport, CaughtUp, Gap } from '../delivery/lifecycle.js';

/** A gap with backfill on: which topics were filled, in part or not, and why. */
type FilledGap = Gap & Required<Pick<Gap, 'filled' | 'partial' | 'unfilled'>>;

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
  /** History, then live: `from` subscriptions and the client's `start`. */
  readonly fromFills: FromFills;
  private readonly fills: TopicFills;
  private pending: { gap: FilledGap; left: number } | undefined;

  constructor(
    private readonly config: BackfillConfig,
    private readonly fetcher: HistoryFetcher,
    private readonly host: BackfillHost,
    /** The `backfill` option is on: reconnects' gaps are filled. */
    private readonly fillsGaps = true,
  ) {
    this.fills = new TopicFills(
      config,
      fetcher,
      host.cluster,
      {
        deliver: (history, live) => host.deliver(history, live),
        ended: (...a) => this.ended(...a),
      },
      fillsGaps,
    );
    this.fromFills = new FromFills(this.fills, fetcher, config, host.cluster, (report) =>
      host.caughtUp(report),
    );
  }

  /** Whether live events need to pass `live` (gap-fill on, or a fill or guard in place). */
  get watching(): boolean {
    return this.fills.watching;
  }

  /** Whether a live event goes to the listeners now (false: held, or already delivered). */
  live(event: WireEvent): boolean {
    return this.fills.live(event);
  }

  /** A reconnect: fill each topic of the gap that can be filled; the `gap` event when all settle. */
  begin(gap: Gap): void {
    this.interrupt();
    const resumed = this.fromFills.resume();
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
        if (!this.fills.fillable(target.stream.ev)) {
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
      const from = this.fills.lastSeen(key!) ?? gap.from;
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
      this.fills.add(fill);
      start.push(fill);
    }
    this.pending = { gap: out, left: start.length };
    for (const fill of start) this.fills.start(fill, c.liveWaitMs);
    this.settle();
  }

  /**
   * The connection dropped again: pending fills stop, their held events are dropped (the next
   * fill asks for them again from the same start), and the pending `gap` is reported as it is;
   * history-then-live fills are resumed by the next connection.
   */
  interrupt(): void {
    this.fills.interrupt((fill) => {
      if (fill.mode === 'from') return this.fromFills.interrupted(fill);
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
    this.fills.close();
    this.fromFills.close();
    this.pending = undefined;
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

  /** A fill ended: history-then-live reports caughtUp; a gap's topic is counted into its `gap`. */
  private ended(fill: TopicFill, report: BackfillReport, delivered: number): void {
    if (fill.mode === 'from') return this.fromFills.ended(fill, report);
    const gap = this.pending?.gap;
    const missing = report.missing;
    // Nothing delivered and nothing proven: the whole gap is unfilled, for the first reason.
    const none = delivered === 0 && !fill.proven && missing.length > 0;
    for (const topic of gap ? [fill.topic, ...fill.aliases] : []) {
      if (missing.length === 0) gap!.filled[topic] = delivered;
      else if (none)
        gap!.unfilled[topic] = { code: missing[0]!.code, reason: missing[0]!.reason, missing };
      else gap!.partial[topic] = { events: delivered, missing };
    }
    this.host.report(report);
    if (this.pending) this.pending.left--;
    this.settle();
  }

  private settle(): void {
    const p = this.pending;
    if (!p || p.left > 0) return;
    this.pending = undefined;
    this.host.gap(p.gap);
  }
}
