/** The simulator's public types. */
import type { EventEmitter } from 'node:events';
import type { ClientMessage, WireEvent } from '../protocol/codec.js';
import type { Cluster } from '../protocol/streams.js';
import type { ServerConnection } from '../server/server-connection.js';
import type { RestFault } from './rest/rest-faults.js';

export interface ReplayOptions {
  /** Recorded events, one object per event as received (status events are skipped). */
  events: Iterable<object> | AsyncIterable<object>;
  /** Playback speed: a factor on the recorded pace (2 = twice as fast), or 'max'. Default 1. */
  speed?: number | 'max';
  /** Start over at the end. */
  loop?: boolean;
  /**
   * The cluster every recorded event belongs to. Without it each event goes to the cluster its
   * `ev` and symbol suggest, which cannot tell a futures `T` from a stock `T`: give it for a
   * recording of a futures stream.
   */
  cluster?: Cluster;
}

export interface SimulatorOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Keys that authenticate; default 'any' (any non-empty key). */
  apiKeys?: 'any' | readonly string[];
  /**
   * Generated events per second per cluster, drawn among the (stream, symbol) pairs of the symbols
   * on its tape (a symbol joins the tape when first subscribed or asked for). Default 200.
   */
  eventsPerSecond?: number;
  /** PRNG seed: the same seed gives the same symbols and price sequence. Default 1. */
  seed?: number;
  /** Frame cadence of generated data in ms. Default 50. */
  tickMs?: number;
  /**
   * Aggregate windows last this fraction of their nominal length (0.01: second bars every 10 ms,
   * minute bars every 600 ms), for tests that cannot wait a minute. Default 1.
   */
  windowScale?: number;
  /** No auth within this → `auth_timeout` and close. Default 10000. */
  authTimeoutMs?: number;
  /** `bufferedAmount` above this when sending → `slow_consumer` and close. Default 4 MiB. */
  slowConsumerBytes?: number;
  /**
   * Each connection's `received` keeps the client's most recent messages within this many bytes
   * (their params), for tests; older ones are dropped, so a flood never grows it. 0 keeps none.
   * Default 65536.
   */
  messageLogBytes?: number;
  /**
   * History kept per cluster: events generated within this many ms. Default 900 000 (15 min). A
   * symbol's past (`pastMs`) counts as generated when the symbol joined the tape.
   */
  historyMs?: number;
  /**
   * The past a listed symbol comes with: when it is first asked for (subscribed, `*`, REST), its
   * last `pastMs` (at most `historyMs`) are generated from the seed at its share of
   * `eventsPerSecond`, and the live tape continues from there, so REST history has data at once.
   * 0: no past. Default 900 000 (15 min).
   */
  pastMs?: number;
  /**
   * Tickers to list beyond the reference universe, by cluster: `{ stocks: ['FOO'] }`. Symbols
   * neither listed nor added are unknown: subscribing is acknowledged and nothing is sent (REST
   * history is empty), as on the provider.
   */
  tickers?: Partial<Record<'stocks' | 'options' | 'forex' | 'crypto' | 'indices', string[]>>;
  /** History kept per cluster: at most this many events (the oldest go first). Default 250 000. */
  maxHistoryEvents?: number;
  /** REST history requests per second per key; more answer 429. Default 100. */
  restRequestsPerSecond?: number;
  /**
   * REST history trails the stream, as the provider's does: an event is served this many ms
   * after the tape generated it (a ticker's past counts as generated when it was first asked
   * for). Default 0: at once.
   */
  restLagMs?: number;
  /**
   * Each REST query sees the horizon `now - restLagMs - random[0, restLagJitterMs)`, fixed at its
   * first page (every page of the query sees the same). Default 0.
   */
  restLagJitterMs?: number;
  /**
   * The aggregates endpoint also serves the still-open window's bar (as it stands when the page
   * is served) as its last row (the first with `sort=desc`) when the window's start is in the
   * asked range, as the provider's does. Default false: closed bars only.
   */
  restFormingBars?: boolean;
  /**
   * Serve clusters delayed, as the provider's delayed hosts do (10 minutes futures, 15 minutes
   * stocks, options and indices): cluster → ms, e.g. `{ futures: 600_000 }` (`futures` covers the
   * exchange paths too unless they have their own entry). Generated events reach the cluster's
   * connections that long after they happened (at most one tick more); REST history, `history()`
   * and `publish()` are not delayed. Default: every cluster real-time.
   */
  delayedMs?: Partial<Record<string, number>>;
  /** REST faults to start with; `sim.faults.rest` is the live list. Default none. */
  restFaults?: RestFault[];
  /** Serve recorded events instead of generated ones. */
  replay?: ReplayOptions;
  /** Text of the `max_connections` status sent to an evicted connection. */
  maxConnectionsMessage?: string;
}

/** Server-wide fault knobs, read live. */
export interface SimulatorFaults {
  /** Delay every subscribe/unsubscribe reply by this many ms (at most 2³¹−1; more means that). */
  ackDelayMs: number;
  /** Topics that get no ack at all (but are still subscribed / unsubscribed). */
  silentTopics: Set<string>;
  /** Topic → error text: the subscription is refused with `{"status":"error","message":text}`. */
  rejectTopics: Map<string, string>;
  /** Stop answering pings on every connection. */
  stallPongs: boolean;
  /**
   * REST history faults (see RestFault), checked on every history request after auth and before
   * the rate limit: the first that matches applies; one whose `times` are used up is removed.
   * Starts as a copy of the `restFaults` option; change it at any time.
   */
  rest: RestFault[];
}

/** One connection to the simulator (the protocol server's connection). */
export type SimConnection = ServerConnection;

export interface SimulatorEvents {
  connection: [conn: SimConnection];
  authenticated: [conn: SimConnection];
  message: [conn: SimConnection, msg: ClientMessage];
  close: [conn: SimConnection];
  /** Replay reached the end of its events (not emitted when looping). */
  replayEnd: [];
  /** Replay source failed; emitted only when someone listens. */
  error: [err: Error];
}

export interface Simulator extends EventEmitter<SimulatorEvents> {
  /** `ws://HOST:PORT`; clients connect to `${url}/${cluster}`. */
  readonly url: string;
  readonly port: number;
  readonly faults: SimulatorFaults;
  /** Terminate every socket, stop all timers; resolves when the server is closed. */
  close(): Promise<void>;
  /** Currently open connections. */
  connections(): SimConnection[];
  /** Resolve with the first connection satisfying `predicate` (checked now and on every change). */
  waitFor(predicate: (c: SimConnection) => boolean, timeoutMs?: number): Promise<SimConnection>;
  /** Send these events to every authenticated connection on the cluster subscribed to their
   * topic (one frame per connection). Returns the number of events delivered. */
  publish(cluster: string, events: object[]): number;
  setEventsPerSecond(n: number): void;
  /**
   * A server restart or outage while the market goes on: every connection is dropped (TCP, no
   * close frame) and new ones are refused (HTTP 503) for `ms`; the tape keeps running.
   */
  outage(ms: number): void;
  /** Every event the tape of `cluster` still keeps for a topic key (`T.AAPL`, `XT.X:BTCUSD`). */
  history(cluster: string, key: string): WireEvent[];
  /** Whether the market has this symbol (listed, added with `tickers`, or an OCC contract on a
   * listed stock); an unknown one is acknowledged and stays silent. */
  isKnownTicker(cluster: string, symbol: string): boolean;
  /** The cluster's listed symbols as topics spell them (`AAPL`, `C:EUR-USD`, `X:BTC-USD`). */
  tickers(cluster: string): string[];
}
