/**
 * The simulator's futures REST history (FUTURES-AND-HOSTS.md §2): `GET /futures/v1/trades/{ticker}`,
 * `/futures/v1/quotes/{ticker}` and `/futures/v1/aggs/{ticker}`, served from the one `futures`
 * tape, so a page holds exactly what the stream sent. Parameters: `timestamp` and
 * `timestamp.gte/gt/lte/lt` (ns, `YYYY-MM-DD` or RFC 3339) for trades and quotes; for aggs
 * `resolution=1sec|1min` (the provider's default `1session` answers 400: the simulator builds no
 * sessions) and `window_start` / `window_start.gte/gt/lte/lt` (same forms, on the bar's start);
 * `sort` (`timestamp.asc|desc`, `window_start.asc|desc`, or just `asc|desc`; default desc, as the
 * provider's); `limit` (trades 10, quotes 100, aggs 1000 by default; at most 49 999 / 50 000);
 * `next_url` with a `cursor` while more rows remain. Timestamps are ns integers in the body
 * (written exactly: see futuresBodyText). Rows carry what the stream has, plus the provider's
 * extra fields with simulated values: `sequence_number` = the trade's `q`, `report_sequence`
 * and `channel` fixed, `session_end_date` the UTC date of the event, `settlement_price` absent
 * (sessions are not built). An unknown ticker answers 200 with no rows.
 */
import type { WireEvent } from '../../protocol/codec.js';
import { canonicalSymbol } from '../../protocol/symbols.js';
import type { ClusterTape } from '../tape.js';
import { bad, type HistoryTarget } from './rest-query.js';

const PATH = /^\/futures\/v1\/(trades|quotes|aggs)\/([^/]+)$/;
const DAY = 86_400_000;
const LIMITS = { trades: [10, 49_999], quotes: [100, 49_999], aggs: [1000, 50_000] } as const;
const NS_FIELDS = /"(timestamp|bid_timestamp|ask_timestamp|window_start)":"(\d+)"/g;

/** The endpoint and ticker of a futures history path; undefined for other paths. */
export function futuresTarget(path: string): HistoryTarget | undefined {
  const m = PATH.exec(path);
  if (!m) return undefined;
  let ticker = m[2]!;
  try {
    ticker = decodeURIComponent(ticker);
  } catch {
    // kept as given
  }
  return { endpoint: m[1] as HistoryTarget['endpoint'], ticker };
}

/** A body as text, the ns digit strings of the futures rows written as the numbers they are. */
export function futuresBodyText(text: string): string {
  return text.replace(NS_FIELDS, '"$1":$2');
}

interface FuturesCursor {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly at: number;
  readonly desc: boolean;
  readonly limit: number;
}

/** A page of a futures history request (first page from the parameters, or from `cursor`). */
export function futuresPage(
  tape: ClusterTape,
  known: (ticker: string) => boolean,
  target: HistoryTarget,
  url: { origin: string; path: string; params: URLSearchParams },
  horizon: number | undefined,
): { status: string; results: object[]; next_url?: string } {
  const given = url.params.get('cursor');
  const c =
    given !== null ? decodeCursor(given) : firstCursor(tape, known, target, url.params, horizon);
  const from = c.desc ? Math.max(c.start, c.at - c.limit + 1) : c.at;
  const to = c.desc ? c.at + 1 : Math.min(c.end, c.at + c.limit);
  const events = c.end > c.start ? tape.log.slice(c.key, from, to) : [];
  if (c.desc) events.reverse();
  const results = events.map((e) => row(target.endpoint, target.ticker, e));
  const body: { status: string; results: object[]; next_url?: string } = { status: 'OK', results };
  const more = c.desc ? from > c.start : to < c.end;
  if (more) {
    const next = encodeCursor({ ...c, at: c.desc ? from - 1 : to });
    body.next_url = `${url.origin}${url.path}?cursor=${next}`;
  }
  return body;
}

function firstCursor(
  tape: ClusterTape,
  known: (ticker: string) => boolean,
  target: HistoryTarget,
  p: URLSearchParams,
  horizon: number | undefined,
): FuturesCursor {
  const aggs = target.endpoint === 'aggs';
  let prefix = target.endpoint === 'trades' ? 'T' : 'Q';
  if (aggs) {
    const resolution = p.get('resolution') ?? '1session';
    if (resolution === '1sec') prefix = 'A';
    else if (resolution === '1min') prefix = 'AM';
    else throw bad(`resolution ${resolution} is unsupported by the simulator (1sec or 1min)`);
  }
  const field = aggs ? 'window_start' : 'timestamp';
  const sort = p.get('sort') ?? 'desc';
  const dir = sort.startsWith(`${field}.`) ? sort.slice(field.length + 1) : sort;
  if (dir !== 'asc' && dir !== 'desc') throw bad(`sort must be ${field}.asc or ${field}.desc`);
  const [fallback, max] = LIMITS[target.endpoint];
  const limitText = p.get('limit');
  const limit = limitText === null ? fallback : Number(limitText);
  if (!/^\d+$/.test(limitText ?? '1') || limit < 1 || limit > max) {
    throw bad(`limit must be an integer from 1 to ${max}, not ${limitText}`);
  }
  const key = `${prefix}.${canonicalSymbol('futures', target.ticker)}`;
  const { from, to } = windowOf(p, field);
  if (!known(target.ticker)) return { key, start: 0, end: 0, at: 0, desc: dir === 'desc', limit };
  tape.touch(prefix, target.ticker);
  const range = tape.log.range(key, from, to);
  const end =
    horizon === undefined
      ? range.end
      : Math.max(range.start, Math.min(range.end, tape.log.visibleEnd(key, horizon)));
  const desc = dir === 'desc';
  return { key, start: range.start, end, at: desc ? end - 1 : range.start, desc, limit };
}

/** The ms window [from, to) of `field`, `field.gte/gt/lte/lt` (ns, date or RFC 3339). */
function windowOf(p: URLSearchParams, field: string): { from: number; to: number } {
  const exact = p.get(field);
  if (exact !== null) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(exact)) {
      const day = msOf(exact, field);
      return { from: day, to: day + DAY };
    }
    const ms = msOf(exact, field);
    return { from: ms, to: ms + 1 };
  }
  let from = 0;
  let to = Number.MAX_SAFE_INTEGER;
  const get = (op: string) => {
    const text = p.get(`${field}.${op}`);
    return text === null ? undefined : msOf(text, `${field}.${op}`);
  };
  const [gte, gt, lte, lt] = [get('gte'), get('gt'), get('lte'), get('lt')];
  if (gte !== undefined) from = Math.max(from, gte);
  if (gt !== undefined) from = Math.max(from, gt + 1);
  if (lte !== undefined) to = Math.min(to, lte + 1);
  if (lt !== undefined) to = Math.min(to, lt);
  return { from, to: Math.max(from, to) };
}

/** A bound as ms: ns digits (floored to the ms), `YYYY-MM-DD` (its start) or RFC 3339. */
function msOf(text: string, name: string): number {
  if (/^\d+$/.test(text)) return Number(BigInt(text) / 1_000_000n);
  const ms = /^\d{4}-\d{2}-\d{2}(T.+)?$/.test(text)
    ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text)
    : NaN;
  if (Number.isNaN(ms)) throw bad(`${name} must be a nanosecond timestamp, YYYY-MM-DD or RFC 3339`);
  return ms;
}

const ns = (ms: unknown): string | undefined =>
  typeof ms === 'number' ? (BigInt(ms) * 1_000_000n).toString() : undefined;

/** The provider's session day of an event: its UTC date (sessions are not simulated). */
const sessionDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The REST row of a futures event (FUTURES-AND-HOSTS.md §2). */
function row(endpoint: HistoryTarget['endpoint'], ticker: string, e: WireEvent): object {
  if (endpoint === 'aggs') {
    const { o, h, l, c, v, dv, n, s } = e as Record<string, number>;
    return {
      ticker,
      window_start: ns(s),
      open: o,
      high: h,
      low: l,
      close: c,
      volume: v,
      dollar_volume: dv,
      transactions: n,
      session_end_date: sessionDate(s!),
    };
  }
  const t = e['t'] as number;
  const common = { report_sequence: 1, channel: 1, session_end_date: sessionDate(t) };
  if (endpoint === 'trades') {
    return {
      ticker,
      timestamp: ns(t),
      price: e['p'],
      size: e['s'],
      sequence_number: e['q'],
      ...common,
    };
  }
  return {
    ticker,
    timestamp: ns(t),
    bid_price: e['bp'],
    bid_size: e['bs'],
    bid_timestamp: ns(e['bt']),
    ask_price: e['ap'],
    ask_size: e['as'],
    ask_timestamp: ns(e['at']),
    ...common,
  };
}

function encodeCursor(c: FuturesCursor): string {
  return Buffer.from(JSON.stringify([c.key, c.start, c.end, c.at, c.desc, c.limit])).toString(
    'base64url',
  );
}

function decodeCursor(text: string): FuturesCursor {
  try {
    const [key, start, end, at, desc, limit] = JSON.parse(
      Buffer.from(text, 'base64url').toString(),
    ) as [string, number, number, number, boolean, number];
    if (typeof key === 'string' && [start, end, at, limit].every(Number.isSafeInteger)) {
      return { key, start, end, at, desc: desc === true, limit };
    }
  } catch {
    // below
  }
  throw bad('The cursor is not valid.');
}
