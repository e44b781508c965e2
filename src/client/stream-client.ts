/**
 * StreamClient: the Python `polygon` library's StreamClient (one per cluster), plus reconnects,
 * heartbeats, typed events, async iteration and stats. A facade over its parts: the socket state
 * machine (connection.ts), incoming frames (frame-reader.ts), subscribe/unsubscribe requests
 * (subscription-requests.ts over subscription-store.ts, subscribe-from.ts for history first),
 * listeners (listen.ts, dispatcher.ts), the user's onMessage/onError/onClose and the reporting of
 * errors (user-handlers.ts) and REST backfill (backfill.ts). Subscribe methods are generated from
 * the stream table (streams.ts).
 */
import {
  type ClientConfig,
  type ClientOptions,
  resolveConfig,
  resolveEvents,
  resolveStart,
  type StartOptions,
} from './config.js';
import { Connection, type ConnectionState } from './connection/connection.js';
import { stderrLogger } from './print-handlers.js';
import { Dispatcher, type EventsOptions } from './delivery/dispatcher.js';
import { ErrorCode, PolygonStreamError } from '../errors.js';
import { routeStatus } from './status-route.js';
import type {
  DataEvent,
  EventOf,
  EvOf,
  StreamEvent,
  UnknownEv,
  UnknownEvent,
} from '../protocol/events.js';
import type { WireEvent } from '../protocol/codec.js';
import { HistoryFetcher, type HistoryQuery } from './history/history.js';
import { type Backfill, createBackfill } from './fills/backfill.js';
import { Snapshots } from './fills/snapshot.js';
import {
  resolveSubscribeOptions,
  type SubscribeConfig,
  type SubscribeOptions,
} from './subscriptions/subscribe-options.js';
import { Lifecycle } from './delivery/lifecycle.js';
import { deliverFromRest } from './delivery/rest-delivery.js';
import { UserHandlers } from './delivery/user-handlers.js';

export type { CaughtUp, Gap, LifecycleEvents, StateChange } from './delivery/lifecycle.js';
export type { SubscribeOptions } from './subscriptions/subscribe-options.js';
import { type Logger, redactingLogger, silentLogger } from './logger.js';
import { installStreamMethods, type StreamMethods } from './subscriptions/stream-methods.js';
import * as registry from './connection/registry.js';
import { Stats, type StatsSnapshot } from './delivery/stats.js';
import type { Cluster, StreamMethod } from '../protocol/streams.js';
import { hostWarning } from '../protocol/hosts.js';
import {
  type SubscriptionResult,
  SubscriptionStore,
  type TopicStatus,
} from './subscriptions/subscription-store.js';
import { checkTopics, type SymbolOptions, type Symbols } from '../protocol/topics.js';
import {
  type ClientEvents,
  type EventIterator,
  listen,
  type ListenOptions,
} from './delivery/listen.js';
import { FrameReader } from './delivery/frame-reader.js';
import { SubscriptionRequests, streamTopics } from './subscriptions/subscription-requests.js';
import { subscribeFrom } from './subscriptions/subscribe-from.js';

export type { ClientEvents, EventIterator, ListenOptions } from './delivery/listen.js';

// The generated subscribe/unsubscribe methods, typed by merging with the class below.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
export interface StreamClient<C extends Cluster = Cluster> extends StreamMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class StreamClient<C extends Cluster = Cluster> {
  readonly cluster: C;
  readonly url: string;
  private readonly config: ClientConfig;
  private readonly log: Logger;
  private readonly connection: Connection;
  private readonly store: SubscriptionStore;
  private readonly dispatcher: Dispatcher;
  private readonly statsCollector: Stats;
  private readonly lifecycle = new Lifecycle((err, name) =>
    this.handlers.listenerFailed(err, name),
  );
  /** onMessage, onError, onClose; every runtime error reaches the user through its `report`. */
  private readonly handlers: UserHandlers<this>;
  private readonly requests: SubscriptionRequests;
  private readonly reader: FrameReader;
  private ready: { resolve: () => void; reject: (e: PolygonStreamError) => void } | undefined;
  private readonly historyFetcher: HistoryFetcher;
  private readonly backfill: Backfill;
  /** Events delivered from REST history by backfill (see isBackfilled). */
  private readonly backfilled = new WeakSet<object>();
  private readonly snapshots: Snapshots;
  /** Events delivered from REST as a topic's snapshot on subscribe (see isSnapshot). */
  private readonly snapshotted = new WeakSet<object>();

  constructor(apiKey: string, cluster: C | `${C}`, options: ClientOptions<StreamClient<C>> = {}) {
    this.config = resolveConfig(apiKey, cluster, options as ClientOptions<never>);
    this.cluster = this.config.cluster as C;
    this.url = this.config.url;
    this.store = new SubscriptionStore(this.cluster);
    const base = options.logger ?? (options.enableConnectionLogs ? stderrLogger : silentLogger);
    this.log = redactingLogger(base, this.config.apiKey);
    this.handlers = new UserHandlers(this, this.config.apiKey, this.log, this.lifecycle, options);
    // A host the table says does not serve this cluster: a warning, never a refusal.
    const hostNote = hostWarning(this.url, this.cluster);
    if (hostNote !== undefined) this.log.warn(hostNote, { url: this.url, cluster: this.cluster });
    this.historyFetcher = new HistoryFetcher(this.config, options.history, this.log);
    this.backfill = createBackfill(this.config, options, this.log, {
      deliver: (history, live) =>
        deliverFromRest(this.dispatcher, this.lifecycle, this.backfilled, history, live),
      report: (report) => this.lifecycle.emit('backfill', report),
      gap: (gap) => this.lifecycle.emit('gap', gap),
      caughtUp: (report) => this.lifecycle.emit('caughtUp', report),
    });
    this.snapshots = new Snapshots(this.historyFetcher, {
      cluster: this.cluster,
      deliver: (snapshot, live) =>
        deliverFromRest(
          this.dispatcher,
          this.lifecycle,
          this.snapshotted,
          snapshot ? [snapshot] : [],
          live,
        ),
      report: (report) => this.lifecycle.emit('snapshot', report),
    });
    this.statsCollector = new Stats();
    this.dispatcher = new Dispatcher(this.cluster, this.handlers.report, (reason) =>
      this.statsCollector.recordDrop(reason),
    );
    this.statsCollector.setQueueDepth(() => this.dispatcher.queueDepth);
    this.reader = new FrameReader(
      this.dispatcher,
      this.lifecycle,
      this.store,
      this.backfill,
      this.snapshots,
      this.statsCollector,
      {
        raw: this.handlers.raw,
        print: this.handlers.print,
        status: (event) =>
          routeStatus(event, {
            config: this.config,
            connection: this.connection,
            store: this.store,
            log: this.log,
            stats: () => this.stats(),
            report: this.handlers.report,
          }),
        report: this.handlers.report,
      },
    );
    this.requests = new SubscriptionRequests(
      this.store,
      (action, params) => this.connection.send(action, params),
      this.config.subscribeTimeoutMs,
      this.handlers.report,
    );
    this.connection = new Connection(this.config, this.log, {
      frame: (raw, now) => this.reader.read(raw, now),
      authenticated: (reconnect) => this.authenticated(reconnect),
      disconnected: () => {
        this.backfill.interrupt();
        this.requests.stop();
        this.store.disconnected();
      },
      state: (state, previous) => this.lifecycle.emit('state', { state, previous }),
      reconnecting: (info) => {
        this.statsCollector.recordReconnect();
        this.lifecycle.emit('reconnect', info);
      },
      error: this.handlers.report,
      closed: (code, reason, error) => this.closed(code, reason, error),
      subscribed: () => this.store.size > 0,
    });
  }

  /** 'idle' | 'connecting' | 'authenticating' | 'open' | 'reconnecting' | 'closing' | 'closed'. */
  get state(): ConnectionState {
    return this.connection.state;
  }

  /**
   * Connect and authenticate, without blocking the caller: resolves on `auth_success`, rejects
   * with AUTH_FAILED (or the error that ended the stream before it was ever open).
   */
  startStreamThread(options: StartOptions = {}): Promise<void> {
    const start = resolveStart(options);
    if (this.state !== 'idle') {
      throw new PolygonStreamError(
        this.state === 'closed' ? ErrorCode.ClientClosed : ErrorCode.InvalidOption,
        `startStreamThread() was already called (state: ${this.state}); create a new StreamClient to stream again`,
      );
    }
    registry.claim(this.url, this.config.apiKey, this, this.config.allowDuplicateClient);
    const ready = new Promise<void>((resolve, reject) => (this.ready = { resolve, reject }));
    ready.catch(() => undefined);
    this.connection.open(start);
    return ready;
  }

  /** Close gracefully; resolves once the socket is closed. */
  async closeStream(): Promise<void> {
    await this.connection.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeStream();
  }

  /**
   * Subscribe to any topics (`['T.AAPL', 'Q.*']` or `'T.AAPL,Q.*'`): launchpad, futures, new
   * feeds. `{ from }`: history, then live; `{ snapshot: true }`: the latest state first (README).
   */
  subscribe(
    topics: string | readonly string[],
    options?: SubscribeOptions,
  ): Promise<SubscriptionResult> {
    const list = checkTopics(topics, 'subscribe');
    const context = { cluster: this.cluster, now: Date.now() };
    return this.subscribeWith(list, resolveSubscribeOptions('subscribe', options, context));
  }

  unsubscribe(topics: string | readonly string[]): Promise<SubscriptionResult> {
    const list = checkTopics(topics, 'unsubscribe');
    const done = this.requests.request('unsubscribe', list, this.state);
    this.backfill.fromFills.cancel(
      list,
      ErrorCode.BackfillSkipped,
      'unsubscribed before it caught up',
    );
    return done;
  }

  /**
   * @internal Subscribe `topics` in one message, with one promise per topic (in order), each
   * settled by that topic's own answer; for the relay, which answers each downstream topic.
   */
  subscribeEach(topics: readonly string[]): Promise<SubscriptionResult>[] {
    if (topics.length > 0) checkTopics(topics, 'subscribe');
    return this.requests.requestEach(topics, this.state);
  }

  /** Every topic in the subscription set (and refused ones) with its state. */
  subscriptions(): Map<string, TopicStatus> {
    return this.store.snapshot();
  }

  /** REST history of one topic in [from, to) ms as stream events, oldest first (README: History). */
  history(topic: string, query: HistoryQuery): Promise<DataEvent<C>[]> {
    return this.historyFetcher.collect(topic, query) as Promise<DataEvent<C>[]>;
  }

  /** Whether an event was delivered from REST history by `backfill` (not live). */
  isBackfilled(event: object): boolean {
    return this.backfilled.has(event);
  }

  /** Whether an event was delivered from REST as its topic's snapshot on subscribe (not live). */
  isSnapshot(event: object): boolean {
    return this.snapshotted.has(event);
  }

  stats(): StatsSnapshot {
    return this.statsCollector.snapshot();
  }

  /**
   * Listen to a data event type of the client's cluster (`'T'`, `'Q'`, `'status'`, `'*'` for all)
   * or a lifecycle event (`'state'`, `'reconnect'`, `'resubscribe'`, `'gap'`, `'error'`,
   * `'close'`, `'frame'`); `{ unknown: 'FOO' }` for an `ev` this version has no type for.
   * Returns a remover.
   */
  on<K extends keyof ClientEvents<C>>(
    name: K,
    listener: (payload: ClientEvents<C>[K]) => unknown,
    options?: ListenOptions,
  ): () => void;
  on(
    name: UnknownEv,
    listener: (event: UnknownEvent) => unknown,
    options?: ListenOptions,
  ): () => void;
  on(
    what: string | UnknownEv,
    listener: (payload: never) => unknown,
    options: ListenOptions = {},
  ): () => void {
    return listen(this.dispatcher, this.lifecycle, what, listener, options);
  }

  /**
   * Async iteration over events, optionally scoped (`{ ev: 'T', symbols: ['AAPL'], signal }`):
   * typed by `ev` (`{ ev: 'Q' }` yields the cluster's quotes); `{ unknown: 'FOO' }` yields the
   * events of an `ev` this version has no type for. On a closed client the iteration ends at once.
   */
  events<E extends EvOf<C>>(
    options: EventsOptions<E> & { ev: E | readonly E[]; unknown?: undefined },
  ): EventIterator<EventOf<C, E>>;
  events(
    options: EventsOptions<never> & { unknown: string | readonly string[] },
  ): EventIterator<UnknownEvent>;
  events(options?: EventsOptions<never>): EventIterator<StreamEvent<C>>;
  events(options: EventsOptions = {}): EventIterator<WireEvent> {
    const queue = this.dispatcher.consume(resolveEvents(options));
    if (this.state === 'closed') queue.close();
    return queue[Symbol.asyncIterator]();
  }

  /** @internal generated subscribe/unsubscribe methods land here. */
  streamRequest(
    action: 'subscribe' | 'unsubscribe',
    method: StreamMethod,
    symbols: Symbols,
    options?: SymbolOptions & SubscribeOptions,
  ): Promise<SubscriptionResult> {
    if (action === 'unsubscribe') {
      return this.unsubscribe(streamTopics(action, method, this.cluster, symbols, options));
    }
    const context = { cluster: this.cluster, now: Date.now() };
    const own = resolveSubscribeOptions(`subscribe${method}`, options, context, [
      'forceUppercaseSymbols',
    ]);
    return this.subscribeWith(streamTopics(action, method, this.cluster, symbols, options), own);
  }

  /** Subscribe `topics` with their options (subscribe-from.ts). */
  private subscribeWith(topics: string[], options: SubscribeConfig): Promise<SubscriptionResult> {
    return subscribeFrom(
      {
        start: this.config.start,
        state: this.state,
        store: this.store,
        requests: this.requests,
        fills: this.backfill.fromFills,
        snapshots: this.snapshots,
      },
      topics,
      options,
    );
  }

  private authenticated(reconnect: { since: number; lostAt: number } | undefined): void {
    const topics = this.requests.resubscribe();
    if (reconnect) {
      this.lifecycle.emit('resubscribe', { topics });
      const gap = { from: reconnect.since, lostAt: reconnect.lostAt, to: Date.now(), topics };
      // With backfill, 'gap' comes once its topics are filled, saying which were and why not;
      // history-then-live topics the drop cut resume from their last event.
      this.backfill.begin(gap);
    }
    this.ready?.resolve();
    this.ready = undefined;
  }

  private closed(code: number, reason: string, error: PolygonStreamError | undefined): void {
    this.requests.stop();
    registry.release(this.url, this.config.apiKey, this);
    this.backfill.close();
    this.snapshots.close();
    const ended = error ?? new PolygonStreamError(ErrorCode.ClientClosed, 'The stream was closed');
    this.store.abort(ended);
    this.dispatcher.closeAll(error);
    this.ready?.reject(ended);
    this.ready = undefined;
    this.lifecycle.emit('close', { code, reason, error });
    this.handlers.closed(code, reason);
  }
}

installStreamMethods(StreamClient.prototype);
