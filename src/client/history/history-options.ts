/**
 * The options of a client's REST history (`history` in the client's options) and of one history
 * query: their types, defaults and checks, before any request is made.
 */
import * as v from '../../validate.js';
import { type HistoryWindow, MAX_PAGE_ROWS } from '../../protocol/rest/rest-history.js';
import type { WireEvent } from '../../protocol/codec.js';
import type { RejectedRow } from './row-check.js';

export interface HistoryOptions {
  /** REST base URL (default: from the WebSocket host; socket.polygon.io → https://api.polygon.io). */
  restUrl?: string;
  /** Requests in flight at once, across every history call of the client (default 4). */
  concurrency?: number;
  /** Requests started per second, across every history call of the client (default 10). */
  requestsPerSecond?: number;
  /** Retries of a 429, 5xx, network error or timeout before HISTORY_FAILED (default 3). */
  maxRetries?: number;
  /** First retry delay, ms, doubled on each retry (default 500); a 429's Retry-After wins. */
  retryDelayMs?: number;
  /** Longest wait between retries, Retry-After included, ms (default 30 000). */
  maxRetryDelayMs?: number;
  /** Per-request timeout, ms, body included (default 10 000). */
  timeoutMs?: number;
  /** Rows per page asked for (default and maximum 50 000). */
  pageLimit?: number;
  /** A page's body longer than this many bytes is not read further: HISTORY_INVALID (default 64 MiB). */
  maxPageBytes?: number;
  /** More pages than this in one call is HISTORY_INVALID (default 1 000). */
  maxPages?: number;
  /**
   * One `history()` call, every page and retry included, takes at most this long, ms: then
   * HISTORY_FAILED (default 20 000). A Retry-After that would pass it fails at once.
   */
  deadlineMs?: number;
}

export interface HistoryQuery extends HistoryWindow {
  /** More events than this in the window is HISTORY_FAILED (default 100 000; `collect` only). */
  maxRows?: number;
  signal?: AbortSignal;
}

/** What gap-fill asks of `events`, beyond a history query. */
export interface EventsQuery extends HistoryQuery {
  /**
   * Give up at this time (Unix ms) with HISTORY_FAILED; default: now + `deadlineMs`. `Infinity`:
   * never (the caller bounds the call itself and aborts it through `signal`).
   */
  deadline?: number;
  /** Each row that failed its checks; without it the first such row is HISTORY_INVALID. */
  rejected?: (row: RejectedRow) => void;
  /** Each bar left out because its window had not closed when its page was asked for. */
  forming?: (event: WireEvent) => void;
  /** Bars starting at or before this time are known closed (the stream delivered a later one). */
  closedThrough?: number;
  /** Called once each page's rows were yielded, before the next page is asked for. */
  page?: () => void;
  /**
   * Each request of the call (retries included) waits for its turn in the client's request gate
   * (`'queued'`), then leaves it and goes on the wire (`'sent'`).
   */
  gate?: (phase: 'queued' | 'sent') => void;
  /**
   * The window (and `closedThrough`) to ask for, read when the first request leaves the gate;
   * without it, `from`/`to` as given. A query that waited its turn then asks up to the present of
   * when it goes out, not of when it was queued.
   */
  lateWindow?: () => HistoryWindow & { closedThrough?: number };
}

export const HISTORY_DEFAULTS = {
  concurrency: 4,
  requestsPerSecond: 10,
  maxRetries: 3,
  retryDelayMs: 500,
  maxRetryDelayMs: 30_000,
  timeoutMs: 10_000,
  pageLimit: MAX_PAGE_ROWS,
  maxRows: 100_000,
  maxPageBytes: 64 * 1024 * 1024,
  maxPages: 1_000,
  deadlineMs: 20_000,
} as const;

export type Settings = Required<Omit<HistoryOptions, 'restUrl'>>;

export function resolveHistoryOptions(o: HistoryOptions): Settings {
  const d = HISTORY_DEFAULTS;
  const where = 'StreamClient';
  const int = (
    name: 'pageLimit' | 'concurrency' | 'maxRetries' | 'maxPages',
    min: number,
    max: number,
  ) => v.optional(o[name], d[name], (x) => v.integer(where, `history.${name}`, x, { min, max }));
  const ms = (name: 'retryDelayMs' | 'maxRetryDelayMs' | 'timeoutMs' | 'deadlineMs', min: number) =>
    v.optional(o[name], d[name], (x) => v.duration(where, `history.${name}`, x, { min }));
  return {
    concurrency: int('concurrency', 1, 1_000),
    requestsPerSecond: v.optional(o.requestsPerSecond, d.requestsPerSecond, (x) =>
      v.number(where, 'history.requestsPerSecond', x, { min: 0.001, max: 1_000_000 }),
    ),
    maxRetries: int('maxRetries', 0, 100),
    retryDelayMs: ms('retryDelayMs', 0),
    maxRetryDelayMs: ms('maxRetryDelayMs', 0),
    timeoutMs: ms('timeoutMs', 1),
    pageLimit: int('pageLimit', 1, MAX_PAGE_ROWS),
    maxPageBytes: v.optional(o.maxPageBytes, d.maxPageBytes, (x) =>
      v.integer(where, 'history.maxPageBytes', x, { min: 1_024 }),
    ),
    maxPages: int('maxPages', 1, 1_000_000),
    deadlineMs: ms('deadlineMs', 1),
  };
}

export function checkWindow(w: HistoryWindow): HistoryWindow {
  const ok = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (typeof w !== 'object' || w === null || !ok(w.from) || !ok(w.to) || w.from >= w.to) {
    throw v.invalidOption(
      'history',
      '{ from, to }',
      'Unix ms integers with from < to (from inclusive, to exclusive)',
      w,
    );
  }
  return { from: w.from, to: w.to };
}
