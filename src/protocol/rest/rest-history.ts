/**
 * The provider's REST history mapped onto the stream, for both sides of the wire (the client's
 * history fetcher and a REST server that serves history): which streams have history and where,
 * the request for a ticker and a time window, each REST row as exactly the event the stream
 * delivers, and an identity per event to drop what the stream already delivered. Pure: no I/O.
 *
 * | stream (`ev`)        | endpoint                     | identity               | absent from backfilled events                |
 * |----------------------|------------------------------|------------------------|----------------------------------------------|
 * | stocks T             | /v3/trades/{ticker}          | q                      | —                                            |
 * | stocks Q             | /v3/quotes/{ticker}          | q                      | c unless REST lists exactly one condition    |
 * | options T            | /v3/trades/{ticker}          | t p s x c (content)    | q: REST option trades have no sequence_number |
 * | options Q            | /v3/quotes/{ticker}          | q                      | —                                            |
 * | forex C              | /v3/quotes/{ticker}          | t b a (content)        | x unless bid and ask exchange agree          |
 * | crypto XT            | /v3/trades/{ticker}          | i (else t p s x)       | r: REST has no receive time                  |
 * | stocks A/AM          | /v2/aggs …/range/1/{second\|minute}/{from}/{to} | symbol + s | av op a (day figures), z             |
 * | options A/AM         | same                         | symbol + s             | av op a z                                    |
 * | forex CA/CAS         | same                         | symbol + s             | —                                            |
 * | crypto XA/XAS        | same                         | symbol + s             | z                                            |
 * | indices A/AM         | same                         | symbol + s             | op                                           |
 * | futures T            | /futures/v1/trades/{ticker}  | t p s (content)        | —                                            |
 * | futures Q            | /futures/v1/quotes/{ticker}  | t, sides (content)     | —                                            |
 * | futures A/AM         | /futures/v1/aggs/{ticker}?resolution=1sec\|1min | symbol + s | —                                |
 *
 * Every futures cluster (`futures`, `futures/cme` …) has the same routes: a contract's history
 * does not depend on the path it was subscribed on.
 *
 * `z` on bars is the window's average trade size: REST gives `n` (trade count), and `v / n` is not
 * how the provider rounds it, so it stays absent rather than being made up. Streams without
 * history, and why, are in NO_HISTORY below.
 */
import type { WireEvent } from '../codec.js';
import {
  type Cluster,
  FUTURES_CLUSTERS,
  type FuturesCluster,
  isFuturesCluster,
  type StreamSpec,
} from '../streams.js';
import {
  aggregate,
  aggregateRow,
  CRYPTO_TRADE,
  FOREX_QUOTE,
  FUTURES_QUOTE,
  FUTURES_TRADE,
  futuresBar,
  msToNs,
  type Mutable,
  OPTION_QUOTE,
  OPTION_TRADE,
  type RestRow,
  STOCK_QUOTE,
  STOCK_TRADE,
  type TickMap,
  tickConverter,
  tickRow,
} from './rest-rows.js';
import { canonicalSymbol, displaySymbol, symbolOf, withClusterPrefix } from '../symbols.js';

export { msToNs, nsToMs, type RestRow } from './rest-rows.js';

/** A time window in Unix ms: `from` inclusive, `to` exclusive. */
export interface HistoryWindow {
  readonly from: number;
  readonly to: number;
}

export interface HistoryRoute {
  readonly endpoint: 'trades' | 'quotes' | 'aggs';
  /** Bar length of an aggregate stream, ms (1 000 or 60 000); 0 for trades and quotes. */
  readonly windowMs: number;
  /** Fields the stream's events carry that backfilled events lack (or may lack). */
  readonly absent: readonly string[];
  /** The event the stream would have delivered for a row, or undefined if the row has no time. */
  readonly convert: (row: RestRow, ticker: string) => WireEvent | undefined;
  /**
   * The inverse, for a server of history: the REST fields an event maps to (ns times as exact
   * digit strings; `JSON.stringify` them as numbers with `historyBodyText`). Fields REST has and
   * the stream lacks (`participant_timestamp` of a stock trade, `n` of a bar) are the server's.
   */
  readonly toRow: (event: WireEvent) => Mutable;
  /** What identifies an event of this stream on both sides (see `historyIdentity`). */
  readonly identity: (event: WireEvent) => string;
}

/** The largest page the provider serves. */
export const MAX_PAGE_ROWS = 50_000;

const SECOND = 1_000;
const MINUTE = 60_000;

// ── Identities ───────────────────────────────────────────────────────────────────────────────────

const bySequence = (e: WireEvent): string => `q${String(e['q'])}`;
const byTradeContent = (e: WireEvent): string =>
  `t${String(e['t'])} p${String(e['p'])} s${String(e['s'])} x${String(e['x'])}`;
const byOptionTrade = (e: WireEvent): string =>
  `${byTradeContent(e)} c${JSON.stringify(e['c'] ?? [])}`;
const byCryptoTrade = (e: WireEvent): string =>
  e['i'] === undefined ? byTradeContent(e) : `i${String(e['i'])}`;
const byForexQuote = (e: WireEvent): string =>
  `t${String(e['t'])} b${String(e['b'])} a${String(e['a'])}`;
const byFuturesQuote = (e: WireEvent): string =>
  `t${String(e['t'])} b${String(e['bp'])}x${String(e['bs'])} a${String(e['ap'])}x${String(e['as'])}`;
function byWindow(cluster: Cluster): (e: WireEvent) => string {
  return (e) => `${canonicalSymbol(cluster, symbolOf(e) ?? '')} s${String(e['s'])}`;
}

// ── The table ────────────────────────────────────────────────────────────────────────────────────

const SESSION_BAR = ['o', 'h', 'l', 'c', 'v', 'vw'];

/** The clusters whose bars come from /v2/aggs (futures bars have their own endpoint). */
type V2Cluster = 'stocks' | 'options' | 'forex' | 'crypto' | 'indices';

function bars(cluster: V2Cluster, ev: string, windowMs: number): HistoryRoute {
  const fields: Record<V2Cluster, { f: readonly string[]; absent: readonly string[] }> = {
    stocks: { f: [...SESSION_BAR, 'otc'], absent: ['av', 'op', 'a', 'z'] },
    options: { f: SESSION_BAR, absent: ['av', 'op', 'a', 'z'] },
    forex: { f: ['o', 'h', 'l', 'c', 'v'], absent: [] },
    crypto: { f: SESSION_BAR, absent: ['z'] },
    indices: { f: ['o', 'h', 'l', 'c'], absent: ['op'] },
  };
  const { f, absent } = fields[cluster];
  return {
    endpoint: 'aggs',
    windowMs,
    absent,
    convert: aggregate(ev, cluster, windowMs, f),
    toRow: aggregateRow(f),
    identity: byWindow(cluster),
  };
}

function ticks(
  endpoint: 'trades' | 'quotes',
  map: TickMap,
  identity: HistoryRoute['identity'],
  absent: readonly string[],
): HistoryRoute {
  return {
    endpoint,
    windowMs: 0,
    absent,
    convert: tickConverter(map),
    toRow: tickRow(map),
    identity,
  };
}

/** Streams with history, keyed by `StreamSpec.schemaPath`. */
const ROUTES: Readonly<Record<string, HistoryRoute>> = {
  '/stocks/T': ticks('trades', STOCK_TRADE, bySequence, []),
  '/stocks/Q': ticks('quotes', STOCK_QUOTE, bySequence, ['c']),
  '/options/T': ticks('trades', OPTION_TRADE, byOptionTrade, ['q']),
  '/options/Q': ticks('quotes', OPTION_QUOTE, bySequence, []),
  '/forex/C': ticks('quotes', FOREX_QUOTE, byForexQuote, ['x']),
  '/crypto/XT': ticks('trades', CRYPTO_TRADE, byCryptoTrade, ['r']),
  '/stocks/A': bars('stocks', 'A', SECOND),
  '/stocks/AM': bars('stocks', 'AM', MINUTE),
  '/options/A': bars('options', 'A', SECOND),
  '/options/AM': bars('options', 'AM', MINUTE),
  '/forex/CAS': bars('forex', 'CAS', SECOND),
  '/forex/CA': bars('forex', 'CA', MINUTE),
  '/crypto/XAS': bars('crypto', 'XAS', SECOND),
  '/crypto/XA': bars('crypto', 'XA', MINUTE),
  '/indices/A': bars('indices', 'A', SECOND),
  '/indices/AM': bars('indices', 'AM', MINUTE),
  ...Object.fromEntries(FUTURES_CLUSTERS.flatMap((c) => Object.entries(futuresRoutes(c)))),
};

function futuresRoutes(cluster: FuturesCluster): Record<string, HistoryRoute> {
  const bar = (ev: string, windowMs: number): HistoryRoute => ({
    endpoint: 'aggs',
    windowMs,
    absent: [],
    ...futuresBar(ev, windowMs),
    identity: byWindow(cluster),
  });
  return {
    [`/${cluster}/T`]: ticks('trades', FUTURES_TRADE, byTradeContent, []),
    [`/${cluster}/Q`]: ticks('quotes', FUTURES_QUOTE, byFuturesQuote, []),
    [`/${cluster}/A`]: bar('A', SECOND),
    [`/${cluster}/AM`]: bar('AM', MINUTE),
  };
}

/** Why the other streams have none: by `ev` on the market feed, by feed for the others. */
const NO_HISTORY: Readonly<Record<string, string>> = {
  LULD: 'the provider has no REST history of limit-up/limit-down bands',
  NOI: 'the provider has no REST history of imbalances',
  XQ: 'the quotes history serves stock, option and forex tickers, not crypto',
  XL2: 'the provider keeps no history of level-2 book snapshots',
  V: 'the provider has no REST history of index values (only of index bars: A, AM)',
  business: 'fair market values (business feed) have no REST history',
  launchpad: "launchpad values and bars have no REST history (/v2/aggs serves the market's bars)",
};

/** How a stream's gaps are filled from REST, or undefined when it has no history. */
export function historyRoute(stream: StreamSpec): HistoryRoute | undefined {
  return stream.feed === 'market' ? ROUTES[stream.schemaPath] : undefined;
}

/** Why a stream has no REST history ('' when it has). */
export function whyNoHistory(stream: StreamSpec): string {
  if (historyRoute(stream)) return '';
  return (
    NO_HISTORY[stream.feed === 'market' ? stream.ev : stream.feed] ??
    `the provider has no REST history for ${stream.ev} on ${stream.cluster}`
  );
}

// ── Requests ─────────────────────────────────────────────────────────────────────────────────────

/**
 * The REST ticker of a subscribed symbol: the cluster prefix kept or added (`O:`, `C:`, `X:`,
 * `I:`); pairs as each endpoint's examples spell them (`X:BTC-USD` for trades and quotes,
 * `X:BTCUSD` for bars).
 */
export function restTicker(stream: StreamSpec, symbol: string): string {
  const route = historyRoute(stream);
  const pairs = stream.cluster === 'forex' || stream.cluster === 'crypto';
  if (!pairs) return withClusterPrefix(stream.cluster, symbol);
  return route?.endpoint === 'aggs'
    ? canonicalSymbol(stream.cluster, symbol)
    : displaySymbol(stream.cluster, symbol);
}

/**
 * Path and query (`/v3/trades/X%3ABTC-USD?timestamp.gte=…`) of the first page of `ticker`'s
 * history in `window`, oldest first. Trades and quotes ask `timestamp.gte = from` and
 * `timestamp.lt = to` in nanoseconds. Bars ask by window start in ms, which the provider treats as
 * inclusive at both ends: `to - 1` keeps `to` exclusive.
 */
export function historyPath(
  stream: StreamSpec,
  route: HistoryRoute,
  ticker: string,
  window: HistoryWindow,
  limit: number = MAX_PAGE_ROWS,
): string {
  const enc = encodeURIComponent(ticker);
  if (isFuturesCluster(stream.cluster)) return futuresPath(route, enc, window, limit);
  if (route.endpoint === 'aggs') {
    const span = route.windowMs === SECOND ? 'second' : 'minute';
    const adjusted = stream.cluster === 'indices' ? '' : 'adjusted=false&';
    return `/v2/aggs/ticker/${enc}/range/1/${span}/${window.from}/${window.to - 1}?${adjusted}sort=asc&limit=${limit}`;
  }
  const gte = msToNs(window.from);
  const lt = msToNs(window.to);
  return `/v3/${route.endpoint}/${enc}?timestamp.gte=${gte}&timestamp.lt=${lt}&order=asc&sort=timestamp&limit=${limit}`;
}

/**
 * A futures history page: `/futures/v1/{trades|quotes}` by `timestamp`, `/futures/v1/aggs` by
 * `window_start` at 1sec or 1min resolution (the provider's default is one bar per session), both
 * in ns, `to` exclusive, oldest first (the provider's default order is newest first).
 */
function futuresPath(
  route: HistoryRoute,
  enc: string,
  window: HistoryWindow,
  limit: number,
): string {
  const gte = msToNs(window.from);
  const lt = msToNs(window.to);
  if (route.endpoint === 'aggs') {
    const resolution = route.windowMs === SECOND ? '1sec' : '1min';
    return `/futures/v1/aggs/${enc}?resolution=${resolution}&window_start.gte=${gte}&window_start.lt=${lt}&sort=window_start.asc&limit=${Math.min(limit, MAX_PAGE_ROWS)}`;
  }
  return `/futures/v1/${route.endpoint}/${enc}?timestamp.gte=${gte}&timestamp.lt=${lt}&sort=timestamp.asc&limit=${Math.min(limit, MAX_PAGE_ROWS - 1)}`;
}

/**
 * The ns timestamps rows carry (v3: `sip_timestamp` …; futures: `timestamp`, `window_start` …):
 * exact only as digits, beyond a double's 53 bits.
 */
const NS_NAMES =
  'sip_timestamp|participant_timestamp|trf_timestamp|timestamp|bid_timestamp|ask_timestamp|window_start';
const NS_FIELDS = new RegExp(`"(${NS_NAMES})"(\\s*:\\s*)(\\d+)`, 'g');

/** Parse a REST response body, keeping nanosecond timestamps exact (as digit strings). */
export function parseHistoryBody(text: string): unknown {
  return JSON.parse(text.replace(NS_FIELDS, '"$1"$2"$3"'));
}

/** A REST response body as text, nanosecond digit strings written as the numbers they are. */
export function historyBodyText(body: unknown): string {
  return JSON.stringify(body).replace(new RegExp(`"(${NS_NAMES})":"(\\d+)"`, 'g'), '"$1":$2');
}

// ── Identity ───────────────────────────────────────────────────────────────────────────────────

/**
 * What identifies an event of `stream` on both sides (history and live), for dropping history
 * the stream already delivered: `q` (stock trades and quotes, option quotes), `i` (crypto
 * trades), time and prices (forex quotes, option trades), symbol and window start (bars).
 */
export function historyIdentity(stream: StreamSpec, event: WireEvent): string | undefined {
  return historyRoute(stream)?.identity(event);
}
