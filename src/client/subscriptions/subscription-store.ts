/**
 * The subscription store: what the user wants (every subscribe minus every unsubscribe), what the
 * server has confirmed, and who is waiting for which acknowledgement. No socket in here: the client
 * asks it what to send and tells it what the server said.
 *
 * The server is terse: an ack per topic in the good case, an `error` that may not name its topic,
 * silence for a topic already held. So every request has a deadline, an error naming no topic is
 * charged to the oldest request still waiting (the server answers in order), and data arriving for
 * a pending topic proves it active.
 *
 * Topics are kept and reported as the user spelled them, but matched (acks, data, refusals) by
 * their canonical key (`topicKey`): `XT.X:BTC-USD` is proven by a trade carrying `BTC-USD`.
 *
 * Every operation costs O(topics it touches): the waiting requests (pending-requests.ts) are
 * indexed by key and kept in arming order.
 */
import type { WireEvent } from '../../protocol/codec.js';
import type { PolygonStreamError } from '../../errors.js';
import { eventKey, topicKey, wildcardOf } from '../../protocol/symbols.js';
import { type Action, PendingRequests, type SubscriptionResult } from './pending-requests.js';

export type { SubscriptionResult } from './pending-requests.js';

export type TopicState = 'pending' | 'active' | 'failed';

export interface TopicStatus {
  state: TopicState;
  /** The server's words when it refused the topic (or 'timeout'). */
  reason?: string;
}

/** What a subscribe or unsubscribe sends now, and its result once the server has answered. */
export interface Requested {
  send: string[];
  done: Promise<SubscriptionResult>;
}

/**
 * Characters that end a topic named inside the server's text: whitespace, list and quote marks,
 * brackets. A topic itself may hold `.`, `:`, `-`, `/`, `*`, so those are only stripped from the
 * end of a word (sentence punctuation: `refused: T.AAPL.`).
 */
const WORD_BREAK = /[\s,;'"`()[\]{}<>]+/;
const TRAILING_PUNCTUATION = /[.:!?]+$/;
const TOPIC_LIKE = /^[A-Z][A-Z0-9]*\.[^.\s]/;

export class SubscriptionStore {
  /** The user's intent, with the server-confirmed state of each topic, as spelled. */
  private readonly topics = new Map<string, TopicStatus>();
  /** Canonical key → the intended spellings with that key. */
  private readonly spellings = new Map<string, Set<string>>();
  /** Topics the user gave up on and the server refused, kept for `snapshot()`. */
  private readonly failed = new Map<string, string>();
  /** Subscribes and unsubscribes waiting for the server. */
  private readonly requests = new PendingRequests();

  constructor(private readonly cluster: string) {}

  /** The intended set, in insertion order: what a reconnect re-subscribes. */
  intended(): string[] {
    return [...this.topics.keys()];
  }

  /** Whether a topic (any spelling of it) is in the intended set. */
  intends(topic: string): boolean {
    return this.spellings.has(this.keyOf(topic));
  }

  get size(): number {
    return this.topics.size;
  }

  get waitingCount(): number {
    return this.requests.size;
  }

  snapshot(): Map<string, TopicStatus> {
    const out = new Map<string, TopicStatus>();
    for (const [topic, reason] of this.failed) out.set(topic, { state: 'failed', reason });
    for (const [topic, status] of this.topics) out.set(topic, { ...status });
    return out;
  }

  /**
   * Record a subscribe. Returns the topics that must go on the wire now (when `online`): those not
   * already active or pending. The promise settles when every topic is active.
   */
  subscribe(topics: readonly string[], online: boolean, deadline: number): Requested {
    const send: string[] = [];
    const waiting = new Map<string, string[]>();
    for (const topic of topics) {
      this.failed.delete(topic);
      const current = this.topics.get(topic);
      if (current?.state === 'active') continue;
      const key = this.keyOf(topic);
      addTo(waiting, key, topic);
      if (current === undefined) {
        this.intend(topic, key);
        this.topics.set(topic, { state: 'pending' });
        if (online) send.push(topic);
      }
    }
    return {
      send,
      done: this.requests.add('subscribe', [...topics], waiting, online ? deadline : undefined),
    };
  }

  /**
   * Record an unsubscribe. Returns the topics to send now (those the server may hold). Offline, the
   * server holds nothing, so the promise resolves at once.
   */
  unsubscribe(topics: readonly string[], online: boolean, deadline: number): Requested {
    const send: string[] = [];
    const waiting = new Map<string, string[]>();
    for (const topic of topics) {
      const key = this.keyOf(topic);
      const had = this.forget(topic);
      this.failed.delete(topic);
      if (had && online) {
        send.push(topic);
        addTo(waiting, key, topic);
      }
      // Nobody waits for a subscription that is no longer wanted.
      this.requests.release(topic, key);
    }
    return { send, done: this.requests.add('unsubscribe', [...topics], waiting, deadline) };
  }

  /** The server acknowledged `topic` (as it echoed it). */
  ack(action: Action, topic: string): void {
    const key = this.keyOf(topic);
    if (action === 'subscribe' && !this.activate(key) && this.failed.delete(topic)) {
      // A refusal naming no topic charges every topic of the oldest request; the server then
      // confirming one of them means it holds it after all: keep it, or client and server drift.
      this.intend(topic, key);
      this.topics.set(topic, { state: 'active' });
    }
    this.requests.settle(key, action);
  }

  /** Data arrived: proof that its topic (and its stream's `*` topic) is active, acked or not. */
  sawData(event: WireEvent): void {
    this.proven(wildcardOf(event.ev));
    const key = eventKey(this.cluster, event);
    if (key !== undefined) this.proven(key);
  }

  /**
   * The server answered `error`. Charged to the topics it names as whole words (wanted or waited
   * for, spelled as sent) or, when it names no topic at all, to the oldest request on the wire. A
   * message naming only topics the store no longer knows is charged to nobody. Returns the topics
   * it failed.
   */
  refuse(message: string): string[] {
    const { known, any } = this.named(message);
    const victims = [...known];
    if (!any) victims.push(...this.requests.oldestWaiting());
    for (const topic of victims) {
      if (this.forget(topic)) this.failed.set(topic, message);
      this.requests.fail(topic, this.keyOf(topic), message);
    }
    return victims;
  }

  /**
   * The connection is gone: every intended topic is pending again until re-acknowledged, waiting
   * subscribes are queued again (no deadline until re-sent), and unsubscribes are done (the
   * server forgets everything on disconnect).
   */
  disconnected(): void {
    for (const topic of this.topics.keys()) this.topics.set(topic, { state: 'pending' });
    this.requests.disconnected();
  }

  /** The queued requests went on the wire: their deadline starts now. */
  sent(deadline: number): void {
    this.requests.sent(deadline);
  }

  /** The deadline of the oldest request on the wire: the next to expire. */
  nextDeadline(): number | undefined {
    return this.requests.nextDeadline();
  }

  /** Reject every request whose deadline has passed; returns their errors. */
  expire(now: number): PolygonStreamError[] {
    return this.requests.expire(now);
  }

  /** Reject everything still waiting (the client is closing for good). */
  abort(error: PolygonStreamError): void {
    this.requests.abort(error);
  }

  private keyOf(topic: string): string {
    return topicKey(this.cluster, topic) ?? topic;
  }

  /** Add a spelling to the intent's key index (the caller sets its state). */
  private intend(topic: string, key: string): void {
    const set = this.spellings.get(key);
    if (set) set.add(topic);
    else this.spellings.set(key, new Set([topic]));
  }

  /** Drop a topic from the intent; whether it was there. */
  private forget(topic: string): boolean {
    if (!this.topics.delete(topic)) return false;
    const key = this.keyOf(topic);
    const set = this.spellings.get(key);
    set?.delete(topic);
    if (set?.size === 0) this.spellings.delete(key);
    return true;
  }

  /** Mark every intended spelling of `key` active; whether there was any. */
  private activate(key: string): boolean {
    const set = this.spellings.get(key);
    if (!set) return false;
    for (const topic of set) {
      if (this.topics.get(topic)?.state !== 'active') this.topics.set(topic, { state: 'active' });
    }
    return true;
  }

  private proven(key: string): void {
    this.activate(key);
    this.requests.settle(key, 'subscribe');
  }

  /**
   * The topics `message` names as whole words that are wanted or waited for, as spelled, and
   * whether it names any topic at all (`PREFIX.SYMBOL`, the prefix in capitals).
   */
  private named(message: string): { known: Set<string>; any: boolean } {
    const known = new Set<string>();
    let any = false;
    for (const word of message.split(WORD_BREAK)) {
      for (const topic of [word, word.replace(TRAILING_PUNCTUATION, '')]) {
        if (this.topics.has(topic) || this.requests.waitsFor(topic, this.keyOf(topic))) {
          known.add(topic);
        } else if (TOPIC_LIKE.test(topic)) any = true;
      }
    }
    return { known, any: any || known.size > 0 };
  }
}

function addTo(map: Map<string, string[]>, key: string, topic: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [topic]);
  else if (!list.includes(topic)) list.push(topic);
}
