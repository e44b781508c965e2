/**
 * The simulator's REST history, on the port of its WebSocket: `GET /v3/trades/{ticker}`,
 * `GET /v3/quotes/{ticker}` and `GET /v2/aggs/ticker/{ticker}/range/1/{second|minute}/{from}/{to}`
 * with the provider's parameters, response shapes, `next_url` cursors and error bodies, served
 * from the tape's history. Rows are the tape's events mapped back through the one REST ↔ event
 * table (src/protocol/rest-history.ts). Auth: `Authorization: Bearer KEY` or `?apiKey=KEY` with
 * the simulator's keys (401 otherwise); more than the configured requests per second per key → 429.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  historyBodyText,
  historyRoute,
  MAX_PAGE_ROWS,
  type HistoryRoute,
} from '../protocol/rest-history.js';
import { clusterOfTicker, STREAMS, type Cluster, type StreamSpec } from '../protocol/streams.js';
import { canonicalSymbol } from '../protocol/symbols.js';
import type { ClusterTape } from './tape.js';

/** What the REST history needs from the simulator. */
export interface RestHost {
  authenticate(key: string): boolean;
  tape(cluster: Cluster): ClusterTape;
}

interface Query {
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

/** A page position: the query's positions [start, end) and the next one to serve. */
interface Cursor {
  readonly path: string;
  readonly key: string;
  readonly cluster: Cluster;
  readonly start: number;
  readonly end: number;
  readonly at: number;
  readonly desc: boolean;
  readonly limit: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    message: string,
  ) {
    super(message);
  }
}

const DAY = 86_400_000;
const TRADES_OR_QUOTES = /^\/v3\/(trades|quotes)\/([^/]+)$/;
const AGGS = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)$/;

export class RestHistory {
  /** Token buckets per key: tokens left and when they were counted. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly host: RestHost,
    private readonly requestsPerSecond: number,
  ) {}

  /** Answer a history request; false for any other path (the protocol server answers those). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname.replace(/\/+$/, '');
    if (!TRADES_OR_QUOTES.test(path) && !AGGS.test(path)) return false;
    const requestId = randomBytes(16).toString('hex');
    try {
      if (req.method !== 'GET') throw new HttpError(405, 'ERROR', 'Only GET is served here.');
      this.admit(req, url);
      const origin = `http://${req.headers.host ?? 'localhost'}`;
      const body = this.page(path, url.searchParams, origin);
      this.send(res, 200, { ...body, request_id: requestId });
    } catch (err) {
      const e =
        err instanceof HttpError ? err : new HttpError(500, 'ERROR', 'Internal server error.');
      this.send(res, e.status, { status: e.body, request_id: requestId, message: e.message });
    }
    return true;
  }

  private send(res: ServerResponse, status: number, body: object): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(historyBodyText(body));
  }

  /** The key (401) and its rate (429). */
  private admit(req: IncomingMessage, url: URL): void {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    const key = bearer ?? url.searchParams.get('apiKey') ?? '';
    if (key === '') {
      throw new HttpError(401, 'NOT_AUTHORIZED', 'API Key was not provided');
    }
    if (!this.host.authenticate(key)) throw new HttpError(401, 'NOT_AUTHORIZED', 'Unknown API Key');
    const now = Date.now();
    const rate = this.requestsPerSecond;
    const b = this.buckets.get(key) ?? { tokens: Math.max(1, rate), at: now };
    b.tokens = Math.min(Math.max(1, rate), b.tokens + ((now - b.at) * rate) / 1000);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) {
      throw new HttpError(
        429,
        'ERROR',
        `You've exceeded the maximum requests per second (${rate}); please wait and retry.`,
      );
    }
    b.tokens -= 1;
  }

  private page(
    path: string,
    params: URLSearchParams,
    origin: string,
  ): Record<string, unknown> & { results: unknown[] } {
    const given = params.get('cursor');
    const cursor = given !== null ? decodeCursor(given, path) : this.firstCursor(path, params);
    const tape = this.host.tape(cursor.cluster);
    const { start, end, at, desc, limit } = cursor;
    const from = desc ? Math.max(start, at - limit + 1) : at;
    const to = desc ? at + 1 : Math.min(end, at + limit);
    const events = tape.log.slice(cursor.key, from, to);
    if (desc) events.reverse();
    const stream = streamOfKey(cursor.cluster, cursor.key, path);
    const route = historyRoute(stream)!;
    const results = events.map((e) => restRow(route, e));
    const more = desc ? from > start : to < end;
    const next = { ...cursor, at: desc ? from - 1 : to };
    const body: Record<string, unknown> & { results: unknown[] } = { status: 'OK', results };
    if (more) body['next_url'] = `${origin}${path}?cursor=${encodeCursor(next)}`;
    if (route.endpoint !== 'aggs') return body;
    const ticker = decodeURIComponent(AGGS.exec(path)![1]!);
    return {
      ticker,
      adjusted: params.get('adjusted') !== 'false',
      queryCount: results.length,
      resultsCount: results.length,
      ...body,
    };
  }

  private firstCursor(path: string, params: URLSearchParams): Cursor {
    const q = parseQuery(path, params);
    const tape = this.host.tape(q.stream.cluster);
    tape.touch(q.stream.prefix, q.ticker);
    const { start, end } = tape.log.range(q.key, q.from, q.to);
    const at = q.desc ? end - 1 : start;
    return {
      path,
      key: q.key,
      cluster: q.stream.cluster,
      start,
      end,
      at,
      desc: q.desc,
      limit: q.limit,
    };
  }
}

/** The REST row of a tape event: the mapped fields plus what REST has and the stream lacks. */
function restRow(route: HistoryRoute, event: Parameters<HistoryRoute['toRow']>[0]): object {
  const row = route.toRow(event);
  // The simulator has one clock: the participant (exchange) time is the SIP time.
  if (row['sip_timestamp'] !== undefined) row['participant_timestamp'] ??= row['sip_timestamp'];
  return row;
}

function bad(message: string): HttpError {
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

function streamOfKey(cluster: Cluster, key: string, path: string): StreamSpec {
  const prefix = key.slice(0, key.indexOf('.'));
  const s = STREAMS.find((x) => x.cluster === cluster && x.prefix === prefix && historyRoute(x));
  if (!s) throw bad(`The cursor does not belong to ${path}.`);
  return s;
}

function parseQuery(path: string, p: URLSearchParams): Query {
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

function encodeCursor(c: Cursor): string {
  const { key, cluster, start, end, at, desc, limit } = c;
  return Buffer.from(JSON.stringify([key, cluster, start, end, at, desc, limit])).toString(
    'base64url',
  );
}

function decodeCursor(text: string, path: string): Cursor {
  try {
    const [key, cluster, start, end, at, desc, limit] = JSON.parse(
      Buffer.from(text, 'base64url').toString(),
    ) as [string, Cluster, number, number, number, boolean, number];
    const ints = [start, end, at, limit].every((n) => Number.isSafeInteger(n));
    if (typeof key === 'string' && ints && typeof desc === 'boolean') {
      streamOfKey(cluster, key, path);
      return { path, key, cluster, start, end, at, desc, limit };
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
  }
  throw bad('The cursor is not valid.');
}
