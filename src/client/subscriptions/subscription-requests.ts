/**
 * SubscriptionRequests: the client's side of subscribe and unsubscribe. It asks the subscription
 * store what to send, puts it on the wire in batches, re-sends the whole intended set after each
 * (re)authentication, and runs the one timer that fails requests whose acknowledgement never came.
 */
import { encodeTopics } from '../../protocol/codec.js';
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import { type Cluster, type StreamMethod, STREAMS, streamFor } from '../../protocol/streams.js';
import { type SymbolOptions, type Symbols, topicsFor } from '../../protocol/topics.js';
import type { ConnectionState } from '../connection/connection.js';
import type { SubscriptionResult, SubscriptionStore } from './subscription-store.js';

/** Topics per subscribe or unsubscribe message: a larger request goes out in several messages. */
export const MAX_TOPICS_PER_MESSAGE = 500;

export type RequestAction = 'subscribe' | 'unsubscribe';

/**
 * The topics of a generated method (`subscribeTrades(['AAPL'])` → `T.AAPL`) on `cluster`, or
 * STREAM_NOT_ON_CLUSTER naming the clusters that offer it and the streams this one has.
 */
export function streamTopics(
  action: RequestAction,
  method: StreamMethod,
  cluster: Cluster,
  symbols: Symbols,
  options?: SymbolOptions,
): string[] {
  const spec = streamFor(method, cluster);
  if (spec === undefined) {
    const offered = STREAMS.filter((s) => s.method === method).map((s) => s.cluster);
    const here = [...new Set(STREAMS.filter((s) => s.cluster === cluster).map((s) => s.method))];
    throw new PolygonStreamError(
      ErrorCode.StreamNotOnCluster,
      `${action}${method} is not offered on the ${cluster} cluster (it exists on: ${offered.join(', ')}). Streams on ${cluster}: ${here.join(', ')}.`,
      { method, cluster, offeredOn: offered },
    );
  }
  return topicsFor(spec, symbols, options);
}

export class SubscriptionRequests {
  private ackTimer: NodeJS.Timeout | undefined;

  /**
   * `send` puts one message on the wire; `timeoutMs` is how long a request waits for its ack;
   * `report` receives the error of each request that timed out.
   */
  constructor(
    private readonly store: SubscriptionStore,
    private readonly send: (action: RequestAction, params: string) => void,
    private readonly timeoutMs: number,
    private readonly report: (error: PolygonStreamError) => void,
  ) {}

  /** Record a subscribe or unsubscribe, send what is due now, resolve once the server answered. */
  request(
    action: RequestAction,
    topics: string[],
    state: ConnectionState,
  ): Promise<SubscriptionResult> {
    if (state === 'closing' || state === 'closed') {
      throw new PolygonStreamError(
        ErrorCode.ClientClosed,
        `Cannot ${action}: the stream is ${state}`,
      );
    }
    const online = state === 'open';
    const { send, done } = this.store[action](topics, online, Date.now() + this.timeoutMs);
    this.sendBatches(action, send);
    this.armAckTimer();
    return done;
  }

  /**
   * Subscribe `topics` in one message (split past MAX_TOPICS_PER_MESSAGE, like `request`) but as
   * one request per topic: each promise settles with its own topic's answer, so a refusal fails
   * only the topic it names (or, naming none, the oldest still waiting: the first of them).
   */
  requestEach(topics: readonly string[], state: ConnectionState): Promise<SubscriptionResult>[] {
    if (state === 'closing' || state === 'closed') {
      throw new PolygonStreamError(
        ErrorCode.ClientClosed,
        `Cannot subscribe: the stream is ${state}`,
      );
    }
    const online = state === 'open';
    const deadline = Date.now() + this.timeoutMs;
    const send: string[] = [];
    const done = topics.map((topic) => {
      const requested = this.store.subscribe([topic], online, deadline);
      send.push(...requested.send);
      return requested.done;
    });
    this.sendBatches('subscribe', send);
    this.armAckTimer();
    return done;
  }

  /** After (re)authentication: subscribe the whole intended set again; returns its topics. */
  resubscribe(): string[] {
    const topics = this.store.intended();
    this.sendBatches('subscribe', topics);
    this.store.sent(Date.now() + this.timeoutMs);
    this.armAckTimer();
    return topics;
  }

  /** Stop the ack timer (the socket went away; a reconnect re-arms it). */
  stop(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  private sendBatches(action: RequestAction, topics: string[]): void {
    for (let i = 0; i < topics.length; i += MAX_TOPICS_PER_MESSAGE) {
      this.send(action, encodeTopics(topics.slice(i, i + MAX_TOPICS_PER_MESSAGE)));
    }
  }

  private armAckTimer(): void {
    this.stop();
    const next = this.store.nextDeadline();
    if (next === undefined) return;
    this.ackTimer = setTimeout(
      () => {
        this.ackTimer = undefined;
        for (const error of this.store.expire(Date.now())) this.report(error);
        this.armAckTimer();
      },
      Math.max(0, next - Date.now()),
    );
  }
}
