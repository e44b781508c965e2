/**
 * The provider's "latest" REST endpoints mapped onto the stream, for both sides of the wire (the
 * client's snapshot on subscribe and the simulator that serves them): which streams have a
 * latest-state source, its path for a ticker, and its `results` object ↔ the event the stream
 * delivers, field by field through the same TickMap machinery as history rows (rest-rows.ts).
 * Pure: no I/O.
 *
 * Followed: the provider's REST docs (massive.com/docs/rest/…), "Stocks › Last Trade"
 * (`GET /v2/last/trade/{stocksTicker}`), "Stocks › Last Quote" (`GET /v2/last/nbbo/{stocksTicker}`)
 * and "Options › Last Trade" (`GET /v2/last/trade/{optionsTicker}`): a body
 * `{ status, request_id, results: { T, … } }` with single-letter fields, times in ns.
 *
 * | stream          | endpoint                  | results → event                                       |
 * |-----------------|---------------------------|-------------------------------------------------------|
 * | stocks T        | /v2/last/trade/{ticker}   | x i z p s c q, t (ns → ms), r → trfi, f (ns) → trft   |
 * | options T       | /v2/last/trade/{ticker}   | x p s c, t (ns → ms)                                  |
 * | stocks Q        | /v2/last/nbbo/{ticker}    | x p s → bx bp bs; X P S → ax ap as; c (one) i q z t   |
 *
 * Unsure: `r` (TRF id) and `f` (TRF time) on a last trade are read as the v3 rows' `trf_id` and
 * `trf_timestamp` are; the docs list `e` (correction), `ds` (decimal size) and `y` (participant
 * time), which the stream's events do not carry, so they are left out.
 *
 * No latest source here, and why (LATEST_NONE): option quotes, forex, crypto and indices have no
 * "last" endpoint whose answer is the stream's event (the unified `/v3/snapshot` gives trimmed
 * trades and quotes without sequence numbers or exchange times, which could not be told apart
 * from live events); bars are never served from a snapshot (the snapshot's `min` and `day` bars
 * are still forming: never an `AM` or `A`); futures have no documented snapshot endpoint.
 */
import type { WireEvent } from '../codec.js';
import { type Convert, type TickMap, tickConverter, tickRow, type ToRow } from './rest-rows.js';
import { isFuturesCluster, type StreamSpec } from '../streams.js';

export interface LatestRoute {
  /** `trade` → /v2/last/trade, `nbbo` → /v2/last/nbbo. */
  readonly endpoint: 'trade' | 'nbbo';
  readonly convert: Convert;
  readonly toRow: ToRow;
}

const STOCK_LAST_TRADE: TickMap = {
  ev: 'T',
  time: 't',
  symbol: 'sym',
  fields: [
    ['x', 'x'],
    ['i', 'i'],
    ['z', 'z'],
    ['p', 'p'],
    ['s', 's'],
    ['c', 'c'],
    ['t', 't', 'ns'],
    ['q', 'q'],
    ['r', 'trfi'],
    ['f', 'trft', 'ns'],
  ],
};

/** An option's last trade: the stock one's exchange, price, size, conditions and time only. */
const OPTION_LAST_TRADE: TickMap = {
  ...STOCK_LAST_TRADE,
  fields: STOCK_LAST_TRADE.fields.filter(([from]) => ['x', 'p', 's', 'c', 't'].includes(from)),
};

/** The stream's `c` is one condition; the endpoint lists them. */
const STOCK_LAST_NBBO: TickMap = {
  ev: 'Q',
  time: 't',
  symbol: 'sym',
  fields: [
    ['x', 'bx'],
    ['p', 'bp'],
    ['s', 'bs'],
    ['X', 'ax'],
    ['P', 'ap'],
    ['S', 'as'],
    ['c', 'c', 'one'],
    ['i', 'i'],
    ['t', 't', 'ns'],
    ['q', 'q'],
    ['z', 'z'],
  ],
};

function route(endpoint: LatestRoute['endpoint'], map: TickMap): LatestRoute {
  return { endpoint, convert: tickConverter(map), toRow: tickRow(map) };
}

/** Streams with a latest-state source, keyed by `StreamSpec.schemaPath`. */
const ROUTES: Readonly<Record<string, LatestRoute>> = {
  '/stocks/T': route('trade', STOCK_LAST_TRADE),
  '/stocks/Q': route('nbbo', STOCK_LAST_NBBO),
  '/options/T': route('trade', OPTION_LAST_TRADE),
};

/** Why a market stream has none (see the file comment), by `ev`; futures by cluster. */
const LATEST_NONE: Readonly<Record<string, string>> = {
  bars: 'a snapshot bar is still forming (the provider serves the current minute and day as they stand), never a final bar',
  futures: 'the provider documents no futures snapshot endpoint',
  other:
    'the provider has no "last" endpoint that gives this stream\'s event (only stocks trades and quotes and option trades)',
};

/** The latest-state source of a stream, or undefined when it has none. */
export function latestRoute(stream: StreamSpec): LatestRoute | undefined {
  return stream.feed === 'market' ? ROUTES[stream.schemaPath] : undefined;
}

/** Why a stream has no latest-state source ('' when it has). */
export function whyNoLatest(stream: StreamSpec): string {
  if (latestRoute(stream)) return '';
  if (isFuturesCluster(stream.cluster)) return LATEST_NONE['futures']!;
  if (/^(A|AM|CA|CAS|XA|XAS)$/.test(stream.ev)) return LATEST_NONE['bars']!;
  return LATEST_NONE['other']!;
}

/** Path of a ticker's latest answer: `/v2/last/trade/AAPL`. */
export function latestPath(route: LatestRoute, ticker: string): string {
  return `/v2/last/${route.endpoint}/${encodeURIComponent(ticker)}`;
}

/** The ns times of a latest answer (`t`, `f`, `y`): exact only as digits, beyond 53 bits. */
const NS_NUMBERS = /"([tfy])"(\s*:\s*)(\d{16,})/g;
const NS_STRINGS = /"([tfy])":"(\d{16,})"/g;

/** Parse a latest answer's body, keeping its ns times exact (as digit strings). */
export function parseLatestBody(text: string): unknown {
  return JSON.parse(text.replace(NS_NUMBERS, '"$1"$2"$3"'));
}

/** A latest answer's body as text, its ns digit strings written as the numbers they are. */
export function latestBodyText(body: unknown): string {
  return JSON.stringify(body).replace(NS_STRINGS, '"$1":$2');
}

/** The event of a latest answer's `results`, or undefined when it has none or no usable time. */
export function latestEvent(
  route: LatestRoute,
  ticker: string,
  body: unknown,
): WireEvent | undefined {
  const results = (body as { results?: unknown } | null)?.results;
  if (typeof results !== 'object' || results === null || Array.isArray(results)) return undefined;
  return route.convert(results as Record<string, unknown>, ticker);
}
