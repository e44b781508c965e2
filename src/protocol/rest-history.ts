/**
 * The provider's REST history mapped onto the stream, for both sides of the wire (the client's
 * history fetcher and a REST server that serves history): which streams have history and where,
 * the request for a ticker and a time window, and each REST row as exactly the event the stream
 * delivers. Pure: no I/O.
 *
 * | stream (`ev`) | endpoint                                           | absent from backfilled events                  |
 * |-----------------|----------------------------------------------------|------------------------------------------------|
 * | stocks T        | /v3/trades/{ticker}                                | —                                              |
 * | stocks Q        | /v3/quotes/{ticker}                                | c unless REST lists exactly one condition      |
 * | options T       | /v3/trades/{ticker}                                | q: REST option trades have no sequence_number  |
 * | options Q       | /v3/quotes/{ticker}                                | —                                              |
 * | forex C         | /v3/quotes/{ticker}                                | x unless bid and ask exchange agree            |
 * | crypto XT       | /v3/trades/{ticker}                                | r: REST has no receive time                    |
 * | stocks A/AM     | /v2/aggs/ticker/{ticker}/range/1/{second,minute}/… | av op a (day figures), z                       |
 * | options A/AM    | same                                               | av op a z                                      |
 * | forex CA/CAS    | same                                               | —                                              |
 * | crypto XA/XAS   | same                                               | z                                              |
 * | indices A/AM    | same                                               | op                                             |
 *
 * `z` on bars is the window's average trade size: REST gives `n` (trade count), and `v / n` is not
 * how the provider rounds it, so it stays absent rather than being made up. Streams without
 * history, and why, are in NO_HISTORY below.
 */
import type { WireEvent } from './codec.js';
import { eventTimeMs } from './timestamps.js';
import type { Cluster, StreamSpec } from './streams.js';
import { canonicalSymbol, displaySymbol, eventPair, withClusterPrefix } from './symbols.js';

/** A time window in Unix ms: `from` inclusive, `to` exclusive. */
export interface HistoryWindow {
  readonly from: number;
  readonly to: number;
}

/** One row of a REST `results` array, as parsed (ns timestamps may be digit strings). */
export type RestRow = Readonly<Record<string, unknown>>;

export interface HistoryRoute {
  readonly endpoint: 'trades' | 'quotes' | 'aggs';
  /** Bar length of an aggregate stream, ms (1 000 or 60 000); 0 for trades and quotes. */
  readonly windowMs: number;
  /** Fields the stream's events carry that backfilled events lack (or may lack). */
  readonly absent: readonly string[];
  /** The event the stream would have delivered for a row, or undefined if the row has no time. */
  readonly convert: (row: RestRow, ticker: string) => WireEvent | undefined;
}

/** The largest page the provider serves. */
export const MAX_PAGE_ROWS = 50_000;

const SECOND = 1_000;
const MINUTE = 60_000;

// ── Field helpers ────────────────────────────────────────────────────────────────────────────────

type Mutable = Record<string, unknown>;

function copy(out: Mutable, field: string, value: unknown): void {
  if (value !== undefined && value !== null) out[field] = value;
}

/** Nanoseconds (a number, or the exact digits as a string) → Unix ms, rounded down. */
export function nsToMs(ns: unknown): number | undefined {
  if (typeof ns === 'string' && /^\d+$/.test(ns)) {
    return ns.length > 6 ? Number(ns.slice(0, -6)) : 0;
  }
  if (typeof ns === 'number' && Number.isFinite(ns) && ns >= 0) {
    return Number(BigInt(Math.trunc(ns)) / 1_000_000n);
  }
  return undefined;
}

/** Unix ms → the exact nanosecond digits (ms must be a non-negative integer). */
function msToNs(ms: number): string {
  return ms === 0 ? '0' : `${ms}000000`;
}

// ── Row converters, field by field ───────────────────────────────────────────────────────────────

function stockTrade(row: RestRow, ticker: string): WireEvent | undefined {
  const t = nsToMs(row['sip_timestamp']);
  if (t === undefined) return undefined;
  const e: Mutable = { ev: 'T', sym: ticker };
  copy(e, 'x', row['exchange']);
  copy(e, 'i', row['id']);
  copy(e, 'z', row['tape']);
  copy(e, 'p', row['price']);
  copy(e, 's', row['size']);
  copy(e, 'c', row['conditions']);
  e['t'] = t;
  copy(e, 'q', row['sequence_number']);
  copy(e, 'trfi', row['trf_id']);
  copy(e, 'trft', nsToMs(row['trf_timestamp']));
  return e as WireEvent;
}

function optionTrade(row: RestRow, ticker: string): WireEvent | undefined {
  const t = nsToMs(row['sip_timestamp']);
  if (t === undefined) return undefined;
  const e: Mutable = { ev: 'T', sym: ticker };
  copy(e, 'x', row['exchange']);
  copy(e, 'p', row['price']);
  copy(e, 's', row['size']);
  copy(e, 'c', row['conditions']);
  e['t'] = t;
  return e as WireEvent;
}

/** Stock and option quotes: stocks add the tape, one condition and the indicators. */
function quote(stocks: boolean): HistoryRoute['convert'] {
  return (row, ticker) => {
    const t = nsToMs(row['sip_timestamp']);
    if (t === undefined) return undefined;
    const e: Mutable = { ev: 'Q', sym: ticker };
    copy(e, 'bx', row['bid_exchange']);
    copy(e, 'bp', row['bid_price']);
    copy(e, 'bs', row['bid_size']);
    copy(e, 'ax', row['ask_exchange']);
    copy(e, 'ap', row['ask_price']);
    copy(e, 'as', row['ask_size']);
    if (stocks) {
      const c = row['conditions'];
      // The stream's `c` is one condition; REST lists them. A list of one is that condition.
      if (Array.isArray(c) && c.length === 1) e['c'] = c[0];
      copy(e, 'i', row['indicators']);
    }
    e['t'] = t;
    copy(e, 'q', row['sequence_number']);
    if (stocks) copy(e, 'z', row['tape']);
    return e as WireEvent;
  };
}

function forexQuote(row: RestRow, ticker: string): WireEvent | undefined {
  const t = nsToMs(row['participant_timestamp']);
  if (t === undefined) return undefined;
  const e: Mutable = { ev: 'C', p: eventPair('forex', ticker) };
  // The stream names one exchange; REST names the bid's and the ask's.
  if (row['bid_exchange'] === row['ask_exchange']) copy(e, 'x', row['bid_exchange']);
  copy(e, 'a', row['ask_price']);
  copy(e, 'b', row['bid_price']);
  e['t'] = t;
  return e as WireEvent;
}

function cryptoTrade(row: RestRow, ticker: string): WireEvent | undefined {
  const t = nsToMs(row['participant_timestamp']);
  if (t === undefined) return undefined;
  const e: Mutable = { ev: 'XT', pair: eventPair('crypto', ticker) };
  copy(e, 'p', row['price']);
  e['t'] = t;
  copy(e, 's', row['size']);
  copy(e, 'c', row['conditions']);
  // REST spells the trade id as a string of digits; the stream as an integer.
  const id = row['id'];
  const i = typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id;
  if (typeof i === 'number' && Number.isSafeInteger(i)) e['i'] = i;
  copy(e, 'x', row['exchange']);
  return e as WireEvent;
}

/** A bar: REST `o h l c v vw t` → `o h l c v vw s`, `e = s + window`; the symbol per stream. */
function aggregate(
  ev: string,
  cluster: Cluster,
  windowMs: number,
  fields: readonly string[],
): HistoryRoute['convert'] {
  const pairs = cluster === 'forex' || cluster === 'crypto';
  return (row, ticker) => {
    const s = row['t'];
    if (typeof s !== 'number') return undefined;
    const e: Mutable = pairs ? { ev, pair: eventPair(cluster, ticker) } : { ev, sym: ticker };
    for (const f of fields) copy(e, f, row[f]);
    e['s'] = s;
    e['e'] = s + windowMs;
    return e as WireEvent;
  };
}

// ── The table ────────────────────────────────────────────────────────────────────────────────────

const SESSION_BAR = ['o', 'h', 'l', 'c', 'v', 'vw'];

function bars(cluster: Cluster, ev: string, windowMs: number): HistoryRoute {
  const fields: Record<Cluster, { f: readonly string[]; absent: readonly string[] }> = {
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
  };
}

function ticks(
  endpoint: 'trades' | 'quotes',
  convert: HistoryRoute['convert'],
  absent: readonly string[],
): HistoryRoute {
  return { endpoint, windowMs: 0, absent, convert };
}

/** Streams with history, keyed by `StreamSpec.schemaPath`. */
const ROUTES: Readonly<Record<string, HistoryRoute>> = {
  '/stocks/T': ticks('trades', stockTrade, []),
  '/stocks/Q': ticks('quotes', quote(true), ['c']),
  '/options/T': ticks('trades', optionTrade, ['q']),
  '/options/Q': ticks('quotes', quote(false), []),
  '/forex/C': ticks('quotes', forexQuote, ['x']),
  '/crypto/XT': ticks('trades', cryptoTrade, ['r']),
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
};

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
  if (route.endpoint === 'aggs') {
    const span = route.windowMs === SECOND ? 'second' : 'minute';
    const adjusted = stream.cluster === 'indices' ? '' : 'adjusted=false&';
    return `/v2/aggs/ticker/${enc}/range/1/${span}/${window.from}/${window.to - 1}?${adjusted}sort=asc&limit=${limit}`;
  }
  const gte = msToNs(window.from);
  const lt = msToNs(window.to);
  return `/v3/${route.endpoint}/${enc}?timestamp.gte=${gte}&timestamp.lt=${lt}&order=asc&sort=timestamp&limit=${limit}`;
}

/** Whether an event's stream time lies in the window (`from` inclusive, `to` exclusive). */
export function inWindow(event: WireEvent, window: HistoryWindow): boolean {
  const t = eventTimeMs(event);
  return t !== undefined && t >= window.from && t < window.to;
}

/** The ns timestamps v3 rows carry: exact only as digits, beyond a double's 53 bits. */
const NS_FIELDS = /"(sip_timestamp|participant_timestamp|trf_timestamp)"(\s*:\s*)(\d+)/g;

/** Parse a REST response body, keeping nanosecond timestamps exact (as digit strings). */
export function parseHistoryBody(text: string): unknown {
  return JSON.parse(text.replace(NS_FIELDS, '"$1"$2"$3"'));
}
