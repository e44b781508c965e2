/**
 * The provider's REST history of one per-symbol topic, as the events its stream delivers: for
 * `client.history(topic, { from, to })` and for filling the gaps a reconnect leaves. Requests go
 * through one RequestGate per client (concurrency and requests/s), with bounded retries of 429
 * (honouring Retry-After), 5xx, network errors and timeouts. The key travels only in an
 * `Authorization: Bearer` header; URLs are masked before any log line or error. Runtime-neutral:
 * the global `fetch`, AbortSignal and timers, no Node modules.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import { redactUrlText } from '../../redact.js';
import * as v from '../../validate.js';
import type { WireEvent } from '../../protocol/codec.js';
import {
  type HistoryRoute,
  type HistoryWindow,
  historyPath,
  historyRoute,
  inWindow,
  MAX_PAGE_ROWS,
  restTicker,
  whyNoHistory,
} from '../../protocol/rest-history.js';
import { type Cluster, type Feed, Host, STREAMS, type StreamSpec } from '../../protocol/streams.js';
import { splitTopic } from '../../protocol/symbols.js';
import { checkTopics } from '../../protocol/topics.js';
import { type Logger, redactingLogger } from '../logger.js';
import { RequestGate, sleep } from './request-gate.js';
import {
  describeNetworkError,
  type Page,
  parsePage,
  parseRetryAfter,
  serverMessage,
} from './rest-response.js';

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
}

export interface HistoryQuery extends HistoryWindow {
  /** More events than this in the window is HISTORY_FAILED (default 100 000; `collect` only). */
  maxRows?: number;
  signal?: AbortSignal;
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
} as const;

type Settings = Required<Omit<HistoryOptions, 'restUrl'>>;

/** The REST base a WebSocket URL implies: the provider's API for its hosts, else same host:port. */
export function restBaseUrl(wsUrl: string): string {
  const u = new URL(wsUrl);
  const host = u.hostname.toLowerCase();
  if ((Object.values(Host) as string[]).includes(host)) {
    return host.endsWith('.massive.com') ? 'https://api.massive.com' : 'https://api.polygon.io';
  }
  const scheme = u.protocol === 'ws:' ? 'http:' : 'https:';
  return `${scheme}//${u.host}${u.pathname.replace(/\/[^/]*$/, '')}`;
}

/** The feed a WebSocket URL serves: business and launchpad hosts theirs, any other the market. */
export function feedOfUrl(wsUrl: string): Feed {
  const host = new URL(wsUrl).hostname.toLowerCase();
  if (host === Host.Business || host === Host.MassiveBusiness) return 'business';
  if (host === Host.Launchpad || host === Host.MassiveLaunchpad) return 'launchpad';
  return 'market';
}

/** A topic whose history can be asked for: its stream, route and REST ticker. */
export interface HistoryTopic {
  readonly topic: string;
  readonly stream: StreamSpec;
  readonly route: HistoryRoute;
  readonly ticker: string;
}

/** Resolve a per-symbol topic on a cluster and feed, or say why it has no history. */
function historyTopic(cluster: Cluster, feed: Feed, topic: unknown): HistoryTopic {
  const topics = checkTopics(topic, 'history');
  const parts = topics.length === 1 ? splitTopic(topics[0]!) : undefined;
  if (!parts) {
    throw new PolygonStreamError(
      ErrorCode.InvalidSymbols,
      `history: takes one 'PREFIX.SYMBOL' topic (e.g. 'T.AAPL'); got ${JSON.stringify(topic)}`,
      { topic },
    );
  }
  const on = STREAMS.filter((s) => s.cluster === cluster && s.prefix === parts.prefix);
  const stream = on.find((s) => s.feed === feed) ?? on[0];
  if (!stream) {
    throw new PolygonStreamError(
      ErrorCode.StreamNotOnCluster,
      `history: no stream has the prefix ${parts.prefix} on the ${cluster} cluster`,
      { topic, cluster },
    );
  }
  const route = historyRoute(stream);
  if (parts.symbol === '*' || !route) {
    const why =
      parts.symbol === '*'
        ? 'a wildcard topic has no history: the provider has none for all tickers at once; ask per symbol'
        : `${stream.title} has no history: ${whyNoHistory(stream)}`;
    throw new PolygonStreamError(ErrorCode.NoHistory, `history(${topics[0]}): ${why}`, {
      topic,
      stream: stream.schemaPath,
    });
  }
  return { topic: topics[0]!, stream, route, ticker: restTicker(stream, parts.symbol) };
}

type Attempt =
  | { ok: true; page: Page }
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
      v.optional(options.restUrl, restBaseUrl(client.url), (x) =>
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
    query: HistoryQuery,
  ): AsyncGenerator<WireEvent, void, undefined> {
    const t = typeof topic === 'string' ? this.topic(topic) : topic;
    const window = checkWindow(query);
    const first = historyPath(t.stream, t.route, t.ticker, window, this.settings.pageLimit);
    let url: URL | undefined = new URL(this.base.pathname.replace(/\/$/, '') + first, this.base);
    const fetched = new Set<string>();
    while (url) {
      fetched.add(url.href);
      const page = await this.page(url, t.topic, query.signal);
      let dropped = 0;
      for (const row of page.results) {
        const event = t.route.convert(row, t.ticker);
        if (event && inWindow(event, window)) yield event;
        else dropped++;
      }
      if (dropped > 0)
        this.log.debug(`history ${t.topic}: ${dropped} rows outside the window or untimed`);
      url = page.next === undefined ? undefined : this.resolve(page.next);
      if (url && fetched.has(url.href)) {
        throw failed(`${t.topic}: the server's next_url repeats ${this.mask(url.href)}`, t.topic);
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
    return this.drain(t, query, maxRows);
  }

  private async drain(t: HistoryTopic, query: HistoryQuery, maxRows: number): Promise<WireEvent[]> {
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

  private async page(url: URL, topic: string, signal: AbortSignal | undefined): Promise<Page> {
    const s = this.settings;
    for (let attempt = 0; ; attempt++) {
      await this.gate.acquire(signal);
      let result: Attempt;
      try {
        result = await this.attempt(url, topic, signal);
      } finally {
        this.gate.release();
      }
      if (result.ok) return result.page;
      if (!result.retry || attempt >= s.maxRetries) throw result.error;
      const delay = Math.min(
        result.retryAfterMs ?? s.retryDelayMs * 2 ** attempt,
        s.maxRetryDelayMs,
      );
      this.log.warn(
        `history ${topic}: ${result.error.message}; retry ${attempt + 1} in ${delay} ms`,
      );
      await sleep(delay, signal);
    }
  }

  private async attempt(url: URL, topic: string, signal?: AbortSignal): Promise<Attempt> {
    const shown = this.mask(url.href);
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    this.sent++;
    this.log.debug(`history GET ${shown}`);
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await fetch(url, {
        headers: { Authorization: `Bearer ${this.apiKey}`, Accept: 'application/json' },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (err) {
      signal?.throwIfAborted();
      const why = timeout.aborted
        ? `timed out after ${this.settings.timeoutMs} ms`
        : `failed: ${this.mask(describeNetworkError(err))}`;
      return { ok: false, retry: true, error: failed(`${topic}: GET ${shown} ${why}`, topic) };
    }
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
    if (status < 200 || status >= 300) {
      const error = new PolygonStreamError(
        ErrorCode.HistoryFailed,
        `${topic}: GET ${shown} answered HTTP ${status}${said}`,
        details,
      );
      const retry = status === 429 || status >= 500;
      return { ok: false, retry, error, retryAfterMs: parseRetryAfter(retryAfter) };
    }
    const page = parsePage(text);
    if (!page) {
      return {
        ok: false,
        retry: false,
        error: failed(`${topic}: GET ${shown}: not a history page`, topic),
      };
    }
    return { ok: true, page };
  }

  /** A URL or server text with every apiKey parameter and the key itself masked. */
  private mask(text: string): string {
    return redactUrlText(text, this.apiKey);
  }
}

function resolveHistoryOptions(o: HistoryOptions): Settings {
  const d = HISTORY_DEFAULTS;
  const where = 'StreamClient';
  const int = (name: 'pageLimit' | 'concurrency' | 'maxRetries', min: number, max: number) =>
    v.optional(o[name], d[name], (x) => v.integer(where, `history.${name}`, x, { min, max }));
  const ms = (name: 'retryDelayMs' | 'maxRetryDelayMs' | 'timeoutMs', min: number) =>
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
