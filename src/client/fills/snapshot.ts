/**
 * Snapshot on subscribe: for each per-symbol topic of a `subscribe(topics, { snapshot: true })`
 * whose stream has a latest-state endpoint (src/protocol/rest/rest-latest.ts), the topic's live events
 * are held (bounded in count and in time, `maxHoldMs`) while REST is asked once for its latest
 * event, through the client's HistoryFetcher (its gate, retries, bounded reads, masking) and row
 * checks. Then the snapshot is delivered, marked, before the held live events, unless one of them
 * is the same event or earlier than it (then it is dropped as `stale`: it would come out of
 * order). A REST failure or a hold that runs out lets live events flow without it (`failed`);
 * wildcards, streams without a latest endpoint, topics already live and tickers REST has no
 * latest event for get none (NO_SNAPSHOT). Each topic's outcome is one report. Reconnects take no
 * snapshot: gap-fill (`backfill`) is what covers them.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import type { WireEvent } from '../../protocol/codec.js';
import {
  latestEvent,
  latestPath,
  latestRoute,
  parseLatestBody,
  whyNoLatest,
} from '../../protocol/rest/rest-latest.js';
import type { Cluster } from '../../protocol/streams.js';
import { eventKey, splitTopic, topicKey } from '../../protocol/symbols.js';
import { eventTime } from '../../protocol/timestamps.js';
import type { SnapshotReport } from '../delivery/lifecycle.js';
import type { HistoryFetcher, HistoryTopic } from '../history/history.js';
import { RowCheck } from '../history/row-check.js';

/** How long a topic's live events wait for its snapshot, and how many of them at most. */
export const SNAPSHOT_LIMITS = { maxHoldMs: 5_000, maxHeldEvents: 10_000 } as const;

export interface SnapshotHost {
  readonly cluster: Cluster;
  /** Deliver in order: the snapshot (marked), if any, then the held live events. */
  deliver(snapshot: WireEvent | undefined, live: readonly WireEvent[]): void;
  report(report: SnapshotReport): void;
}

interface Pending {
  readonly topic: string;
  readonly target: HistoryTopic;
  held: WireEvent[];
  heldAt: number | undefined;
  readonly abort: AbortController;
  timer: ReturnType<typeof setTimeout> | undefined;
}

type Outcome = { event: WireEvent } | { status: 'none' | 'failed'; code: string; reason: string };

export class Snapshots {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly fetcher: HistoryFetcher,
    private readonly host: SnapshotHost,
    private readonly limits: { maxHoldMs: number; maxHeldEvents: number } = SNAPSHOT_LIMITS,
  ) {}

  /** Whether any topic waits for its snapshot (live events must then pass `live`). */
  get active(): boolean {
    return this.pending.size > 0;
  }

  /** Whether a live event goes to the listeners now (false: held until its topic's snapshot). */
  live(event: WireEvent): boolean {
    const key = eventKey(this.host.cluster, event);
    const p = key === undefined ? undefined : this.pending.get(key);
    if (!p) return true;
    if (p.held.length >= this.limits.maxHeldEvents) {
      const reason = `${p.topic}: more than ${this.limits.maxHeldEvents} live events arrived while waiting for the snapshot`;
      this.finish(key!, { status: 'failed', code: ErrorCode.BackfillOverflow, reason });
      return true;
    }
    if (p.held.length === 0) p.heldAt = Date.now();
    p.held.push(event);
    return false;
  }

  /**
   * Ask for the snapshot of each topic. `before`: the subscription set before this subscribe;
   * a topic in it, directly or by a wildcard, may have delivered live events: it gets none.
   */
  begin(topics: readonly string[], before: ReadonlyMap<string, { readonly state: string }>): void {
    const cluster = this.host.cluster;
    const live = new Set<string>();
    for (const [topic, status] of before) {
      const key = status.state === 'failed' ? undefined : topicKey(cluster, topic);
      if (key !== undefined) live.add(key);
    }
    for (const topic of topics) {
      const none = (reason: string): void =>
        this.host.report({
          topic,
          status: 'none',
          held: 0,
          heldMs: 0,
          code: ErrorCode.NoSnapshot,
          reason,
        });
      const key = topicKey(cluster, topic);
      if (splitTopic(topic)?.symbol === '*' || key === undefined) {
        none(
          `${topic}: a wildcard topic has no snapshot: the provider's latest endpoints are per ticker; subscribe per symbol`,
        );
        continue;
      }
      if (this.pending.has(key)) continue;
      let target: HistoryTopic;
      try {
        target = this.fetcher.topic(topic);
      } catch (err) {
        none(`${topic}: ${(err as Error).message}`);
        continue;
      }
      if (!latestRoute(target.stream)) {
        none(`${topic}: ${target.stream.title} has no snapshot: ${whyNoLatest(target.stream)}`);
        continue;
      }
      if (live.has(key) || live.has(`${key.slice(0, key.indexOf('.'))}.*`)) {
        none(
          `${topic}: already subscribed, so its live events may have been delivered: a snapshot now could come after newer ones`,
        );
        continue;
      }
      const p: Pending = {
        topic,
        target,
        held: [],
        heldAt: undefined,
        abort: new AbortController(),
        timer: undefined,
      };
      this.pending.set(key, p);
      p.timer = setTimeout(() => {
        const reason = `${topic}: no snapshot from REST within ${this.limits.maxHoldMs} ms; live events flow without it`;
        this.finish(key, { status: 'failed', code: ErrorCode.HistoryFailed, reason });
      }, this.limits.maxHoldMs);
      void this.fetch(p).then((outcome) => {
        if (this.pending.get(key) === p) this.finish(key, outcome);
      });
    }
  }

  /** The subscribe of these topics failed: their snapshots end `failed`, live events (if any) flow. */
  cancel(topics: readonly string[], error: unknown): void {
    const e = error instanceof PolygonStreamError ? error : undefined;
    for (const topic of topics) {
      const key = topicKey(this.host.cluster, topic);
      if (key === undefined || this.pending.get(key)?.topic !== topic) continue;
      const reason = `${topic}: the subscribe failed: ${e?.message ?? String(error)}`;
      this.finish(key, { status: 'failed', code: e?.code ?? ErrorCode.SubscribeFailed, reason });
    }
  }

  /** The client closed: stop every request and timer, report nothing more. */
  close(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.abort.abort();
    }
    this.pending.clear();
  }

  /** One REST request for the topic's latest event, checked as a history row is. */
  private async fetch(p: Pending): Promise<Outcome> {
    const { stream, ticker, route } = p.target;
    const latest = latestRoute(stream)!;
    const parse = (text: string): object | undefined => {
      try {
        const body = parseLatestBody(text);
        return typeof body === 'object' && body !== null ? body : undefined;
      } catch {
        return undefined;
      }
    };
    try {
      const deadline = Date.now() + this.limits.maxHoldMs;
      const body = await this.fetcher.getOnce(
        latestPath(latest, ticker),
        p.topic,
        parse,
        p.abort.signal,
        deadline,
      );
      const event = latestEvent(latest, ticker, body);
      const row = (body as { results?: Record<string, unknown> }).results ?? {};
      if (event === undefined) {
        const reason = `${p.topic}: REST answered with no latest event for ${ticker}`;
        return { status: 'none', code: ErrorCode.NoSnapshot, reason };
      }
      const bad = new RowCheck(route, ticker, { from: 0, to: Number.MAX_SAFE_INTEGER }).reject(
        row,
        event,
        undefined,
      );
      if (bad)
        return {
          status: 'failed',
          code: ErrorCode.HistoryInvalid,
          reason: `${p.topic}: ${bad.reason}`,
        };
      return { event };
    } catch (err) {
      const e =
        err instanceof PolygonStreamError
          ? err
          : new PolygonStreamError(ErrorCode.HistoryFailed, String(err));
      if ((e.details as { status?: unknown } | undefined)?.status === 404) {
        const said = (e.details as { serverMessage?: string }).serverMessage;
        const reason = `${p.topic}: REST has no latest event for ${ticker} (HTTP 404${said ? `: "${said}"` : ''})`;
        return { status: 'none', code: ErrorCode.NoSnapshot, reason };
      }
      return { status: 'failed', code: e.code, reason: e.message };
    }
  }

  /** Deliver the snapshot (unless stale) and the held live events; report the outcome. */
  private finish(key: string, outcome: Outcome): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    p.abort.abort();
    const held = p.held;
    const heldMs = p.heldAt === undefined ? 0 : Date.now() - p.heldAt;
    const base = { topic: p.topic, held: held.length, heldMs };
    if (!('event' in outcome)) {
      this.host.deliver(undefined, held);
      this.host.report({ ...base, ...outcome });
      return;
    }
    const { event } = outcome;
    const time = eventTime(event);
    const id = p.target.route.identity(event);
    const first = held[0];
    const stale =
      (first !== undefined && eventTime(first) < time) ||
      held.some((e) => p.target.route.identity(e) === id);
    this.host.deliver(stale ? undefined : event, held);
    this.host.report({ ...base, status: stale ? 'stale' : 'delivered', time });
  }
}
