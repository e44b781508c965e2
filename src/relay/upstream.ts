/**
 * One upstream connection of the relay (one cluster): a StreamClient subscribed to the union of
 * what the downstream clients want, reference-counted by canonical topic key. A wildcard `T.*`
 * covers `T.AAPL` (which is then not subscribed upstream on its own); while a wildcard is coming or
 * going, the single topics it covers are kept until the replacement is confirmed, so no one sees a
 * hole. Each downstream subscribe is answered when the upstream topic that covers it is confirmed
 * (an ack), refused (the provider's words) or left unanswered (silence, as the provider does).
 * Changes are not sent at once: upstream-changes.ts gathers them for a short window and sends the
 * difference, rate-limited, so a client flapping a topic cannot flood the provider.
 */
import { StreamClient } from '../client/stream-client.js';
import type { ClientOptions } from '../client/config.js';
import type { WireEvent } from '../protocol/codec.js';
import type { Cluster } from '../protocol/streams.js';
import { wildcardOf } from '../protocol/symbols.js';
import { ErrorCode, isPolygonStreamError, type PolygonStreamError } from '../errors.js';
import type { TopicAnswer } from '../server/session-host.js';
import type { Gap } from '../client/delivery/lifecycle.js';
import { type Changes, type PacingOptions, UpstreamChanges } from './upstream-changes.js';

interface Entry {
  /** The spelling subscribed upstream (sent; pending until the provider answers). */
  readonly topic: string;
  state: 'pending' | 'active';
}

interface Waiter {
  readonly key: string;
  readonly resolve: (answer: TopicAnswer) => void;
  /** Called when the holding ends by refusal (the downstream client drops the topic). */
  readonly dropped: () => void;
}

const CLOSED = 'relay: the upstream connection is closed';

/** What the upstream reports to the relay. */
export interface UpstreamHooks {
  /**
   * Events to forward: one upstream frame and its text as received, or (with backfill) what the
   * client delivered: a frame less the events held or repeated, or a topic's filled history and
   * its held live events, in order, with no text.
   */
  frame(cluster: Cluster, events: readonly WireEvent[], raw: string | undefined): void;
  gap(cluster: Cluster, gap: Gap): void;
  reconnect(cluster: Cluster): void;
  /** A topic's gap was filled with `events` events from REST history, completely or in part. */
  backfilled(events: number, status: 'filled' | 'partial'): void;
  error(error: PolygonStreamError): void;
  /** The upstream stream ended for good (auth failed, reconnects exhausted, evicted). */
  ended(cluster: Cluster, error: PolygonStreamError | undefined): void;
}

function isWildcard(key: string): boolean {
  return key.endsWith('.*');
}

export class Upstream {
  readonly client: StreamClient;
  /** Canonical key → downstream holdings. */
  private readonly refs = new Map<string, number>();
  /** Canonical key → the first downstream spelling, used upstream. */
  private readonly spelling = new Map<string, string>();
  /** Canonical key → what is subscribed (or being subscribed) upstream. */
  private readonly entries = new Map<string, Entry>();
  /** Entry key → the downstream subscribes waiting for that entry's answer. */
  private readonly waiters = new Map<string, Waiter[]>();
  /** Downstream subscribes whose topic has no entry yet: placed by the next flush. */
  private readonly queued: Waiter[] = [];
  private readonly changes: UpstreamChanges<string>;
  /** Keys refused upstream while still held (not asked again until no one holds them). */
  private readonly refused = new Map<string, string>();
  private raw = '';

  constructor(
    readonly cluster: Cluster,
    apiKey: string,
    options: ClientOptions<StreamClient>,
    private readonly hooks: UpstreamHooks,
    /** How changes are gathered and rate-limited (upstream-changes.ts has the defaults). */
    pacing: PacingOptions = {},
  ) {
    this.changes = new UpstreamChanges(
      () => this.plan(),
      (changes) => this.send(changes),
      pacing,
    );
    const backfill =
      options.backfill === undefined || options.backfill === false ? undefined : options.backfill;
    this.client = new StreamClient(apiKey, cluster, {
      ...options,
      ...(backfill === undefined
        ? {}
        : {
            backfill: {
              ...(backfill === true ? {} : backfill),
              // Every downstream per-symbol topic is filled, even one a wildcard carries upstream.
              alsoFill: () => this.singleTopics(),
            },
          }),
      onMessage: (_client, raw) => (this.raw = raw),
      onError: (_client, error) => hooks.error(error),
      onClose: () => undefined,
    });
    // Without backfill every frame is forwarded as received (its text too); with it, what the
    // client delivered, which puts filled history before the held live events.
    this.client.on('frame', (events) =>
      hooks.frame(cluster, events, backfill === undefined ? this.raw : undefined),
    );
    this.client.on('gap', (gap) => hooks.gap(cluster, gap));
    this.client.on('reconnect', () => hooks.reconnect(cluster));
    this.client.on('backfill', (report) => hooks.backfilled(report.events, report.status));
    this.client.on('close', ({ error }) => {
      this.changes.close();
      for (const key of [...this.waiters.keys()]) {
        this.settle(key, { refuse: CLOSED });
      }
      this.placeQueued();
      hooks.ended(cluster, error);
    });
  }

  /** The per-symbol topics downstream clients hold, as first spelled. */
  private singleTopics(): string[] {
    return [...this.spelling].filter(([key]) => !isWildcard(key)).map(([, topic]) => topic);
  }

  /** Topics subscribed upstream. */
  topics(): string[] {
    return [...this.entries.values()].map((e) => e.topic);
  }

  get ended(): boolean {
    return this.client.state === 'closed' || this.client.state === 'closing';
  }

  /**
   * A downstream client wants `topic` (canonical `key`). Unless refused at once, it holds the key
   * from now on, until `release` or, when the upstream refuses it later, `dropped` is called.
   */
  acquire(topic: string, key: string, dropped: () => void): TopicAnswer | Promise<TopicAnswer> {
    if (this.ended) return { refuse: CLOSED };
    const refused = this.refused.get(key);
    if (refused !== undefined) return { refuse: refused };
    const n = (this.refs.get(key) ?? 0) + 1;
    this.refs.set(key, n);
    if (n === 1) {
      this.spelling.set(key, topic);
      this.changes.changed();
    }
    return this.answerFor(key, dropped);
  }

  /** A downstream holding of `key` ended. */
  release(key: string): void {
    const n = (this.refs.get(key) ?? 0) - 1;
    if (n > 0) {
      this.refs.set(key, n);
      return;
    }
    this.refs.delete(key);
    this.spelling.delete(key);
    this.refused.delete(key);
    this.changes.changed();
  }

  /** Close the upstream connection; no flush runs after this. */
  close(): Promise<void> {
    this.changes.close();
    return this.client.closeStream();
  }

  /** The entry serving `key`: an active wildcard first, then its own, then a pending wildcard. */
  private coverOf(key: string): { key: string; entry: Entry } | undefined {
    const wild = wildcardOf(key);
    const w = this.entries.get(wild);
    if (w?.state === 'active') return { key: wild, entry: w };
    const own = this.entries.get(key);
    if (own) return { key, entry: own };
    return w ? { key: wild, entry: w } : undefined;
  }

  private answerFor(key: string, dropped: () => void): TopicAnswer | Promise<TopicAnswer> {
    const cover = this.coverOf(key);
    if (cover?.entry.state === 'active') return 'ack';
    return new Promise((resolve) => {
      const waiter = { key, resolve, dropped };
      if (cover !== undefined) return this.wait(cover.key, waiter);
      this.queued.push(waiter);
      this.changes.changed();
    });
  }

  private wait(entryKey: string, waiter: Waiter): void {
    const list = this.waiters.get(entryKey);
    if (list) list.push(waiter);
    else this.waiters.set(entryKey, [waiter]);
  }

  /**
   * After a flush: each queued subscribe waits for the entry now covering it, or is answered: an
   * ack when its topic was given up before it went upstream (the provider acknowledges a subscribe
   * and its unsubscribe alike), the refusal when it was refused. Without a cover yet (the tokens
   * ran out) it stays queued for the next flush.
   */
  private placeQueued(): void {
    const queued = this.queued.splice(0);
    for (const w of queued) {
      if (this.ended || this.refused.has(w.key)) {
        w.dropped();
        w.resolve({ refuse: this.refused.get(w.key) ?? CLOSED });
      } else if (!this.refs.has(w.key)) {
        w.resolve('ack');
      } else {
        const cover = this.coverOf(w.key);
        if (cover === undefined) this.queued.push(w);
        else if (cover.entry.state === 'active') w.resolve('ack');
        else this.wait(cover.key, w);
      }
    }
  }

  /**
   * What differs between the minimal cover of the wanted keys and what is subscribed upstream,
   * at a flush (upstream-changes.ts sends it, as far as its tokens allow).
   */
  private plan(): Changes<string> {
    const changes: Changes<string> = { subscribe: [], unsubscribe: [] };
    if (this.ended) return changes;
    const desired = new Set<string>();
    const wanted = (key: string): boolean => this.refs.has(key) && !this.refused.has(key);
    for (const key of this.spelling.keys()) {
      if (wanted(key) && (isWildcard(key) || !wanted(wildcardOf(key)))) desired.add(key);
    }
    for (const key of desired) if (!this.entries.has(key)) changes.subscribe.push(key);
    for (const key of this.entries.keys()) {
      if (!desired.has(key) && !this.stillNeeded(key)) changes.unsubscribe.push(key);
    }
    return changes;
  }

  /** Send a flush's changes: one subscribe message (a request per topic), one unsubscribe. */
  private send({ subscribe, unsubscribe }: Changes<string>): void {
    if (!this.ended && subscribe.length > 0) {
      const topics = subscribe.map((key) => {
        const topic = this.spelling.get(key) as string;
        this.entries.set(key, { topic, state: 'pending' });
        return topic;
      });
      let answers: Promise<unknown>[];
      try {
        answers = this.client.subscribeEach(topics);
      } catch (err) {
        answers = topics.map(() => Promise.reject(err));
      }
      answers.forEach((done, i) => {
        const key = subscribe[i] as string;
        done.then(
          () => this.confirmed(key),
          (err: unknown) => this.failed(key, err),
        );
      });
    }
    if (!this.ended && unsubscribe.length > 0) {
      const topics = unsubscribe.map((key) => {
        const topic = (this.entries.get(key) as Entry).topic;
        this.entries.delete(key);
        return topic;
      });
      this.client.unsubscribe(topics).catch(() => undefined);
    }
    this.placeQueued();
  }

  /**
   * An entry no longer wanted is kept while its replacement is not active yet: a single topic
   * still held until the wildcard covering it is active, a wildcard until the single topics held
   * under it are active.
   */
  private stillNeeded(key: string): boolean {
    if (!isWildcard(key)) {
      return this.refs.has(key) && this.entries.get(wildcardOf(key))?.state !== 'active';
    }
    for (const other of this.spelling.keys()) {
      if (other === key || wildcardOf(other) !== key || this.refused.has(other)) continue;
      if (this.entries.get(other)?.state !== 'active') return true;
    }
    return false;
  }

  private confirmed(key: string): void {
    const entry = this.entries.get(key);
    if (entry) entry.state = 'active';
    this.settle(key, 'ack');
    this.changes.changed();
  }

  private failed(key: string, err: unknown): void {
    const entry = this.entries.get(key);
    if (isPolygonStreamError(err) && err.code === ErrorCode.SubscribeTimeout) {
      // The provider is silent for some topics (unknown tickers, ones already held): so is the relay.
      if (entry) entry.state = 'active';
      this.settle(key, 'silent');
      this.changes.changed();
      return;
    }
    const message =
      isPolygonStreamError(err) && typeof err.details.serverMessage === 'string'
        ? err.details.serverMessage
        : CLOSED;
    this.entries.delete(key);
    if (this.refs.has(key)) this.refused.set(key, message);
    this.settle(key, { refuse: message });
    this.changes.changed();
  }

  /** Answer everyone waiting on the entry `key`; a refusal of a wildcard re-queues the others. */
  private settle(key: string, answer: TopicAnswer): void {
    const list = this.waiters.get(key);
    if (!list) return;
    this.waiters.delete(key);
    const retry: Waiter[] = [];
    for (const w of list) {
      if (typeof answer === 'object' && w.key !== key && !this.ended) retry.push(w);
      else {
        if (typeof answer === 'object') w.dropped();
        w.resolve(answer);
      }
    }
    if (retry.length === 0) return;
    this.changes.changed();
    for (const w of retry) {
      const again = this.answerFor(w.key, w.dropped);
      if (again instanceof Promise) void again.then(w.resolve);
      else w.resolve(again);
    }
  }
}
