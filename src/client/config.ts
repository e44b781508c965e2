/**
 * Client configuration: every option, its default (applied here and nowhere else) and its
 * validation. A StreamClient only exists once its config is valid.
 */
import { ErrorCode, PolygonStreamError } from '../errors.js';
import { LOG_LEVELS, type Logger } from './logger.js';
import * as v from '../validate.js';
import type { ReconnectPolicy } from './connection/backoff.js';
import type { EventsOptions } from './delivery/dispatcher.js';
import type { HistoryOptions } from './history/history.js';
import type { BackfillOptions } from './fills/backfill-options.js';
import { CLUSTERS, type Cluster } from '../protocol/streams.js';
import { parseTimeInput, type TimeInput } from '../protocol/time-input.js';
import { DEFAULT_HOST, expandShortName, lookupHost } from '../protocol/hosts.js';
import { TRANSPORTS, type TransportName, type WsOptions } from './transport/transport.js';

export type MaxConnectionsPolicy = 'stop' | 'reclaim';

export interface ClientOptions<Self = unknown> {
  /**
   * Host.RealTime (`socket.massive.com`, the default) | Host.Delayed | Host.Business |
   * Host.Launchpad | their `Polygon…` (polygon.io) twins | any host name (→ wss://HOST/CLUSTER),
   * such as the provider's other hosts (src/protocol/hosts.ts), also by short name (`delayed`,
   * `iex-business` → `….massive.com`) | a full ws:// or wss:// URL (→ URL/CLUSTER).
   */
  host?: string;
  /** The Python library's message handler: the raw text frame, exactly as received. */
  onMessage?: (client: Self, raw: string) => void;
  /**
   * Runtime failures, each a PolygonStreamError (switch on `error.code`; the same errors reach
   * `on('error')` listeners). Default: print, as the Python library does.
   */
  onError?: (client: Self, error: PolygonStreamError) => void;
  /** Called once, when the stream closes for good (not on a reconnect). Default: print. */
  onClose?: (client: Self, code: number, reason: string) => void;
  /** Connection-level debug lines on stderr (open, auth result, subscribe sends, close codes). */
  enableConnectionLogs?: boolean;
  /** A logger of your own (levels debug/info/warn/error). Wins over enableConnectionLogs. */
  logger?: Logger;
  /** Reconnect policy, or false to never reconnect. */
  reconnect?: Partial<ReconnectPolicy> | false;
  /**
   * A client never connected yet (likely a wrong host or key) gives up after this long, ms:
   * startStreamThread rejects with CONNECTION_FAILED. Infinity: retry under `reconnect`.
   */
  firstConnectTimeoutMs?: number;
  /** How long a subscribe/unsubscribe waits for the server's acknowledgements, ms. */
  subscribeTimeoutMs?: number;
  /** How long to wait for the server's answer to auth, ms. */
  authTimeoutMs?: number;
  /** No data at all for this long while subscribed counts as a dead connection, ms. 0 = off. */
  idleTimeoutMs?: number;
  /**
   * `max_connections` means another connection took over this cluster and key. 'stop' (default)
   * ends the stream with a MAX_CONNECTIONS error; 'reclaim' takes it back after reclaimAfterMs.
   */
  onMaxConnections?: MaxConnectionsPolicy;
  /** Delay before reclaiming after max_connections, ms (at least 60 000). */
  reclaimAfterMs?: number;
  /** Allow a second open client for the same host, cluster and key in this process. */
  allowDuplicateClient?: boolean;
  /** Negotiate permessage-deflate. */
  compression?: boolean;
  /** Largest frame accepted, bytes; larger frames close the connection (and it reconnects). */
  maxFrameBytes?: number;
  /** Passed through to `ws` (agent for proxies, headers, TLS options …); the ws transport only. */
  ws?: WsOptions;
  /**
   * 'ws' (the Node build's default: ping/pong heartbeat, compression, `ws` options) or 'native':
   * the runtime's standard WebSocket (the only one in the build for browsers, Deno, Bun and
   * workers). Without ping frames, set idleTimeoutMs to detect a dead connection.
   */
  transport?: TransportName;
  /** REST history (`history()`): base URL, concurrency, rate limit, retries, timeouts. */
  history?: HistoryOptions;
  /**
   * Fill every reconnect's gap from REST history (per-symbol topics of streams with history):
   * `true` for the defaults, or options. Backfilled events: `client.isBackfilled(event)`.
   */
  backfill?: boolean | BackfillOptions;
  /**
   * History, then live, for every subscription made without a `from` of its own: read once, when
   * the client is made (so `'30m'` is 30 minutes before then). The forms of `subscribe`'s `from`.
   */
  start?: TimeInput;
}

export interface StartOptions {
  /** Seconds between WebSocket pings (21, the Python library's default). 0: no heartbeat. */
  pingInterval?: number;
  /** Seconds to wait for a pong (or any frame) before the connection is declared dead (20). */
  pingTimeout?: number;
  pingPayload?: string;
  skipUtf8Validation?: boolean;
}

export interface ClientConfig {
  readonly apiKey: string;
  readonly cluster: Cluster;
  readonly url: string;
  readonly reconnect: ReconnectPolicy | false;
  readonly firstConnectTimeoutMs: number;
  readonly subscribeTimeoutMs: number;
  readonly authTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly onMaxConnections: MaxConnectionsPolicy;
  readonly reclaimAfterMs: number;
  readonly allowDuplicateClient: boolean;
  readonly compression: boolean;
  readonly maxFrameBytes: number;
  readonly ws: WsOptions;
  /** undefined: the build's default. */
  readonly transport: TransportName | undefined;
  /** `start` as Unix ms, or undefined. */
  readonly start: number | undefined;
}

export type StartConfig = Required<StartOptions>;

export const DEFAULT_RECONNECT: Readonly<ReconnectPolicy> = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: 20,
  stableAfterMs: 30_000,
};

export const DEFAULTS = {
  firstConnectTimeoutMs: 10_000,
  subscribeTimeoutMs: 10_000,
  authTimeoutMs: 10_000,
  idleTimeoutMs: 0,
  onMaxConnections: 'stop',
  reclaimAfterMs: 60_000,
  maxFrameBytes: 64 * 1024 * 1024,
  start: { pingInterval: 21, pingTimeout: 20, pingPayload: '', skipUtf8Validation: true },
} as const;

const MIN_RECLAIM_MS = 60_000;
const WHERE = 'StreamClient';

export function resolveConfig(
  apiKey: unknown,
  cluster: unknown,
  given: ClientOptions<never> | undefined = {},
): ClientConfig {
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    throw new PolygonStreamError(
      ErrorCode.InvalidApiKey,
      'API key must be a non-empty string (your Polygon.io / Massive.com key, or any string for the local simulator)',
    );
  }
  if (typeof cluster !== 'string' || !(CLUSTERS as readonly string[]).includes(cluster)) {
    throw new PolygonStreamError(
      ErrorCode.UnknownCluster,
      `Unknown cluster ${v.describe(cluster)}; allowed: ${CLUSTERS.join(', ')}`,
      { cluster },
    );
  }
  const options = v.plainObject<ClientOptions<never>>(WHERE, 'options', given);
  for (const name of ['onMessage', 'onError', 'onClose'] as const) {
    if (options[name] !== undefined) v.fn(WHERE, name, options[name]);
  }
  if (options.logger !== undefined) {
    const logger = v.plainObject<Record<string, unknown>>(WHERE, 'logger', options.logger);
    for (const level of LOG_LEVELS) v.fn(WHERE, `logger.${level}`, logger[level]);
  }
  for (const name of ['enableConnectionLogs', 'allowDuplicateClient', 'compression'] as const) {
    if (options[name] !== undefined) v.boolean(WHERE, name, options[name]);
  }
  const ms = (name: keyof typeof DEFAULTS & `${string}Ms`, min = 1): number =>
    v.optional(options[name], DEFAULTS[name], (x) => v.duration(WHERE, name, x, { min }));
  return Object.freeze({
    apiKey,
    cluster: cluster as Cluster,
    url: clusterUrl(options.host ?? DEFAULT_HOST, cluster),
    reconnect: options.reconnect === false ? false : resolveReconnect(options.reconnect),
    firstConnectTimeoutMs: v.optional(
      options.firstConnectTimeoutMs,
      DEFAULTS.firstConnectTimeoutMs,
      (x) => (x === Infinity ? x : v.duration(WHERE, 'firstConnectTimeoutMs', x, { min: 1 })),
    ),
    subscribeTimeoutMs: ms('subscribeTimeoutMs'),
    authTimeoutMs: ms('authTimeoutMs'),
    idleTimeoutMs: ms('idleTimeoutMs', 0),
    onMaxConnections: v.optional(options.onMaxConnections, DEFAULTS.onMaxConnections, (x) =>
      v.oneOf(WHERE, 'onMaxConnections', x, ['stop', 'reclaim'] as const),
    ),
    // Reclaiming sooner than a minute fights the other connection.
    reclaimAfterMs: ms('reclaimAfterMs', MIN_RECLAIM_MS),
    allowDuplicateClient: options.allowDuplicateClient ?? false,
    compression: options.compression ?? false,
    maxFrameBytes: v.optional(options.maxFrameBytes, DEFAULTS.maxFrameBytes, (x) =>
      v.integer(WHERE, 'maxFrameBytes', x, { min: 1 }),
    ),
    ws: v.plainObject<WsOptions>(WHERE, 'ws', options.ws),
    transport: resolveTransport(options),
    start:
      options.start === undefined
        ? undefined
        : parseTimeInput(options.start, {
            cluster,
            now: Date.now(),
            where: WHERE,
            option: 'start',
          }),
  });
}

export function resolveStart(given: StartOptions | undefined = {}): StartConfig {
  const where = 'startStreamThread';
  const options = v.plainObject<StartOptions>(where, 'options', given);
  const d = DEFAULTS.start;
  const seconds = (name: 'pingInterval' | 'pingTimeout', min: number): number =>
    v.optional(options[name], d[name], (x) => v.duration(where, name, x, { min, unit: 's' }));
  return {
    pingInterval: seconds('pingInterval', 0),
    pingTimeout: seconds('pingTimeout', 0.001),
    pingPayload: v.optional(options.pingPayload, d.pingPayload, (x) =>
      v.string(where, 'pingPayload', x),
    ),
    skipUtf8Validation: v.optional(options.skipUtf8Validation, d.skipUtf8Validation, (x) =>
      v.boolean(where, 'skipUtf8Validation', x),
    ),
  };
}

/** events() options: the filter's shape here, capacity and overflow in the queue. */
export function resolveEvents(given: unknown): EventsOptions {
  const where = 'events';
  const options = v.plainObject<EventsOptions>(where, 'options', given);
  const { ev, unknown, symbols, signal } = options;
  const strings = (x: unknown): boolean =>
    Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (ev !== undefined && typeof ev !== 'string' && !strings(ev)) {
    throw v.invalidOption(where, 'ev', "an event type or an array of them (['T', 'Q'])", ev);
  }
  if (unknown !== undefined && typeof unknown !== 'string' && !strings(unknown)) {
    throw v.invalidOption(where, 'unknown', "an event type or an array of them (['FOO'])", unknown);
  }
  if (symbols !== undefined && !strings(symbols)) {
    throw v.invalidOption(where, 'symbols', "an array of symbols (['AAPL'])", symbols);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw v.invalidOption(where, 'signal', 'an AbortSignal', signal);
  }
  return options;
}

function resolveTransport(options: ClientOptions<never>): TransportName | undefined {
  if (options.transport === undefined) return undefined;
  const transport = v.oneOf(WHERE, 'transport', options.transport, TRANSPORTS);
  if (transport === 'native' && options.ws !== undefined && Object.keys(options.ws).length > 0) {
    throw v.invalidOption(
      WHERE,
      'ws',
      "unset with transport 'native' (the runtime's WebSocket takes no agent, headers or TLS options)",
      options.ws,
    );
  }
  return transport;
}

function resolveReconnect(given: Partial<ReconnectPolicy> | undefined): ReconnectPolicy {
  const p = v.plainObject<Partial<ReconnectPolicy>>(WHERE, 'reconnect', given);
  const d = DEFAULT_RECONNECT;
  const ms = (name: 'initialDelayMs' | 'maxDelayMs' | 'stableAfterMs'): number =>
    v.optional(p[name], d[name], (x) => v.duration(WHERE, `reconnect.${name}`, x, { min: 1 }));
  const maxAttempts = v.optional(p.maxAttempts, d.maxAttempts, (x) =>
    x === Infinity ? x : v.integer(WHERE, 'reconnect.maxAttempts', x, { min: 0 }),
  );
  return {
    initialDelayMs: ms('initialDelayMs'),
    maxDelayMs: ms('maxDelayMs'),
    factor: v.optional(p.factor, d.factor, (x) =>
      v.number(WHERE, 'reconnect.factor', x, { min: 1, max: 1_000 }),
    ),
    jitter: v.optional(p.jitter, d.jitter, (x) =>
      v.number(WHERE, 'reconnect.jitter', x, { min: 0, max: 1 }),
    ),
    maxAttempts,
    stableAfterMs: ms('stableAfterMs'),
  };
}

/**
 * wss://HOST/CLUSTER for a host name (a short name of the host table → its massive.com name);
 * URL/CLUSTER for a full ws:// or wss:// URL. A provider host's URL may already end in the
 * cluster (`wss://delayed.massive.com/futures`): it is not added twice.
 */
export function clusterUrl(host: unknown, cluster: string): string {
  if (typeof host !== 'string' || host.trim() === '') {
    throw new PolygonStreamError(
      ErrorCode.InvalidHost,
      'host must be a host name or a ws:// / wss:// URL',
    );
  }
  if (/^wss?:\/\//i.test(host)) {
    let url: URL;
    try {
      url = new URL(host);
    } catch {
      throw new PolygonStreamError(
        ErrorCode.InvalidHost,
        `host ${v.describe(host)} is not a valid URL`,
      );
    }
    if (url.search !== '' || url.hash !== '' || /[?#]/.test(host)) {
      throw new PolygonStreamError(
        ErrorCode.InvalidHost,
        `host ${v.describe(host)} must be a ws:// or wss:// URL without a query string or fragment (the cluster is appended to its path)`,
      );
    }
    const base = host.replace(/\/+$/, '');
    if (lookupHost(url.hostname) && url.pathname.replace(/\/+$/, '') === `/${cluster}`) return base;
    return `${base}/${cluster}`;
  }
  if (/^[a-z]+:\/\//i.test(host) || /[/\s]/.test(host)) {
    throw new PolygonStreamError(
      ErrorCode.InvalidHost,
      `host ${v.describe(host)} must be a host name (socket.massive.com, delayed.polygon.io, or short: delayed) or a ws:// / wss:// URL`,
    );
  }
  return `wss://${expandShortName(host)}/${cluster}`;
}
