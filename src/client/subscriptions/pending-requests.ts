/**
 * The subscribe and unsubscribe requests waiting for the server, for the subscription store: who
 * waits for which canonical key, in which order their deadlines were armed, and what settles,
 * fails or expires them. Every operation costs O(topics it touches): requests are indexed by key,
 * and kept in arming order in linked lists, so the oldest one and the next deadline are at the
 * head.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import { LinkedList } from './linked-list.js';

export interface SubscriptionResult {
  /** Topics the server acknowledged (or that were already active). */
  topics: string[];
}

export type Action = 'subscribe' | 'unsubscribe';

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

export class PendingRequests {
  /** Canonical key → the requests waiting for it. */
  private readonly waiters = new Map<string, Set<Request>>();
  /** Requests on the wire, in the order their deadlines were armed. */
  private readonly armed = new LinkedList<Request>();
  /** Requests not on the wire yet (offline), oldest first. */
  private readonly queued = new LinkedList<Request>();

  get size(): number {
    return this.armed.size + this.queued.size;
  }

  /**
   * A request for `topics` that resolves once nothing is left in `waiting` (at once when it is
   * empty). With a deadline it is on the wire; without one it is queued until `sent`.
   */
  add(
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

  /** Whether a request waits for `topic` under exactly that spelling (its key is `key`). */
  waitsFor(topic: string, key: string): boolean {
    return this.waitersOf(topic, key).length > 0;
  }

  /** The topics the oldest request on the wire still waits for, as spelled. */
  oldestWaiting(): string[] {
    const head = this.armed.head;
    return head ? waitingTopics(head) : [];
  }

  /** Every `action` request waiting for `key` (any spelling) has it; those now complete resolve. */
  settle(key: string, action: Action): void {
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
  release(topic: string, key: string): void {
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

  /**
   * The requests waiting for `topic` (this spelling) are rejected with the server's refusal: its
   * subscribes, or its unsubscribes when no subscribe waits (the server refuses subscribes).
   */
  fail(topic: string, key: string, message: string): void {
    const waiting = this.waitersOf(topic, key);
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

  /**
   * The connection is gone: waiting subscribes are queued again (no deadline until re-sent), and
   * unsubscribes are done (the server forgets everything on disconnect).
   */
  disconnected(): void {
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

  /** The requests waiting for `topic` under exactly that spelling. */
  private waitersOf(topic: string, key: string): Request[] {
    const set = this.waiters.get(key);
    if (!set) return [];
    return [...set].filter((r) => r.waiting.get(key)?.includes(topic));
  }

  private resolveIfDone(r: Request): void {
    if (r.waiting.size > 0) return;
    this.done(r);
    r.resolve({ topics: r.topics });
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

function waitingTopics(r: Request): string[] {
  const out: string[] = [];
  for (const list of r.waiting.values()) out.push(...list);
  return out;
}
