/**
 * One session's subscribe and unsubscribe messages: each topic checked against the cluster
 * (topic-replies.ts), answered by the source's policy (at once, later, or refused), the held set
 * (session-topics.ts) changed and the server told, and the replies sent, after the host's reply
 * delay when it has one. The session checks that its client has authenticated first.
 */
import { ackMessage, decodeTopics, encodeEvents, status } from '../protocol/codec.js';
import { streamsOfCluster } from '../protocol/streams.js';
import { topicKey } from '../protocol/symbols.js';
import { MAX_TIMER_MS } from '../validate.js';
import type { SessionHost, SessionInfo, TopicAnswer } from './session-host.js';
import type { SessionTopics } from './session-topics.js';
import { TopicReplies, topicRefusal } from './topic-replies.js';

/** What the requests need of their session. */
export interface RequestingSession extends SessionInfo {
  readonly isClosed: boolean;
  /** Send a frame unless the client is too far behind (then it is cut off: false). */
  sendText(text: string): boolean;
}

export class TopicRequests<S extends RequestingSession> {
  /** Replies waiting out the host's reply delay. */
  private readonly replyTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly session: S,
    private readonly host: SessionHost<S>,
    /** The session's held topics, changed here. */
    private readonly topics: SessionTopics,
  ) {}

  /** Handle one subscribe or unsubscribe message (`params`: its comma-separated topics). */
  handle(action: 'subscribe' | 'unsubscribe', params: string): void {
    const { cluster } = this.session;
    const carried = new Set(streamsOfCluster(cluster).map((s) => s.prefix));
    const replies = new TopicReplies(action);
    let changed = false;
    for (const topic of decodeTopics(params)) {
      const refusal = topicRefusal(cluster, carried, topic);
      const key = topicKey(cluster, topic);
      if (refusal !== undefined || key === undefined) {
        replies.refuse(refusal ?? `invalid topic for ${cluster}: ${topic}`);
        continue;
      }
      // Already held: the real server says nothing.
      if (action === 'subscribe' && this.topics.has(topic)) continue;
      const answer = this.host.policy.answer(this.session, action, topic, key);
      if (typeof answer === 'object' && !(answer instanceof Promise)) {
        replies.refuse(answer.refuse);
        continue;
      }
      this.topics.apply(action, topic, key);
      changed = true;
      if (answer instanceof Promise) this.later(action, topic, key, answer);
      else if (answer === 'ack') replies.ack(topic);
    }
    // The acknowledgements go first: data the change brings (a new symbol's first events) follows.
    this.reply(replies.done(), this.host.replyDelayMs());
    if (changed) this.host.onSubscriptionChange(this.session, action);
  }

  /** Drop the replies still waiting for their delay; idempotent. */
  stop(): void {
    for (const t of this.replyTimers) clearTimeout(t);
    this.replyTimers.clear();
  }

  /** A topic answered later: its reply then; a refused subscribe is dropped again. */
  private later(
    action: 'subscribe' | 'unsubscribe',
    topic: string,
    key: string,
    answer: Promise<TopicAnswer>,
  ): void {
    answer.then(
      (a) => {
        if (this.session.isClosed) return;
        if (a === 'silent') return;
        if (a === 'ack') {
          this.session.sendText(encodeEvents([status('success', ackMessage(action, topic))]));
          return;
        }
        if (action === 'subscribe' && this.topics.get(topic) === key) {
          this.topics.apply('unsubscribe', topic, key);
          this.host.onSubscriptionChange(this.session, 'unsubscribe');
        }
        this.session.sendText(encodeEvents([status('error', a.refuse)]));
      },
      () => undefined,
    );
  }

  /** Send subscription replies, one frame each, now or after the configured delay. */
  private reply(frames: string[], delayMs: number): void {
    if (frames.length === 0) return;
    if (!(delayMs > 0)) {
      for (const f of frames) this.session.sendText(f);
      return;
    }
    // Longer than a timer honours (Infinity included) is as good as never: the longest timer.
    const timer = setTimeout(
      () => {
        this.replyTimers.delete(timer);
        for (const f of frames) this.session.sendText(f);
      },
      Math.min(delayMs, MAX_TIMER_MS),
    );
    this.replyTimers.add(timer);
  }
}
