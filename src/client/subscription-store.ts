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
 * Every operation costs O(topics it touches): waiting requests are indexed by key, and kept in
 * arming order in linked lists, so the oldest one and the next deadline are at the head.
 */
import type { WireEvent } from '../protocol/codec.js';
import { ErrorCode, PolygonStreamError } from '../errors.js';
import { eventKey, topicKey } from '../protocol/symbols.js';
import { LinkedList } from './linked-list.js';

export type TopicState = 'pending' | 'active' | 'failed';

export interface TopicStatus {
  state: TopicState;
  /** The server's words when it refused the topic (or 'timeout'). */
  reason?: string;
}

export interface SubscriptionResult {
  /** Topics the server acknowledged (or that were already active). */
  topics: string[];
}

type Action = 'subscribe' | 'unsubscribe';

interface Request {
  readonly action: Action;
  readonly topics: string[];
  /** Canonical key → the topics with that key not yet confirmed, as the user spelled them. */
  readonly waiting: Map<string, string[]>;
  readonly resolve: (r: SubscriptionResult) => void;
  readonly reject: (e: PolygonStreamError) => void;
  /** When the request times out; undefined while it is queued (not on the wire yet). */
  deadline: number | undefined;
  /** Its place in the armed or queued list. */
  list: object | undefined;
  prev: Request | undefined;
  next: Request | undefined;
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
  /** Canonical key → the requests waiting for it. */
  private readonly waiters = new Map<string, Set<Request>>();
  /** Requests on the wire, in the order their deadlines were armed. */
  private readonly armed = new LinkedList<Request>();
  /** Requests not on the wire yet (offline), oldest first. */
  private readonly queued = new LinkedList<Request>();

  constructor(private readonly cluster: string) {}

  /** The intended set, in insertion order: what a reconnect re-subscribes. */
  intended(): string[] {
    return [...this.topics.keys()];
  }

  get size(): number {
    return this.topics.size;
  }

  get waitingCount(): number {
    return this.armed.size + this.queued.size;
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
  subscribe(
    topics: readonly string[],
    online: boolean,
    deadline: number,
  ): { send: string[]; done: Promise<SubscriptionResult> } {
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
      done: this.wait('subscribe', [...topics], waiting, online ? deadline : undefined),
    };
  }

  /**
   * Record an unsubscribe. Returns the topics to send now (those the server may hold). Offline, the
   * server holds nothing, so the promise resolves at once.
   */
  unsubscribe(
    topics: readonly string[],
    online: boolean,
    deadline: number,
  ): { send: string[]; done: Promise<SubscriptionResult> } {
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
      this.release(topic, key);
    }
    return { send, done: this.wait('unsubscribe', [...topics], waiting, deadline) };
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
    this.settle(key, action);
  }

  /** Data arrived: proof that its topic (and its stream's `*` topic) is active, acked or not. */
  sawData(event: WireEvent): void {
    this.proven(`${event.ev}.*`);
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
    if (!any) for (const list of this.armed.head?.waiting.values() ?? []) victims.push(...list);
    for (const topic of victims) {
      if (this.forget(topic)) this.failed.set(topic, message);
      this.fail(topic, message);
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
    for (const r of [...this.armed.drain(), ...this.queued.drain()]) {
      if (r.action === 'subscribe') {
        r.deadline = undefined;
        this.queued.push(r);
      } else {
        this.done(r);
        r.resolve({ topics: r.topics });
      }
    }
  }

  /** The queued requests went on the wire: their deadline starts now. */
  sent(deadline: number): void {
    for (const r of this.queued.drain()) {
      r.deadline = deadline;
      this.armed.push(r);
    }
  }

  /**
   * The deadline of the oldest armed request. Deadlines are armed in rising order (now plus a
   * fixed timeout), so it is the next one; one armed out of order (the clock stepped back) expires
   * no earlier than those armed before it.
   */
  nextDeadline(): number | undefined {
    return this.armed.head?.deadline;
  }

  /** Reject every request whose deadline has passed; returns their errors. */
  expire(now: number): PolygonStreamError[] {
    const errors: PolygonStreamError[] = [];
    for (let r = this.armed.head; r && (r.deadline as number) <= now; r = this.armed.head) {
      const topics = waitingTopics(r);
      this.done(r);
      const error = new PolygonStreamError(
        ErrorCode.SubscribeTimeout,
        `No acknowledgement from the server for ${r.action} of ${topics.join(',')} in time (the server is silent for topics it already holds or does not carry). The topics stay in the subscription set.`,
        { action: r.action, topics },
      );
      errors.push(error);
      r.reject(error);
    }
    return errors;
  }

  /** Reject everything still waiting (the client is closing for good). */
  abort(error: PolygonStreamError): void {
    this.waiters.clear();
    for (const r of [...this.armed.drain(), ...this.queued.drain()]) r.reject(error);
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
    this.settle(key, 'subscribe');
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
        if (this.topics.has(topic) || this.waitersOf(topic).length > 0) known.add(topic);
        else if (TOPIC_LIKE.test(topic)) any = true;
      }
    }
    return { known, any: any || known.size > 0 };
  }

  /** The requests waiting for `topic` under exactly that spelling. */
  private waitersOf(topic: string, key = this.keyOf(topic)): Request[] {
    const set = this.waiters.get(key);
    if (!set) return [];
    return [...set].filter((r) => r.waiting.get(key)?.includes(topic));
  }

  private wait(
    action: Action,
    topics: string[],
    waiting: Map<string, string[]>,
    deadline: number | undefined,
  ): Promise<SubscriptionResult> {
    const done = new Promise<SubscriptionResult>((resolve, reject) => {
      if (waiting.size === 0) {
        resolve({ topics });
        return;
      }
      const request: Request = {
        action,
        topics,
        waiting,
        resolve,
        reject,
        deadline,
        list: undefined,
        prev: undefined,
        next: undefined,
      };
      for (const key of waiting.keys()) {
        const set = this.waiters.get(key);
        if (set) set.add(request);
        else this.waiters.set(key, new Set([request]));
      }
      (deadline === undefined ? this.queued : this.armed).push(request);
    });
    // A caller that does not await must never see an unhandled rejection; one that awaits still does.
    done.catch(() => undefined);
    return done;
  }

  /** Every `action` request waiting for `key` (any spelling) has it; those now complete resolve. */
  private settle(key: string, action: Action): void {
    const set = this.waiters.get(key);
    if (!set) return;
    for (const r of set.size === 1 ? set : [...set]) {
      if (r.action !== action) continue;
      r.waiting.delete(key);
      set.delete(r);
      this.resolveIfDone(r);
    }
    if (set.size === 0) this.waiters.delete(key);
  }

  /** Subscribes waiting for `topic` (this spelling) stop waiting: it is no longer wanted. */
  private release(topic: string, key: string): void {
    for (const r of this.waitersOf(topic, key)) {
      if (r.action !== 'subscribe') continue;
      const left = (r.waiting.get(key) as string[]).filter((t) => t !== topic);
      if (left.length > 0) {
        r.waiting.set(key, left);
        continue;
      }
      r.waiting.delete(key);
      const set = this.waiters.get(key) as Set<Request>;
      set.delete(r);
      if (set.size === 0) this.waiters.delete(key);
      this.resolveIfDone(r);
    }
  }

  private resolveIfDone(r: Request): void {
    if (r.waiting.size > 0) return;
    this.done(r);
    r.resolve({ topics: r.topics });
  }

  /**
   * The requests waiting for `topic` (this spelling) are rejected with the server's refusal: its
   * subscribes, or its unsubscribes when no subscribe waits (the server refuses subscribes).
   */
  private fail(topic: string, message: string): void {
    const waiting = this.waitersOf(topic);
    const subscribes = waiting.filter((r) => r.action === 'subscribe');
    for (const r of subscribes.length > 0 ? subscribes : waiting) {
      const topics = waitingTopics(r);
      this.done(r);
      r.reject(
        new PolygonStreamError(
          ErrorCode.SubscribeFailed,
          `Server refused ${r.action}: ${message}`,
          {
            action: r.action,
            topics,
            serverMessage: message,
          },
        ),
      );
    }
  }

  /** Take a request out of every index (O(its waiting topics)). */
  private done(r: Request): void {
    for (const key of r.waiting.keys()) {
      const set = this.waiters.get(key);
      set?.delete(r);
      if (set?.size === 0) this.waiters.delete(key);
    }
    this.armed.unlink(r);
    this.queued.unlink(r);
  }
}

function addTo(map: Map<string, string[]>, key: string, topic: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [topic]);
  else if (!list.includes(topic)) list.push(topic);
}

function waitingTopics(r: Request): string[] {
  const out: string[] = [];
  for (const list of r.waiting.values()) out.push(...list);
  return out;
}
