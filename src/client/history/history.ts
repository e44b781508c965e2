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
import { historyPath } from '../../protocol/rest/rest-history.js';
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
import { RowCheck } from './row-check.js';

import {
  checkWindow,
  type EventsQuery,
  HISTORY_DEFAULTS,
  type HistoryOptions,
  type HistoryQuery,
  resolveHistoryOptions,
  type Settings,
} from './history-options.js';

export { feedOfUrl, restBaseUrl, type HistoryTopic } from './history-topic.js';
export {
  type EventsQuery,
  HISTORY_DEFAULTS,
  type HistoryOptions,
  type HistoryQuery,
} from './history-options.js';

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
    let window = checkWindow(query);
    const s = this.settings;
    const deadline = query.deadline ?? Date.now() + s.deadlineMs;
    let check = new RowCheck(t.route, t.ticker, window);
    const bar = t.route.windowMs;
    let closed = query.closedThrough ?? -Infinity;
    const firstUrl = (): URL => {
      const late = query.lateWindow?.();
      if (late) {
        window = checkWindow(late);
        check = new RowCheck(t.route, t.ticker, window);
        closed = late.closedThrough ?? -Infinity;
      }
      const first = historyPath(t.stream, t.route, t.ticker, window, s.pageLimit);
      return new URL(this.base.pathname.replace(/\/$/, '') + first, this.base);
    };
    let url: URL | (() => URL) | undefined = query.lateWindow ? firstUrl : firstUrl();
    const fetched = new Set<string>();
    while (url) {
      if (fetched.size >= s.maxPages) {
        throw invalid(`${t.topic}: more than history.maxPages (${s.maxPages}) pages`, t.topic);
      }
      const got: { value: Page; at: number; url: URL } = await this.get(
        url,
        t.topic,
        parsePage,
        query,
        deadline,
      );
      fetched.add(got.url.href);
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

  /** One GET through the gate, with retries; `url` a function: made when it first leaves the gate. */
  private async get<T>(
    url: URL | (() => URL),
    topic: string,
    parse: (text: string) => T | undefined,
    query: Pick<EventsQuery, 'signal' | 'gate'>,
    deadline: number,
  ): Promise<{ value: T; at: number; url: URL }> {
    const s = this.settings;
    const signal = query.signal;
    let target = typeof url === 'function' ? undefined : url;
    for (let attempt = 0; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) throw this.late(topic, deadline);
      query.gate?.('queued');
      await this.gate.acquire(signal);
      query.gate?.('sent');
      let result: Attempt<T>;
      try {
        target ??= (url as () => URL)();
        result = await this.attempt(
          target,
          topic,
          signal,
          Math.min(s.timeoutMs, deadline - Date.now()),
          parse,
        );
      } finally {
        this.gate.release();
      }
      if (result.ok) return { value: result.value, at: result.at, url: target };
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

function failed(message: string, topic: string): PolygonStreamError {
  return new PolygonStreamError(ErrorCode.HistoryFailed, message, { topic });
}

function invalid(message: string, topic: string): PolygonStreamError {
  return new PolygonStreamError(ErrorCode.HistoryInvalid, message, { topic });
}
