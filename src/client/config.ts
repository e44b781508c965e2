/**
 * Client configuration: every option, its default (applied here and nowhere else) and its
 * validation. A StreamClient only exists once its config is valid.
 */
import { ErrorCode, PolygonStreamError } from '../errors.js';
import type { Logger } from './logger.js';
import type { ReconnectPolicy } from './backoff.js';
import type { HistoryOptions } from './history.js';
import { CLUSTERS, type Cluster, Host } from '../protocol/streams.js';

export type MaxConnectionsPolicy = 'stop' | 'reclaim';

/**
 * Options passed through to the `ws` WebSocket constructor (its `ClientOptions`: `agent` for a
 * proxy, `headers`, TLS options such as `ca` or `rejectUnauthorized` …). Typed loosely on purpose:
 * the published types do not depend on `@types/ws`.
 */
export type WsOptions = Readonly<Record<string, unknown>>;

export interface ClientOptions<Self = unknown> {
  /**
   * Host.RealTime (default) | Host.Delayed | Host.Business | Host.Launchpad | their massive.com
   * twins | any host name (→ wss://HOST/CLUSTER) | a full ws:// or wss:// URL (→ URL/CLUSTER).
   */
  host?: string;
  /** The seed's message handler: the raw text frame, exactly as received. */
  onMessage?: (client: Self, raw: string) => void;
  /** Runtime failures (typed PolygonStreamError). Default: print, as the seed does. */
  onError?: (client: Self, error: Error) => void;
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
  /** Passed through to `ws` (agent for proxies, headers, TLS options …). */
  ws?: WsOptions;
  /** REST history (`history()`): base URL, concurrency, rate limit, retries, timeouts. */
  history?: HistoryOptions;
}

export interface StartOptions {
  /** Seconds between WebSocket pings (seed default 21). 0 disables the heartbeat. */
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

export function resolveConfig(
  apiKey: unknown,
  cluster: unknown,
  options: ClientOptions<never> = {},
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
      `Unknown cluster ${JSON.stringify(cluster)}; allowed: ${CLUSTERS.join(', ')}`,
      { cluster },
    );
  }
  const reclaimAfterMs = num(options.reclaimAfterMs, DEFAULTS.reclaimAfterMs, 'reclaimAfterMs');
  if (reclaimAfterMs < MIN_RECLAIM_MS) {
    throw option(
      `reclaimAfterMs must be at least ${MIN_RECLAIM_MS} (got ${reclaimAfterMs}): reclaiming sooner fights the other connection`,
    );
  }
  const policy = options.onMaxConnections ?? DEFAULTS.onMaxConnections;
  if (policy !== 'stop' && policy !== 'reclaim') {
    throw option(`onMaxConnections must be 'stop' or 'reclaim' (got ${JSON.stringify(policy)})`);
  }
  return Object.freeze({
    apiKey,
    cluster: cluster as Cluster,
    url: clusterUrl(options.host ?? Host.RealTime, cluster),
    reconnect: options.reconnect === false ? false : resolveReconnect(options.reconnect ?? {}),
    firstConnectTimeoutMs: num(
      options.firstConnectTimeoutMs,
      DEFAULTS.firstConnectTimeoutMs,
      'firstConnectTimeoutMs',
    ),
    subscribeTimeoutMs: num(
      options.subscribeTimeoutMs,
      DEFAULTS.subscribeTimeoutMs,
      'subscribeTimeoutMs',
    ),
    authTimeoutMs: num(options.authTimeoutMs, DEFAULTS.authTimeoutMs, 'authTimeoutMs'),
    idleTimeoutMs: num(options.idleTimeoutMs, DEFAULTS.idleTimeoutMs, 'idleTimeoutMs', 0),
    onMaxConnections: policy,
    reclaimAfterMs,
    allowDuplicateClient: options.allowDuplicateClient ?? false,
    compression: options.compression ?? false,
    maxFrameBytes: num(options.maxFrameBytes, DEFAULTS.maxFrameBytes, 'maxFrameBytes'),
    ws: options.ws ?? {},
  });
}

export function resolveStart(options: StartOptions = {}): StartConfig {
  const d = DEFAULTS.start;
  const pingPayload = options.pingPayload ?? d.pingPayload;
  if (typeof pingPayload !== 'string') throw option('pingPayload must be a string');
  return {
    pingInterval: num(options.pingInterval, d.pingInterval, 'pingInterval', 0),
    pingTimeout: num(options.pingTimeout, d.pingTimeout, 'pingTimeout'),
    pingPayload,
    skipUtf8Validation: options.skipUtf8Validation ?? d.skipUtf8Validation,
  };
}

function resolveReconnect(partial: Partial<ReconnectPolicy>): ReconnectPolicy {
  const p = { ...DEFAULT_RECONNECT, ...partial };
  for (const key of Object.keys(DEFAULT_RECONNECT) as (keyof ReconnectPolicy)[]) {
    num(
      p[key],
      DEFAULT_RECONNECT[key],
      `reconnect.${key}`,
      key === 'maxAttempts' || key === 'jitter' ? 0 : undefined,
    );
  }
  if (p.jitter > 1) throw option(`reconnect.jitter must be between 0 and 1 (got ${p.jitter})`);
  if (p.factor < 1) throw option(`reconnect.factor must be at least 1 (got ${p.factor})`);
  return p;
}

/** wss://HOST/CLUSTER for a host name; URL/CLUSTER for a full ws:// or wss:// URL. */
export function clusterUrl(host: unknown, cluster: string): string {
  if (typeof host !== 'string' || host.trim() === '') {
    throw new PolygonStreamError(
      ErrorCode.InvalidHost,
      'host must be a host name or a ws:// / wss:// URL',
    );
  }
  if (/^wss?:\/\//i.test(host)) {
    try {
      new URL(host);
    } catch {
      throw new PolygonStreamError(
        ErrorCode.InvalidHost,
        `host ${JSON.stringify(host)} is not a valid URL`,
      );
    }
    return `${host.replace(/\/+$/, '')}/${cluster}`;
  }
  if (/^[a-z]+:\/\//i.test(host) || /[/\s]/.test(host)) {
    throw new PolygonStreamError(
      ErrorCode.InvalidHost,
      `host ${JSON.stringify(host)} must be a host name (socket.polygon.io) or a ws:// / wss:// URL`,
    );
  }
  return `wss://${host}/${cluster}`;
}

/** `value` if it is a number >= min (> 0 by default), `fallback` if undefined; else INVALID_OPTION. */
export function num(
  value: unknown,
  fallback: number,
  name: string,
  min = Number.MIN_VALUE,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min) {
    throw option(
      `${name} must be a number ${min === 0 ? '>= 0' : '> 0'} (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

function option(message: string): PolygonStreamError {
  return new PolygonStreamError(ErrorCode.InvalidOption, message);
}
