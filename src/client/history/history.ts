/**
 * The provider's REST history of one per-symbol topic, as the events its stream delivers: for
 * `client.history(topic, { from, to })` and for filling the gaps a reconnect leaves. Requests go
 * through one RequestGate per client (concurrency and requests/s), with bounded retries of 429
 * (honouring Retry-After), 5xx, network errors and timeouts, all inside one deadline per call.
 * Every answer is bounded and checked: at most `maxPageBytes` read per page, at most `maxPages`
 * pages, a `next_url` that repeats or brings no rows ends the chain, every row checked
 * (row-check.ts) and a bar whose window had not closed when its page was asked for (a forming bar)
 * never delivered as if final. The key travels only in an `Authorization: Bearer` header; URLs
 * are masked before any log line or error. Runtime-neutral: the global `fetch`, AbortSignal and
 * timers, no Node modules.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import { redactUrlText } from '../../redact.js';
import * as v from '../../validate.js';
import type { WireEvent } from '../../protocol/codec.js';
import {
  type HistoryWindow,
  historyPath,
  MAX_PAGE_ROWS,
} from '../../protocol/rest/rest-history.js';
import { eventTime } from '../../protocol/timestamps.js';
import type { Cluster, Feed } from '../../protocol/streams.js';
import { type Logger, redactingLogger } from '../logger.js';
import { feedOfUrl, historyTopic, type HistoryTopic, restBaseUrl } from './history-topic.js';
import { RequestGate, sleep } from './request-gate.js';
import {
  describeNetworkError,
  type Page,
  parsePage,
  parseRetryAfter,
  readBounded,
  serverMessage,
} from './rest-response.js';
import { type RejectedRow, RowCheck } from './row-check.js';

export { feedOfUrl, restBaseUrl, type HistoryTopic } from './history-topic.js';

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

type Settings = Required<Omit<HistoryOptions, 'restUrl'>>;

type Attempt<T> =
  | { ok: true; value: T; at: number }
  | { ok: false; error: PolygonStreamError; retry: boolean; retryAfterMs?: number };

/** REST history for one client: one gate, one key, one base URL. */
export class HistoryFetcher {
  private sent = 0;
  private readonly apiKey: string;
  private readonly cluster: Cluster;
  private readonly feed: Feed;
  private readonly base: URL;
  private readonly settings: Settings;
  private readonly gate: RequestGate;
  private readonly log: Logger;

  /** `client`: the key, the WebSocket URL (its host implies the REST base and feed), the cluster. */
  constructor(
    client: { readonly apiKey: string; readonly url: string; readonly cluster: Cluster },
    options: HistoryOptions = {},
    logger: Logger,
  ) {
    this.apiKey = client.apiKey;
    this.cluster = client.cluster;
    this.feed = feedOfUrl(client.url);
    this.settings = resolveHistoryOptions(options);
    this.base = new URL(
      v.optional(options.restUrl, restBaseUrl(client.url, client.cluster), (x) =>
        v.httpUrl('StreamClient', 'history.restUrl', x),
      ),
    );
    this.gate = new RequestGate(this.settings.concurrency, this.settings.requestsPerSecond);
    this.log = redactingLogger(logger, client.apiKey);
  }

  /** HTTP requests sent so far, retries included. */
  get requests(): number {
    return this.sent;
  }

  /** A per-symbol topic of this client's cluster and feed, or NO_HISTORY saying why not. */
  topic(topic: unknown): HistoryTopic {
    return historyTopic(this.cluster, this.feed, topic);
  }

  /** The events of a topic in the window, oldest first, page by page as they arrive. */
  async *events(
    topic: string | HistoryTopic,
    query: EventsQuery,
  ): AsyncGenerator<WireEvent, void, undefined> {
    const t = typeof topic === 'string' ? this.topic(topic) : topic;
    const window = checkWindow(query);
    const s = this.settings;
    const deadline = query.deadline ?? Date.now() + s.deadlineMs;
    const first = historyPath(t.stream, t.route, t.ticker, window, s.pageLimit);
    let url: URL | undefined = new URL(this.base.pathname.replace(/\/$/, '') + first, this.base);
    const fetched = new Set<string>();
    const check = new RowCheck(t.route, t.ticker, window);
    const bar = t.route.windowMs;
    const closed = query.closedThrough ?? -Infinity;
    while (url) {
      if (fetched.size >= s.maxPages) {
        throw invalid(`${t.topic}: more than history.maxPages (${s.maxPages}) pages`, t.topic);
      }
      fetched.add(url.href);
      const got: { value: Page; at: number } = await this.get(
        url,
        t.topic,
        parsePage,
        query,
        deadline,
      );
      const { value: page, at } = got;
      for (const row of page.results) {
        const event = t.route.convert(row, t.ticker);
        const bad = check.reject(row, event, page.ticker);
        if (bad) {
          if (!query.rejected) throw invalid(`${t.topic}: ${bad.reason}`, t.topic);
          query.rejected(bad);
        } else if (bar > 0 && eventTime(event!) > closed && eventTime(event!) + bar > at) {
          this.log.debug(`history ${t.topic}: left out the forming bar of ${eventTime(event!)}`);
          query.forming?.(event!);
        } else yield event!;
      }
      query.page?.();
      url = page.next === undefined ? undefined : this.resolve(page.next);
      if (url && fetched.has(url.href)) {
        throw invalid(`${t.topic}: the server's next_url repeats ${this.mask(url.href)}`, t.topic);
      }
      if (url && page.results.length === 0) {
        throw invalid(
          `${t.topic}: a page with no rows and a next_url (${this.mask(url.href)}): the chain makes no progress`,
          t.topic,
        );
      }
    }
  }

  /**
   * Every event of `t` in the window, oldest first; more than `maxRows` is HISTORY_FAILED. A bad
   * window or maxRows throws at the call.
   */
  collect(topic: string, query: HistoryQuery): Promise<WireEvent[]> {
    const t = this.topic(topic);
    checkWindow(query);
    const maxRows = v.optional(query?.maxRows, HISTORY_DEFAULTS.maxRows, (x) =>
      v.integer('history', 'maxRows', x, { min: 1 }),
    );
    return this.drain(t, { ...query, deadline: Date.now() + this.settings.deadlineMs }, maxRows);
  }

  private async drain(t: HistoryTopic, query: EventsQuery, maxRows: number): Promise<WireEvent[]> {
    const out: WireEvent[] = [];
    for await (const event of this.events(t, query)) {
      if (out.length >= maxRows) {
        throw failed(
          `${t.topic}: more than maxRows (${maxRows}) events in the window; narrow it or raise maxRows`,
          t.topic,
        );
      }
      out.push(event);
    }
    return out;
  }

  /** A server's next_url, on our own base (so the key never goes elsewhere), without apiKey. */
  private resolve(next: string): URL {
    const given = new URL(next, this.base);
    const url =
      given.origin === this.base.origin
        ? given
        : new URL(given.pathname + given.search, this.base.origin);
    if (url.searchParams.has('apiKey')) url.searchParams.delete('apiKey');
    return url;
  }

  /**
   * @internal The parsed answer to one GET of `path` (and query) on the REST base, through the
   * same gate, retries, bounded read and masking as history pages; for snapshots. A body `parse`
   * cannot read is HISTORY_FAILED; a 404 is HISTORY_FAILED with `details.status` 404.
   */
  async getOnce<T>(
    path: string,
    topic: string,
    parse: (text: string) => T | undefined,
    signal?: AbortSignal,
    deadline = Date.now() + this.settings.deadlineMs,
  ): Promise<T> {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + path, this.base);
    return (await this.get(url, topic, parse, { signal }, deadline)).value;
  }

  private async get<T>(
    url: URL,
    topic: string,
    parse: (text: string) => T | undefined,
    query: Pick<EventsQuery, 'signal' | 'gate'>,
    deadline: number,
  ): Promise<{ value: T; at: number }> {
    const s = this.settings;
    const signal = query.signal;
    for (let attempt = 0; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) throw this.late(topic, deadline);
      query.gate?.('queued');
      await this.gate.acquire(signal);
      query.gate?.('sent');
      let result: Attempt<T>;
      try {
        result = await this.attempt(
          url,
          topic,
          signal,
          Math.min(s.timeoutMs, deadline - Date.now()),
          parse,
        );
      } finally {
        this.gate.release();
      }
      if (result.ok) return result;
      if (!result.retry || attempt >= s.maxRetries) throw result.error;
      const delay = Math.min(
        result.retryAfterMs ?? s.retryDelayMs * 2 ** attempt,
        s.maxRetryDelayMs,
      );
      if (Date.now() + delay >= deadline) {
        throw new PolygonStreamError(
          ErrorCode.HistoryFailed,
          `${result.error.message}; a retry in ${delay} ms would pass the deadline (${this.deadlineText(deadline)})`,
          result.error.details,
        );
      }
      this.log.warn(
        `history ${topic}: ${result.error.message}; retry ${attempt + 1} in ${delay} ms`,
      );
      await sleep(delay, signal);
    }
  }

  private late(topic: string, deadline: number): PolygonStreamError {
    return failed(
      `${topic}: no complete answer by the deadline (${this.deadlineText(deadline)})`,
      topic,
    );
  }

  private deadlineText(deadline: number): string {
    return `${new Date(deadline).toISOString()}; history.deadlineMs is ${this.settings.deadlineMs}`;
  }

  private async attempt<T>(
    url: URL,
    topic: string,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    parse: (text: string) => T | undefined,
  ): Promise<Attempt<T>> {
    const shown = this.mask(url.href);
    const timeout = AbortSignal.timeout(Math.max(1, timeoutMs));
    const at = Date.now();
    this.sent++;
    this.log.debug(`history GET ${shown}`);
    let status: number;
    let text: string | undefined;
    let retryAfter: string | null;
    try {
      const res = await fetch(url, {
        headers: { Authorization: `Bearer ${this.apiKey}`, Accept: 'application/json' },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await readBounded(res, this.settings.maxPageBytes);
    } catch (err) {
      signal?.throwIfAborted();
      const why = timeout.aborted
        ? `timed out after ${Math.max(1, timeoutMs)} ms`
        : `failed: ${this.mask(describeNetworkError(err))}`;
      return { ok: false, retry: true, error: failed(`${topic}: GET ${shown} ${why}`, topic) };
    }
    if (text === undefined) {
      const why = `${topic}: GET ${shown}: the answer is longer than history.maxPageBytes (${this.settings.maxPageBytes}); not read further`;
      return { ok: false, retry: false, error: invalid(why, topic) };
    }
    if (status >= 200 && status < 300) {
      const value = parse(text);
      if (value !== undefined) return { ok: true, value, at };
      const why = `${topic}: GET ${shown}: the body is not the JSON answer this endpoint gives`;
      return { ok: false, retry: false, error: failed(why, topic) };
    }
    // A refusal or failure: its body is read for the server's words (an answer is parsed once, above).
    const server = this.mask(serverMessage(text));
    const details = { topic, status, url: shown, serverMessage: server };
    const said = server ? `: "${server}"` : '';
    if (status === 401 || status === 403) {
      const error = new PolygonStreamError(
        ErrorCode.HistoryUnavailable,
        `${topic}: the REST API refused the key (HTTP ${status}${said}): the plan does not include this history`,
        details,
      );
      return { ok: false, retry: false, error };
    }
    const error = new PolygonStreamError(
      ErrorCode.HistoryFailed,
      `${topic}: GET ${shown} answered HTTP ${status}${said}`,
      details,
    );
    const retry = status === 429 || status >= 500;
    return { ok: false, retry, error, retryAfterMs: parseRetryAfter(retryAfter) };
  }

  /** A URL or server text with every apiKey parameter and the key itself masked. */
  private mask(text: string): string {
    return redactUrlText(text, this.apiKey);
  }
}

function resolveHistoryOptions(o: HistoryOptions): Settings {
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

function checkWindow(w: HistoryWindow): HistoryWindow {
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

function failed(message: string, topic: string): PolygonStreamError {
  return new PolygonStreamError(ErrorCode.HistoryFailed, message, { topic });
}

function invalid(message: string, topic: string): PolygonStreamError {
  return new PolygonStreamError(ErrorCode.HistoryInvalid, message, { topic });
}
