/**
 * The subscription store: what the user wants (every subscribe minus every unsubscribe), what the
 * server has confirmed, and who is waiting for which acknowledgement. No socket in here: the client
 * asks it what to send and tells it what the server said.
 *
 * The server is terse (PROTOCOL.md): an ack per topic in the good case, an `error` that may not
 * name its topic, silence for a topic already held. So every request has a deadline, an error
 * naming no topic is charged to the oldest request still waiting (the server answers in order),
 * and data arriving for a pending topic proves it active.
 */
import { ErrorCode, PolygonStreamError } from '../errors.js';

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
  readonly waiting: Set<string>;
  readonly resolve: (r: SubscriptionResult) => void;
  readonly reject: (e: PolygonStreamError) => void;
  /** When the request times out; undefined while it is queued (not on the wire yet). */
  deadline: number | undefined;
}

export class SubscriptionStore {
  /** The user's intent, with the server-confirmed state of each topic. */
  private readonly topics = new Map<string, TopicStatus>();
  /** Topics the user gave up on and the server refused, kept for `snapshot()`. */
  private readonly failed = new Map<string, string>();
  private readonly requests: Request[] = [];

  /** The intended set, in insertion order: what a reconnect re-subscribes. */
  intended(): string[] {
    return [...this.topics.keys()];
  }

  get size(): number {
    return this.topics.size;
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
    const waiting = new Set<string>();
    for (const topic of topics) {
      this.failed.delete(topic);
      const current = this.topics.get(topic);
      if (current?.state === 'active') continue;
      waiting.add(topic);
      if (current === undefined || current.state === 'failed') {
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
    for (const topic of topics) {
      const had = this.topics.delete(topic);
      this.failed.delete(topic);
      if (had && online) send.push(topic);
      this.settle(topic, 'subscribe');
    }
    return { send, done: this.wait('unsubscribe', [...topics], new Set(send), deadline) };
  }

  /** The server acknowledged `topic`. */
  ack(action: Action, topic: string): void {
    if (action === 'subscribe') {
      const current = this.topics.get(topic);
      if (current) this.topics.set(topic, { state: 'active' });
      // A refusal naming no topic charges every topic of the oldest request; the server then
      // confirming one of them means it holds it after all: keep it, or client and server drift.
      else if (this.failed.delete(topic)) this.topics.set(topic, { state: 'active' });
    }
    this.settle(topic, action);
  }

  /** Data arrived for a topic: proof that it is active even if its ack went missing. */
  sawData(topic: string): void {
    const current = this.topics.get(topic);
    if (current !== undefined && current.state !== 'active') this.ack('subscribe', topic);
  }

  /**
   * The server answered `error`. Charged to the waiting topics it names or, when it names none, to
   * the oldest request still waiting. Returns the topics it failed.
   */
  refuse(message: string): string[] {
    const named = this.requests.flatMap((r) => [...r.waiting].filter((t) => message.includes(t)));
    const oldest = this.requests.find((r) => r.deadline !== undefined);
    const victims = named.length > 0 ? [...new Set(named)] : [...(oldest?.waiting ?? [])];
    for (const topic of victims) {
      if (this.topics.delete(topic)) this.failed.set(topic, message);
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
    for (const r of [...this.requests]) {
      if (r.action === 'subscribe') r.deadline = undefined;
      else for (const topic of [...r.waiting]) this.settle(topic, 'unsubscribe');
    }
  }

  /** The queued requests went on the wire: their deadline starts now. */
  sent(deadline: number): void {
    for (const r of this.requests) r.deadline ??= deadline;
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const r of this.requests) {
      if (r.deadline !== undefined && (next === undefined || r.deadline < next)) next = r.deadline;
    }
    return next;
  }

  /** Reject every request whose deadline has passed; returns their errors. */
  expire(now: number): PolygonStreamError[] {
    const errors: PolygonStreamError[] = [];
    for (const r of [...this.requests]) {
      if (r.deadline === undefined || r.deadline > now) continue;
      this.remove(r);
      const error = new PolygonStreamError(
        ErrorCode.SubscribeTimeout,
        `No acknowledgement from the server for ${r.action} of ${[...r.waiting].join(',')} in time (the server is silent for topics it already holds or does not carry). The topics stay in the subscription set.`,
        { action: r.action, topics: [...r.waiting] },
      );
      errors.push(error);
      r.reject(error);
    }
    return errors;
  }

  /** Reject everything still waiting (the client is closing for good). */
  abort(error: PolygonStreamError): void {
    for (const r of this.requests.splice(0)) r.reject(error);
  }

  get waitingCount(): number {
    return this.requests.length;
  }

  private wait(
    action: Action,
    topics: string[],
    waiting: Set<string>,
    deadline: number | undefined,
  ): Promise<SubscriptionResult> {
    const done = new Promise<SubscriptionResult>((resolve, reject) => {
      const request: Request = { action, topics, waiting, resolve, reject, deadline };
      if (waiting.size === 0) resolve({ topics });
      else this.requests.push(request);
    });
    // A caller that does not await must never see an unhandled rejection; one that awaits still does.
    done.catch(() => undefined);
    return done;
  }

  private settle(topic: string, action: Action): void {
    for (const r of [...this.requests]) {
      if (r.action !== action || !r.waiting.delete(topic)) continue;
      if (r.waiting.size === 0) {
        this.remove(r);
        r.resolve({ topics: r.topics });
      }
    }
  }

  private fail(topic: string, message: string): void {
    for (const r of [...this.requests]) {
      if (!r.waiting.has(topic)) continue;
      this.remove(r);
      r.reject(
        new PolygonStreamError(
          ErrorCode.SubscribeFailed,
          `Server refused ${r.action}: ${message}`,
          {
            action: r.action,
            topics: [...r.waiting],
            serverMessage: message,
          },
        ),
      );
    }
  }

  private remove(r: Request): void {
    const i = this.requests.indexOf(r);
    if (i >= 0) this.requests.splice(i, 1);
  }
}
