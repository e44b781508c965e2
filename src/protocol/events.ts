/**
 * Typed events: one interface per wire shape of the provider's WebSocket schema, and a
 * discriminated union on `ev` per cluster (`ev` alone is ambiguous: `T` is a StockTrade on
 * stocks, an OptionTrade on options).
 *
 * Types describe the wire faithfully: field names are the provider's terse ones, the symbol field
 * differs by event (use `symbolOf` from './symbols.js'), and timestamps are Unix ms unless noted —
 * several are documented as ms but arrive as µs or ns, so normalise by magnitude when comparing.
 * Every field is `readonly`: one parsed event object is shared by every listener.
 *
 * Events whose `ev` is not in the map (new feeds) pass through as `UnknownEvent`, untyped
 * but never dropped: `on('*')` sees them, and `on({ unknown: 'FOO' })` / `events({ unknown: 'FOO' })`
 * name one explicitly (a known `ev` misspelt is a compile error instead). Narrow with
 * `isKnownEvent` (known-events.ts) before switching on `ev`.
 */
import type { WireEvent } from './codec.js';
import type { Cluster } from './streams.js';
import type { FuturesAggregate, FuturesQuote, FuturesTrade } from './futures-events.js';

export type { FuturesAggregate, FuturesQuote, FuturesTrade } from './futures-events.js';

// ── Stocks ───────────────────────────────────────────────────────────────────────────────────────

/** A stock trade (`T.*` on stocks). */
export interface StockTrade {
  /** The event type. */ readonly ev: 'T';
  /** The ticker symbol. */ readonly sym: string;
  /** The exchange ID. */ readonly x: number;
  /** The trade ID. */ readonly i: string;
  /** The tape (1 = NYSE, 2 = AMEX, 3 = Nasdaq). */ readonly z: number;
  /** The price. */ readonly p: number;
  /** The trade size. */ readonly s: number;
  /** The trade conditions; left off when there are none. */ readonly c?: readonly number[];
  /** The SIP timestamp (Unix ms). */ readonly t: number;
  /** Sequence number: increasing per symbol, with gaps. */ readonly q: number;
  /** The Trade Reporting Facility ID, for off-exchange trades. */ readonly trfi?: number;
  /** The TRF timestamp (Unix ms), for off-exchange trades. */ readonly trft?: number;
}

/** A stock NBBO quote (`Q.*` on stocks). */
export interface StockQuote {
  /** The event type. */ readonly ev: 'Q';
  /** The ticker symbol. */ readonly sym: string;
  /** The bid exchange ID. */ readonly bx: number;
  /** The bid price. */ readonly bp: number;
  /** The bid size, in round lots. */ readonly bs: number;
  /** The ask exchange ID. */ readonly ax: number;
  /** The ask price. */ readonly ap: number;
  /** The ask size, in round lots. */ readonly as: number;
  /** The condition. */ readonly c?: number;
  /** The indicators. */ readonly i?: readonly number[];
  /** The SIP timestamp (Unix ms). */ readonly t: number;
  /** Sequence number: increasing per symbol, with gaps. */ readonly q: number;
  /** The tape (1 = NYSE, 2 = AMEX, 3 = Nasdaq). */ readonly z: number;
}

/**
 * The equity-style aggregate bar shared by stocks, options and the launchpad feed: `A` per
 * second, `AM` per minute (minute bars may be re-sent for 15 minutes: upsert by ev+sym+s).
 */
export interface SessionAggregate<E extends 'A' | 'AM' = 'A' | 'AM'> {
  /** The event type: `A` per second, `AM` per minute. */ readonly ev: E;
  /** The ticker symbol. */ readonly sym: string;
  /** The tick volume. */ readonly v: number;
  /** Today's accumulated volume. */ readonly av: number;
  /** Today's official opening price. */ readonly op: number;
  /** The window's volume-weighted average price. */ readonly vw: number;
  /** The window's opening price. */ readonly o: number;
  /** The window's closing price. */ readonly c: number;
  /** The window's highest price. */ readonly h: number;
  /** The window's lowest price. */ readonly l: number;
  /** Today's volume-weighted average price. */ readonly a: number;
  /** The window's average trade size. */ readonly z: number;
  /** The window's start (Unix ms). */ readonly s: number;
  /** The window's end (Unix ms). */ readonly e: number;
}

/** A stock aggregate bar (`A.*` per second, `AM.*` per minute). */
export interface StockAggregate<E extends 'A' | 'AM' = 'A' | 'AM'> extends SessionAggregate<E> {
  /** True for an OTC ticker; left off when false. */ readonly otc?: boolean;
}

/** Limit-up / limit-down price band (`LULD.*`). The symbol is `T`. */
export interface StockLULD {
  /** The event type. */ readonly ev: 'LULD';
  /** The ticker symbol. */ readonly T: string;
  /** The high (limit-up) price. */ readonly h: number;
  /** The low (limit-down) price. */ readonly l: number;
  /** The indicators. */ readonly i: readonly number[];
  /** The tape (1 = NYSE, 2 = AMEX, 3 = Nasdaq). */ readonly z: number;
  /** The timestamp; documented as Unix ms, the example is µs. */ readonly t: number;
  /** Sequence number: increasing per symbol, with gaps. */ readonly q: number;
}

/** A net order imbalance (`NOI.*`). The symbol is `T`. */
export interface StockImbalance {
  /** The event type. */ readonly ev: 'NOI';
  /** The ticker symbol. */ readonly T: string;
  /** The timestamp; documented as Unix ms, the example is ns. */ readonly t: number;
  /** Planned auction time, hour × 100 + minutes, Eastern (930 = 9:30). */ readonly at: number;
  /** Auction type: O early open, M core open, H reopen, C close, P/R closing imbalance. */
  readonly a: string;
  /** The symbol sequence. */ readonly i: number;
  /** The exchange ID. */ readonly x: number;
  /** The imbalance quantity. */ readonly o: number;
  /** The paired quantity. */ readonly p: number;
  /** The book clearing price. */ readonly b: number;
}

// ── Options ──────────────────────────────────────────────────────────────────────────────────────

/** An option trade (`T.O:*` on options). */
export interface OptionTrade {
  /** The event type. */ readonly ev: 'T';
  /** The contract symbol (`O:…`). */ readonly sym: string;
  /** The exchange ID. */ readonly x: number;
  /** The price. */ readonly p: number;
  /** The trade size. */ readonly s: number;
  /** The trade conditions. */ readonly c: readonly number[];
  /** The timestamp (Unix ms). */ readonly t: number;
  /** Sequence number: increasing per symbol, with gaps. */ readonly q: number;
}

/** An option quote (`Q.O:*`; at most 1,000 contracts per connection). */
export interface OptionQuote {
  /** The event type. */ readonly ev: 'Q';
  /** The contract symbol (`O:…`). */ readonly sym: string;
  /** The bid exchange ID. */ readonly bx: number;
  /** The ask exchange ID. */ readonly ax: number;
  /** The bid price. */ readonly bp: number;
  /** The ask price. */ readonly ap: number;
  /** The bid size. */ readonly bs: number;
  /** The ask size. */ readonly as: number;
  /** The timestamp (Unix ms). */ readonly t: number;
  /** Sequence number: increasing per symbol, with gaps. */ readonly q: number;
}

/** An option aggregate bar: the equity-style bar without `otc`. */
export type OptionAggregate<E extends 'A' | 'AM' = 'A' | 'AM'> = SessionAggregate<E>;

// ── Forex ────────────────────────────────────────────────────────────────────────────────────────

/** A forex quote (`C.*`). Here `p` is the pair, not a price. */
export interface ForexQuote {
  /** The event type. */ readonly ev: 'C';
  /** The currency pair (`USD/CNH`). */ readonly p: string;
  /** The exchange ID (the provider's example sends it as a string). */ readonly x: number;
  /** The ask price. */ readonly a: number;
  /** The bid price. */ readonly b: number;
  /** The timestamp (Unix ms). */ readonly t: number;
}

/** A forex aggregate bar (`CA.*` per minute, `CAS.*` per second). */
export interface ForexAggregate<E extends 'CA' | 'CAS' = 'CA' | 'CAS'> {
  /** The event type. */ readonly ev: E;
  /** The currency pair (`USD/EUR`). */ readonly pair: string;
  /** The window's open price. */ readonly o: number;
  /** The window's close price. */ readonly c: number;
  /** The window's high price. */ readonly h: number;
  /** The window's low price. */ readonly l: number;
  /** The volume of trades in the window. */ readonly v: number;
  /** The window's start (Unix ms). */ readonly s: number;
  /** The window's end (Unix ms); missing from the provider's examples. */ readonly e?: number;
}

// ── Crypto ───────────────────────────────────────────────────────────────────────────────────────

/** A crypto trade (`XT.*`). Here `p` is the price; the symbol is `pair`. */
export interface CryptoTrade {
  /** The event type. */ readonly ev: 'XT';
  /** The crypto pair (`BTC-USD`). */ readonly pair: string;
  /** The price. */ readonly p: number;
  /** The timestamp (Unix ms). */ readonly t: number;
  /** The size. */ readonly s: number;
  /** The conditions: 0 or [] none, 1 sellside, 2 buyside. */ readonly c: readonly number[];
  /** The trade ID, when the exchange gives one. */ readonly i?: number;
  /** The crypto exchange ID. */ readonly x: number;
  /** When the provider received the tick (Unix ms). */ readonly r: number;
}

/** A crypto quote (`XQ.*`). */
export interface CryptoQuote {
  /** The event type. */ readonly ev: 'XQ';
  /** The crypto pair (`BTC-USD`). */ readonly pair: string;
  /** The bid price. */ readonly bp: number;
  /** The bid size. */ readonly bs: number;
  /** The ask price. */ readonly ap: number;
  /** The ask size. */ readonly as: number;
  /** The timestamp (Unix ms). */ readonly t: number;
  /** The crypto exchange ID. */ readonly x: number;
  /** When the provider received the tick (Unix ms). */ readonly r: number;
}

/** One book level: `[price, size]`. */
export type BookLevel = readonly [price: number, size: number];

/** A crypto level-2 book snapshot (`XL2.*`), at most 100 levels a side. */
export interface CryptoL2Book {
  /** The event type. */ readonly ev: 'XL2';
  /** The crypto pair (`BTC-USD`). */ readonly pair: string;
  /** Bid levels, `[price, size]`. */ readonly b: readonly BookLevel[];
  /** Ask levels, `[price, size]`. */ readonly a: readonly BookLevel[];
  /** The timestamp (Unix ms). */ readonly t: number;
  /** The crypto exchange ID. */ readonly x: number;
  /** When the provider received the tick (Unix ms). */ readonly r: number;
}

/** A crypto aggregate bar (`XA.*` per minute, `XAS.*` per second). */
export interface CryptoAggregate<E extends 'XA' | 'XAS' = 'XA' | 'XAS'> {
  /** The event type. */ readonly ev: E;
  /** The crypto pair (`BTC-USD`). */ readonly pair: string;
  /** The window's open price. */ readonly o: number;
  /** The window's close price. */ readonly c: number;
  /** The window's high price. */ readonly h: number;
  /** The window's low price. */ readonly l: number;
  /** The volume in the window (fractional). */ readonly v: number;
  /** The window's start (Unix ms). */ readonly s: number;
  /** The window's end (Unix ms). */ readonly e: number;
  /** The volume-weighted average price. */ readonly vw: number;
  /** The window's average trade size. */ readonly z: number;
}

// ── Indices ──────────────────────────────────────────────────────────────────────────────────────

/** An index aggregate bar (`A.I:*` per second, `AM.I:*` per minute); no volume fields. */
export interface IndexAggregate<E extends 'A' | 'AM' = 'A' | 'AM'> {
  /** The event type. */ readonly ev: E;
  /** The index symbol (`I:SPX`). */ readonly sym: string;
  /** Today's official opening value. */ readonly op: number;
  /** The window's opening value. */ readonly o: number;
  /** The window's closing value. */ readonly c: number;
  /** The window's highest value. */ readonly h: number;
  /** The window's lowest value. */ readonly l: number;
  /** The window's start (Unix ms). */ readonly s: number;
  /** The window's end (Unix ms). */ readonly e: number;
}

/** An index value (`V.I:*`). The symbol is `T`. */
export interface IndexValue {
  /** The event type. */ readonly ev: 'V';
  /** The value of the index. */ readonly val: number;
  /** The index symbol (`I:SPX`). */ readonly T: string;
  /** The timestamp (Unix ms). */ readonly t: number;
}

// ── Business and launchpad feeds ─────────────────────────────────────────────────────────────────

/** Fair market value (`FMV.*`, business feed, every cluster but indices). */
export interface FairMarketValue {
  /** The event type. */ readonly ev: 'FMV';
  /** The provider's fair market value: a number. */ readonly fmv: number;
  /** The symbol, with its cluster prefix (`O:…`, `C:…`, `X:…`). */ readonly sym: string;
  /** The timestamp; documented as ns, seen as ms too. */ readonly t: number;
}

/** A launchpad minute aggregate (`AM.*` on the launchpad feed): the equity-style bar. */
export type LaunchpadAggregate = SessionAggregate<'AM'>;

/** A launchpad value (`LV.*`, launchpad feed, every cluster but indices). */
export interface LaunchpadValue {
  /** The event type. */ readonly ev: 'LV';
  /** The current value of the security. */ readonly val: number;
  /** The symbol, with its cluster prefix. */ readonly sym: string;
  /** The timestamp; documented as ns, seen as ms too. */ readonly t: number;
}

// ── Status ───────────────────────────────────────────────────────────────────────────────────────

/** The status values the provider documents; others may appear and pass through as strings. */
export type KnownStatus =
  | 'connected'
  | 'auth_success'
  | 'auth_failed'
  | 'auth_timeout'
  | 'auth_required'
  | 'success'
  | 'error'
  | 'max_connections'
  | 'force_disconnect'
  | 'slow_consumer';

/** A server status event (`ev: 'status'`), on every cluster. */
export interface StatusEvent {
  /** The event type. */ readonly ev: 'status';
  /** The status: a `KnownStatus`, or any other string the server sends. */
  readonly status: KnownStatus | (string & Record<never, never>);
  /** The server's human-readable text (quote it verbatim in errors). */ readonly message: string;
}

/** An event whose `ev` is not in `EventMap` for its cluster: passed through untyped. */
export type UnknownEvent = WireEvent;

/** The events of a futures cluster (all exchanges, or one). */
export interface FuturesEvents {
  T: FuturesTrade;
  Q: FuturesQuote;
  A: FuturesAggregate<'A'>;
  AM: FuturesAggregate<'AM'>;
  status: StatusEvent;
}

// ── Per-cluster maps ─────────────────────────────────────────────────────────────────────────────

/**
 * ev → shape, per cluster, for every stream in STREAMS (market, business and launchpad feeds).
 * Launchpad `AM` bars on stocks/options have the market bar's fields, so the market type covers
 * them. test/unit/events.test.ts checks this map against STREAMS both ways.
 */
export interface EventMap {
  stocks: {
    T: StockTrade;
    Q: StockQuote;
    A: StockAggregate<'A'>;
    AM: StockAggregate<'AM'>;
    LULD: StockLULD;
    NOI: StockImbalance;
    FMV: FairMarketValue;
    LV: LaunchpadValue;
    status: StatusEvent;
  };
  options: {
    T: OptionTrade;
    Q: OptionQuote;
    A: OptionAggregate<'A'>;
    AM: OptionAggregate<'AM'>;
    FMV: FairMarketValue;
    LV: LaunchpadValue;
    status: StatusEvent;
  };
  forex: {
    C: ForexQuote;
    CA: ForexAggregate<'CA'>;
    CAS: ForexAggregate<'CAS'>;
    AM: LaunchpadAggregate;
    FMV: FairMarketValue;
    LV: LaunchpadValue;
    status: StatusEvent;
  };
  crypto: {
    XT: CryptoTrade;
    XQ: CryptoQuote;
    XL2: CryptoL2Book;
    XA: CryptoAggregate<'XA'>;
    XAS: CryptoAggregate<'XAS'>;
    AM: LaunchpadAggregate;
    FMV: FairMarketValue;
    LV: LaunchpadValue;
    status: StatusEvent;
  };
  indices: {
    A: IndexAggregate<'A'>;
    AM: IndexAggregate<'AM'>;
    V: IndexValue;
    status: StatusEvent;
  };
  futures: FuturesEvents;
  'futures/cme': FuturesEvents;
  'futures/cbot': FuturesEvents;
  'futures/nymex': FuturesEvents;
  'futures/comex': FuturesEvents;
}

/**
 * The `ev` values known on cluster `C` (including `'status'`); for a union of clusters, those
 * known on any of them.
 */
export type EvOf<C extends Cluster> = C extends Cluster ? keyof EventMap[C] & string : never;

/**
 * The shape of event `E` on cluster `C`: `EventOf<'options', 'T'>` is `OptionTrade`; unions of
 * events or clusters give the union of their shapes.
 */
export type EventOf<C extends Cluster, E extends EvOf<C>> = C extends Cluster
  ? EventMap[C][E & keyof EventMap[C]]
  : never;

/** Names an `ev` this version has no type for (a new feed): its events arrive as `UnknownEvent`. */
export interface UnknownEv {
  readonly unknown: string;
}

/**
 * Every known event on cluster `C`, discriminated on `ev`; for a union of clusters, every known
 * event on any of them (distributive).
 */
export type ClusterEvent<C extends Cluster> = C extends Cluster
  ? Extract<EventMap[C][EvOf<C>], { readonly ev: string }>
  : never;

/** What a cluster's stream delivers: its known events, plus unknown ones passed through. */
export type StreamEvent<C extends Cluster = Cluster> = ClusterEvent<C> | UnknownEvent;

/** Every data (non-status) event on cluster `C`. */
export type DataEvent<C extends Cluster> = Exclude<ClusterEvent<C>, StatusEvent>;
