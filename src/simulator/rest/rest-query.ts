/**
 * What a REST history request asks, read from its path and parameters with the provider's rules
 * (`/v3/trades|quotes/{ticker}` with `timestamp` filters in ns or dates, `order`, `sort`,
 * `limit`; `/v2/aggs/ticker/{ticker}/range/1/{second|minute}/{from}/{to}` with `sort`, `limit`),
 * and the HTTP error a bad one gets. Pure: no I/O, no tape.
 */
import {
  historyRoute,
  MAX_PAGE_ROWS,
  type HistoryRoute,
} from '../../protocol/rest/rest-history.js';
import { clusterOfTicker, STREAMS, type Cluster, type StreamSpec } from '../../protocol/streams.js';
import { canonicalSymbol } from '../../protocol/symbols.js';

/** An answer other than 200: its HTTP status, the body's `status` word and its message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Query {
  readonly stream: StreamSpec;
  readonly route: HistoryRoute;
  readonly ticker: string;
  /** The tape's topic key, `T.AAPL`. */
  readonly key: string;
  /** Window of event times, ms: [from, to). */
  readonly from: number;
  readonly to: number;
  readonly desc: boolean;
  readonly limit: number;
}

/** Which history endpoint a path asks, and for which ticker (as the path spells it). */
export interface HistoryTarget {
  readonly endpoint: HistoryRoute['endpoint'];
  readonly ticker: string;
}

const DAY = 86_400_000;
const TRADES_OR_QUOTES = /^\/v3\/(trades|quotes)\/([^/]+)$/;
const AGGS = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)$/;

/** The endpoint and ticker of a history path (trailing slashes removed); undefined for others. */
export function historyTarget(path: string): HistoryTarget | undefined {
  const tq = TRADES_OR_QUOTES.exec(path);
  if (tq) return { endpoint: tq[1] as 'trades' | 'quotes', ticker: decoded(tq[2]!) };
  const aggs = AGGS.exec(path);
  return aggs ? { endpoint: 'aggs', ticker: decoded(aggs[1]!) } : undefined;
}

/** A path segment decoded; as it is when it is not valid percent-encoding. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A 400 with the provider's `ERROR` body. */
export function bad(message: string): HttpError {
  return new HttpError(400, 'ERROR', message);
}

/** The stream an endpoint serves for a ticker: its cluster from the ticker's prefix. */
function streamFor(endpoint: HistoryRoute['endpoint'], ticker: string, windowMs = 0): StreamSpec {
  const cluster = clusterOfTicker(ticker);
  const stream = STREAMS.find((s) => {
    const r = historyRoute(s);
    return (
      s.cluster === cluster &&
      r?.endpoint === endpoint &&
      (endpoint !== 'aggs' || r.windowMs === windowMs)
    );
  });
  if (!stream) {
    throw new HttpError(404, 'NOT_FOUND', `No ${endpoint} history is served for ticker ${ticker}.`);
  }
  return stream;
}

/** The history stream a cursor's tape key (`T.AAPL`) names on its cluster; 400 when none. */
export function streamOfKey(cluster: Cluster, key: string, path: string): StreamSpec {
  const prefix = key.slice(0, key.indexOf('.'));
  const s = STREAMS.find((x) => x.cluster === cluster && x.prefix === prefix && historyRoute(x));
  if (!s) throw bad(`The cursor does not belong to ${path}.`);
  return s;
}

/** A first page's query: 400 for a bad parameter, 404 for a ticker the endpoint does not serve. */
export function parseQuery(path: string, p: URLSearchParams): Query {
  const tq = TRADES_OR_QUOTES.exec(path);
  if (tq) {
    const ticker = decodeURIComponent(tq[2]!);
    const stream = streamFor(tq[1] as 'trades' | 'quotes', ticker);
    const limit = intParam(p.get('limit'), 1000, 'limit');
    const order = p.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw bad(`order must be asc or desc, not ${order}`);
    const sort = p.get('sort') ?? 'timestamp';
    if (sort !== 'timestamp') throw bad(`sort must be timestamp, not ${sort}`);
    const { from, to } = timestampWindow(p);
    return query(stream, ticker, from, to, order === 'desc', limit);
  }
  const [, enc, multiplier, timespan, fromText, toText] = AGGS.exec(path)!;
  const ticker = decodeURIComponent(enc!);
  if (multiplier !== '1') throw bad(`The simulator serves multiplier 1 only, not ${multiplier}`);
  if (timespan !== 'second' && timespan !== 'minute') {
    throw bad(`The simulator serves timespan second or minute, not ${timespan}`);
  }
  const stream = streamFor('aggs', ticker, timespan === 'second' ? 1_000 : 60_000);
  const sort = p.get('sort') ?? 'asc';
  if (sort !== 'asc' && sort !== 'desc') throw bad(`sort must be asc or desc, not ${sort}`);
  const limit = intParam(p.get('limit'), 5000, 'limit');
  const from = msOrDate(fromText!, 'from', false);
  const to = msOrDate(toText!, 'to', true) + 1;
  return query(stream, ticker, from, to, sort === 'desc', limit);
}

function query(
  stream: StreamSpec,
  ticker: string,
  from: number,
  to: number,
  desc: boolean,
  limit: number,
): Query {
  const route = historyRoute(stream)!;
  const key = `${stream.prefix}.${canonicalSymbol(stream.cluster, ticker)}`;
  return { stream, route, ticker, key, from, to: Math.max(from, to), desc, limit };
}

function intParam(text: string | null, fallback: number, name: string): number {
  if (text === null) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_PAGE_ROWS) {
    throw bad(`${name} must be an integer from 1 to ${MAX_PAGE_ROWS}, not ${text}`);
  }
  return n;
}

/** A path bound: a ms timestamp or a YYYY-MM-DD date (its start, or its last ms for `end`). */
function msOrDate(text: string, name: string, end: boolean): number {
  if (/^\d+$/.test(text)) return Number(text);
  const day = dateMs(text);
  if (day === undefined) throw bad(`${name} must be a millisecond timestamp or YYYY-MM-DD`);
  return end ? day + DAY - 1 : day;
}

function dateMs(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The v3 `timestamp` filters as a window of ms event times [from, to). */
function timestampWindow(p: URLSearchParams): { from: number; to: number } {
  let from = 0;
  let to = Number.MAX_SAFE_INTEGER;
  const ns = (name: string): bigint | undefined => {
    const text = p.get(name);
    if (text === null) return undefined;
    if (/^\d+$/.test(text)) return BigInt(text);
    const day = dateMs(text);
    if (day === undefined) throw bad(`${name} must be a nanosecond timestamp or YYYY-MM-DD`);
    return BigInt(day) * 1_000_000n;
  };
  const M = 1_000_000n;
  const floor = (n: bigint): number => Number(n / M);
  const ceil = (n: bigint): number => Number((n + M - 1n) / M);
  const exact = p.get('timestamp');
  if (exact !== null) {
    const day = dateMs(exact);
    if (day !== undefined) return { from: day, to: day + DAY };
    const n = ns('timestamp')!;
    return n % M === 0n ? { from: floor(n), to: floor(n) + 1 } : { from: 0, to: 0 };
  }
  const gte = ns('timestamp.gte');
  const gt = ns('timestamp.gt');
  const lte = ns('timestamp.lte');
  const lt = ns('timestamp.lt');
  if (gte !== undefined) from = Math.max(from, ceil(gte));
  if (gt !== undefined) from = Math.max(from, floor(gt) + 1);
  if (lte !== undefined) to = Math.min(to, floor(lte) + 1);
  if (lt !== undefined) to = Math.min(to, ceil(lt));
  return { from, to };
}
