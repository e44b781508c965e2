/**
 * History, then live: from a moment (`subscribe(topics, { from })`, the client's `start`), each
 * per-symbol topic with history gets a fill (topic-fills.ts) that streams its REST history page by
 * page, then lets its live events (held meanwhile) flow, with nothing missing or twice at the
 * seam; a `caughtUp` report per topic marks the switch, `filled`, `partial` (naming the ranges
 * that may lack events and why) or `unfilled` (with a coded reason). A drop while catching up
 * cuts the fill; the next connection resumes it from the last event delivered, so each topic
 * still gets one `caughtUp`.
 */
import type { PolygonStreamError } from '../../errors.js';
import { topicKey } from '../../protocol/symbols.js';
import type { Cluster } from '../../protocol/streams.js';
import type { HistoryFetcher } from '../history/history.js';
import type { HistoryTopic } from '../history/history-topic.js';
import type { BackfillConfig } from './backfill-options.js';
import { TopicFill } from './topic-fill.js';
import type { TopicFills } from './topic-fills.js';
import type { BackfillReport, CaughtUp } from '../delivery/lifecycle.js';

export class FromFills {
  /** Topics a drop cut while catching up, by topic key: the next connection resumes them. */
  private readonly cut = new Map<string, { topic: string; aliases: string[] }>();

  constructor(
    private readonly fills: TopicFills,
    private readonly fetcher: HistoryFetcher,
    private readonly config: BackfillConfig,
    private readonly cluster: Cluster,
    private readonly caughtUp: (report: CaughtUp) => void,
  ) {}

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
   * From `from` (Unix ms), each topic's REST history is delivered page by page, then its live
   * events; a `caughtUp` report per topic when it switches. Call before the topics are
   * subscribed, so their first live events are held.
   */
  from(targets: readonly HistoryTopic[], from: number): void {
    for (const target of targets) {
      const key = topicKey(this.cluster, target.topic)!;
      const same = this.fills.get(key);
      if (same) {
        same.aliases.push(target.topic);
        continue;
      }
      this.start(target, key, from);
    }
  }

  /** A topic that cannot be filled from `from` (no history here): its `unfilled` caughtUp. */
  unfilled(topic: string, from: number, error: PolygonStreamError): void {
    this.caughtUp({
      topic,
      status: 'unfilled',
      from,
      to: from,
      events: 0,
      duplicates: 0,
      held: 0,
      heldMs: 0,
      queries: 0,
      rejected: 0,
      forming: 0,
      missing: [],
      code: error.code,
      reason: error.message,
    });
  }

  /** Stop the fills of `topics` (unsubscribed, refused), each reported unfilled. */
  cancel(topics: readonly string[], code: string, reason: string): void {
    for (const topic of topics) {
      const key = topicKey(this.cluster, topic);
      const fill = key === undefined ? undefined : this.fills.get(key);
      if (key !== undefined) this.cut.delete(key);
      if (!fill || fill.mode !== 'from') continue;
      this.fills.drop(fill);
      this.caughtUp({
        ...this.fills.reportOf(fill, fill.from, []),
        status: 'unfilled',
        code,
        reason: `${topic}: ${reason}`,
      });
    }
  }

  /** A drop stopped this fill: the next connection resumes it. */
  interrupted(fill: TopicFill): void {
    this.cut.set(fill.key, { topic: fill.topic, aliases: fill.aliases });
  }

  /** After a reconnect: restart the fills a drop cut, from their last event; their keys. */
  resume(): Set<string> {
    const keys = new Set(this.cut.keys());
    for (const [key, { topic, aliases }] of this.cut) {
      const fill = this.start(this.fetcher.topic(topic), key, this.fills.lastSeen(key)!);
      fill.aliases.push(...aliases);
    }
    this.cut.clear();
    return keys;
  }

  /** A fill ended: its caughtUp. */
  ended(fill: TopicFill, report: BackfillReport): void {
    this.caughtUp({ ...report, pages: fill.pages, peak: fill.peak });
  }

  /** The client closed: nothing is resumed. */
  close(): void {
    this.cut.clear();
  }

  private start(target: HistoryTopic, key: string, from: number): TopicFill {
    const deadline = Date.now() + this.config.maxHoldMs;
    const fill = new TopicFill(target.topic, key, target, from, deadline, 'from');
    this.fills.add(fill);
    this.fills.start(fill);
    return fill;
  }
}
