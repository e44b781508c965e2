/**
 * REST faults: what the provider's history endpoints do on a bad day, injected on request. A
 * RestFault names the requests it applies to (an endpoint, a ticker, a number of times) and one
 * misbehaviour: an error status (429 with `Retry-After`, 5xx …), a body trickled out slowly, a
 * connection reset, an endless chain of empty pages, or a page with bad rows. The simulator keeps
 * a live list (`sim.faults.rest`): the first fault that matches a request is applied (after auth,
 * before the rate limit); one whose `times` are used up leaves the list. This file checks faults,
 * picks the one for a request and shapes what it changes; rest-history.ts answers.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { clusterOfTicker } from '../../protocol/streams.js';
import { canonicalSymbol } from '../../protocol/symbols.js';
import { duration, integer, invalidOption, oneOf, plainObject, string } from '../../validate.js';
import type { HistoryTarget } from './rest-query.js';

/** One injected misbehaviour of the REST history (see the file comment). */
export interface RestFault {
  /** Only requests to this endpoint; default: every history endpoint. */
  endpoint?: 'trades' | 'quotes' | 'aggs';
  /** Only requests for this ticker, as REST paths spell it (`AAPL`, `X:BTC-USD`); default: any. */
  ticker?: string;
  /** Applies to this many matching requests, then leaves the list; default: for ever. */
  times?: number;
  // Exactly one of the following:
  /** Answer this HTTP status (400–599) with a provider-style error body. */
  status?: number;
  /** With `status`: a `Retry-After` header of this many seconds. */
  retryAfter?: number;
  /** Answer normally, but send the body in small pieces spread over this many ms. */
  slowBodyMs?: number;
  /** Destroy the socket without any answer (a TCP reset). */
  reset?: true;
  /** Answer 200 with `results: []` and a `next_url` to another empty page, for ever. */
  emptyPages?: true;
  /**
   * Serve the real page with bad rows: `order` reversed; `ticker` each row with a `T` naming
   * another ticker (and the aggregates body's `ticker` too); `types` a numeric field of each row
   * as the string "abc" (`price` of trades, `bid_price` of quotes, `o` and `c` of bars).
   */
  corrupt?: 'order' | 'ticker' | 'types';
}

const ENDPOINTS = ['trades', 'quotes', 'aggs'] as const;
const CORRUPTIONS = ['order', 'ticker', 'types'] as const;
const KINDS = ['status', 'slowBodyMs', 'reset', 'emptyPages', 'corrupt'] as const;
const FIELDS: readonly string[] = ['endpoint', 'ticker', 'times', ...KINDS, 'retryAfter'];

/** Every fault of an option's array, checked (see `checkRestFault`). */
export function checkRestFaults(where: string, option: string, value: unknown): RestFault[] {
  if (!Array.isArray(value)) throw invalidOption(where, option, 'an array of RestFault', value);
  return value.map((f, i) => checkRestFault(where, `${option}[${i}]`, f));
}

/** A fault as the RestFault type describes it; INVALID_OPTION naming the field otherwise. */
export function checkRestFault(where: string, option: string, value: unknown): RestFault {
  if (value === undefined) throw invalidOption(where, option, 'a RestFault object', value);
  const f = plainObject<Record<string, unknown>>(where, option, value);
  for (const field of Object.keys(f)) {
    if (!FIELDS.includes(field)) {
      const allowed = `left out: a RestFault's fields are ${FIELDS.join(', ')}`;
      throw invalidOption(where, `${option}.${field}`, allowed, f[field]);
    }
  }
  const kinds = KINDS.filter((k) => f[k] !== undefined);
  if (kinds.length !== 1) {
    throw invalidOption(where, option, `a RestFault with exactly one of ${KINDS.join(', ')}`, f);
  }
  if (f['endpoint'] !== undefined) oneOf(where, `${option}.endpoint`, f['endpoint'], ENDPOINTS);
  if (f['ticker'] !== undefined && string(where, `${option}.ticker`, f['ticker']).trim() === '') {
    throw invalidOption(where, `${option}.ticker`, 'a ticker such as AAPL or X:BTC-USD', '');
  }
  if (f['times'] !== undefined) integer(where, `${option}.times`, f['times'], { min: 1 });
  if (f['status'] !== undefined) {
    integer(where, `${option}.status`, f['status'], { min: 400, max: 599 });
  }
  if (f['retryAfter'] !== undefined) {
    if (f['status'] === undefined) {
      const allowed = 'left out without status (Retry-After goes with a status answer)';
      throw invalidOption(where, `${option}.retryAfter`, allowed, f['retryAfter']);
    }
    integer(where, `${option}.retryAfter`, f['retryAfter'], { max: 86_400 });
  }
  if (f['slowBodyMs'] !== undefined) {
    duration(where, `${option}.slowBodyMs`, f['slowBodyMs'], { min: 1 });
  }
  for (const flag of ['reset', 'emptyPages'] as const) {
    if (f[flag] !== undefined && f[flag] !== true) {
      throw invalidOption(where, `${option}.${flag}`, 'true (or left out)', f[flag]);
    }
  }
  if (f['corrupt'] !== undefined) oneOf(where, `${option}.corrupt`, f['corrupt'], CORRUPTIONS);
  return f as RestFault;
}

/** Whether two REST tickers name the same symbol (`X:BTC-USD` and `x:btcusd` do). */
function sameTicker(a: string, b: string): boolean {
  const cluster = clusterOfTicker(a.toUpperCase());
  return (
    cluster === clusterOfTicker(b.toUpperCase()) &&
    canonicalSymbol(cluster, a) === canonicalSymbol(cluster, b)
  );
}

/** Picks the fault for each request from the live list, counting the uses of faults with `times`. */
export class RestFaultPicker {
  private readonly uses = new WeakMap<RestFault, number>();

  /** `where` and `option` name the live list in the message of a fault found invalid. */
  constructor(
    private readonly where: string,
    private readonly option: string,
  ) {}

  /**
   * The first fault of `list` that applies to a request for `target`, its use counted (a fault
   * whose `times` are used up is removed from `list`); undefined when none does. The list is the
   * caller's, changed at any time, so each fault looked at is checked first.
   */
  take(list: unknown, target: HistoryTarget): RestFault | undefined {
    if (!Array.isArray(list)) {
      throw invalidOption(this.where, this.option, 'an array of RestFault', list);
    }
    for (let i = 0; i < list.length; i++) {
      const f = checkRestFault(this.where, `${this.option}[${i}]`, list[i]);
      if (f.endpoint !== undefined && f.endpoint !== target.endpoint) continue;
      if (f.ticker !== undefined && !sameTicker(f.ticker, target.ticker)) continue;
      if (f.times !== undefined) {
        const used = (this.uses.get(f) ?? 0) + 1;
        if (used < f.times) {
          this.uses.set(f, used);
        } else {
          this.uses.delete(f);
          list.splice(i, 1);
        }
      }
      return f;
    }
    return undefined;
  }
}

/**
 * The error body of a status fault: the provider's `status` word and message where they are
 * known (429, 401/403, 404), the status's standard reason phrase otherwise.
 */
export function statusAnswer(status: number): { word: string; message: string } {
  if (status === 429) {
    return {
      word: 'ERROR',
      message:
        "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue. https://polygon.io/pricing",
    };
  }
  if (status === 401 || status === 403) {
    return {
      word: 'NOT_AUTHORIZED',
      message:
        'You are not entitled to this data. Please upgrade your plan at https://polygon.io/pricing',
    };
  }
  if (status === 404)
    return { word: 'NOT_FOUND', message: 'The requested resource was not found.' };
  return { word: 'ERROR', message: `${STATUS_CODES[status] ?? 'Error'} (HTTP ${status}).` };
}

/** Cursors of an empty-page chain: `empty-1`, `empty-2` … (real cursors are base64url JSON). */
const EMPTY_CURSOR = /^empty-(\d{1,15})$/;

/** The page number of an empty-page chain's cursor, or undefined for any other cursor. */
export function emptyChainPage(cursor: string | null): number | undefined {
  const m = cursor === null ? null : EMPTY_CURSOR.exec(cursor);
  return m ? Number(m[1]) : undefined;
}

/**
 * Page `n` of an empty-page chain: 200, no rows, a `next_url` to page `n + 1` (the aggregates
 * endpoint's body with its ticker and zero counts).
 */
export function emptyPage(
  target: HistoryTarget,
  url: { origin: string; path: string; adjusted: boolean },
  n: number,
): Record<string, unknown> {
  const page = {
    status: 'OK',
    results: [],
    next_url: `${url.origin}${url.path}?cursor=empty-${n + 1}`,
  };
  if (target.endpoint !== 'aggs') return page;
  const head = { ticker: target.ticker, adjusted: url.adjusted, queryCount: 0, resultsCount: 0 };
  return { ...head, ...page };
}

/** The row fields `corrupt: 'types'` turns into strings, by endpoint. */
const NUMERIC_FIELDS: Record<HistoryTarget['endpoint'], readonly string[]> = {
  trades: ['price'],
  quotes: ['bid_price'],
  aggs: ['o', 'c'],
};

/**
 * Spoil a page in place (see RestFault.corrupt). `other` is the ticker `corrupt: 'ticker'` names
 * instead of the asked one.
 */
export function corruptPage(
  body: { results: unknown[]; [field: string]: unknown },
  kind: NonNullable<RestFault['corrupt']>,
  endpoint: HistoryTarget['endpoint'],
  other: string,
): void {
  const rows = body.results as Record<string, unknown>[];
  if (kind === 'order') {
    rows.reverse();
  } else if (kind === 'ticker') {
    for (const row of rows) row['T'] = other;
    if (body['ticker'] !== undefined) body['ticker'] = other;
  } else {
    for (const row of rows) for (const field of NUMERIC_FIELDS[endpoint]) row[field] = 'abc';
  }
}

/**
 * A listed ticker other than the asked one, spelt as the endpoint's paths spell it (pairs without
 * the dash on aggregates), for `corrupt: 'ticker'`. `listed` are the cluster's tickers.
 */
export function anotherTicker(target: HistoryTarget, listed: readonly string[]): string {
  const cluster = clusterOfTicker(target.ticker.toUpperCase());
  const own = canonicalSymbol(cluster, target.ticker);
  const other = listed.find((t) => canonicalSymbol(cluster, t) !== own) ?? `${own}X`;
  return target.endpoint === 'aggs' ? canonicalSymbol(cluster, other) : other;
}

/** About this many ms between the pieces of a slow body. */
const SLOW_PIECE_MS = 50;

/**
 * Write `text` as the body of `res` (its head already written) in small pieces, the first at
 * once and the last `ms` after it, then end it. Stops if the response closes first.
 */
export function writeSlowly(res: ServerResponse, text: string, ms: number): void {
  const pieces = Math.max(1, Math.min(text.length, Math.floor(ms / SLOW_PIECE_MS) + 1));
  const started = Date.now();
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  const step = (): void => {
    while (!res.destroyed) {
      const due = pieces === 1 ? ms : (next * ms) / (pieces - 1);
      const wait = started + due - Date.now();
      if (wait > 0) {
        timer = setTimeout(step, Math.ceil(wait));
        return;
      }
      const piece = text.slice(
        Math.floor((next * text.length) / pieces),
        Math.floor(((next + 1) * text.length) / pieces),
      );
      next++;
      if (next === pieces) {
        res.end(piece);
        return;
      }
      res.write(piece);
    }
  };
  res.on('close', () => clearTimeout(timer));
  step();
}
