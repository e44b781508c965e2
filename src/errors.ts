/**
 * One error class for everything the library raises or reports. `code` is the machine-readable
 * part; tests and users branch on it. Caller mistakes are thrown at the call; runtime failures go
 * to `onError` and the `error` event.
 */

export const ErrorCode = {
  // Caller mistakes (thrown at the call).
  InvalidApiKey: 'INVALID_API_KEY',
  UnknownCluster: 'UNKNOWN_CLUSTER',
  InvalidHost: 'INVALID_HOST',
  StreamNotOnCluster: 'STREAM_NOT_ON_CLUSTER',
  InvalidSymbols: 'INVALID_SYMBOLS',
  InvalidOption: 'INVALID_OPTION',
  DuplicateClient: 'DUPLICATE_CLIENT',
  ClientClosed: 'CLIENT_CLOSED',
  // Server statuses.
  AuthFailed: 'AUTH_FAILED',
  AuthTimeout: 'AUTH_TIMEOUT',
  MaxConnections: 'MAX_CONNECTIONS',
  SlowConsumer: 'SLOW_CONSUMER',
  ForceDisconnect: 'FORCE_DISCONNECT',
  ServerError: 'SERVER_ERROR',
  SubscribeFailed: 'SUBSCRIBE_FAILED',
  SubscribeTimeout: 'SUBSCRIBE_TIMEOUT',
  // Transport.
  ConnectionFailed: 'CONNECTION_FAILED',
  ConnectionClosed: 'CONNECTION_CLOSED',
  HeartbeatTimeout: 'HEARTBEAT_TIMEOUT',
  IdleTimeout: 'IDLE_TIMEOUT',
  ReconnectExhausted: 'RECONNECT_EXHAUSTED',
  MalformedFrame: 'MALFORMED_FRAME',
  // Consumers.
  QueueOverflow: 'QUEUE_OVERFLOW',
  HandlerError: 'HANDLER_ERROR',
  // Fan-out and replay.
  RedisUnavailable: 'REDIS_UNAVAILABLE',
  SinkOverflow: 'SINK_OVERFLOW',
  RedisPoisonEntry: 'REDIS_POISON_ENTRY',
  RedisDeadLettered: 'REDIS_DEAD_LETTERED',
  RedisGroupRecreated: 'REDIS_GROUP_RECREATED',
  RedisMissedEntries: 'REDIS_MISSED_ENTRIES',
  RedisDataLost: 'REDIS_DATA_LOST',
  RedisTrimmedUnread: 'REDIS_TRIMMED_UNREAD',
  RedisMemoryFull: 'REDIS_MEMORY_FULL',
  ReplayError: 'REPLAY_ERROR',
  RecordingFailed: 'RECORDING_FAILED',
  // REST history.
  NoHistory: 'NO_HISTORY',
  HistoryUnavailable: 'HISTORY_UNAVAILABLE',
  HistoryFailed: 'HISTORY_FAILED',
  BackfillSkipped: 'BACKFILL_SKIPPED',
  HistoryInvalid: 'HISTORY_INVALID',
  BackfillOverflow: 'BACKFILL_OVERFLOW',
  BackfillIncomplete: 'BACKFILL_INCOMPLETE',
  NoSnapshot: 'NO_SNAPSHOT',
  // Packaging.
  MissingDependency: 'MISSING_DEPENDENCY',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What each code means and where it surfaces (the README's error table is generated from this). */
export const ERROR_DOCS: Readonly<Record<ErrorCode, string>> = {
  INVALID_API_KEY: 'thrown by the constructor: the API key is missing or empty',
  UNKNOWN_CLUSTER:
    'thrown by the constructor: the cluster is not stocks, options, forex, crypto or indices',
  INVALID_HOST: 'thrown by the constructor: host is neither a host name nor a ws:// / wss:// URL',
  STREAM_NOT_ON_CLUSTER:
    "thrown by a subscribe method whose stream the client's cluster does not carry",
  INVALID_SYMBOLS:
    'thrown by a subscribe method, subscribe() or history(): symbols or topics not strings, empty, containing whitespace or commas, or malformed (a stray `.` or `*`, non-ASCII, over 64 characters)',
  INVALID_OPTION:
    "thrown at the call: an option out of range, startStreamThread called twice, a `from`/`start` time that cannot be read, is in the future or is older than the provider's history (says what is allowed), `from` for a topic already subscribed, …",
  DUPLICATE_CLIENT:
    'thrown by startStreamThread: another open client has the same host, cluster and key',
  CLIENT_CLOSED: 'thrown when using a closed client; rejects what was waiting when it closed',
  AUTH_FAILED: 'fatal: the server refused the key (startStreamThread rejects, no reconnect)',
  AUTH_TIMEOUT: 'the server (or the client) timed out waiting for auth; reconnects',
  MAX_CONNECTIONS:
    "another connection took this cluster and key over; stops (or reclaims, with onMaxConnections: 'reclaim')",
  SLOW_CONSUMER:
    'the server dropped the client for reading too slowly; carries figures; reconnects',
  FORCE_DISCONNECT: 'the server forced a disconnect; reconnects (a reconnect cause)',
  SERVER_ERROR: 'an error status that names no waiting subscription',
  SUBSCRIBE_FAILED:
    "the server refused a subscribe/unsubscribe; quotes the server's words (a `from`/`start` topic's caughtUp is then unfilled with the refusal's code)",
  SUBSCRIBE_TIMEOUT: 'no acknowledgement in subscribeTimeoutMs; the topics stay in the set',
  CONNECTION_FAILED:
    'refused, unresolvable host, TLS or handshake failure, HTTP status of a refused upgrade (a reconnect cause); fatal for a client never connected within firstConnectTimeoutMs',
  CONNECTION_CLOSED: 'the server closed the socket (a reconnect cause)',
  HEARTBEAT_TIMEOUT:
    'no pong or data within pingTimeout of a ping: half-open socket (a reconnect cause)',
  IDLE_TIMEOUT: 'no data for idleTimeoutMs while subscribed (a reconnect cause; off by default)',
  RECONNECT_EXHAUSTED: 'fatal: the last reconnect attempt failed; `cause` holds the last error',
  MALFORMED_FRAME:
    'a frame that is not a JSON array; skipped and counted (stats().drops.malformed)',
  QUEUE_OVERFLOW: "an events() iterator or queued listener with overflow: 'error' overflowed",
  HANDLER_ERROR: 'your listener or onMessage threw; the stream goes on',
  REDIS_UNAVAILABLE: 'the Redis sink or reader cannot reach Redis',
  SINK_OVERFLOW:
    "the Redis sink's buffer was full while Redis was down; events were dropped and counted",
  REDIS_POISON_ENTRY:
    'readStream: a stream entry that is not an event (no data field, data not JSON, or JSON that is not an object with a string ev); never yielded: acknowledged and copied to the dead-letter stream (details: id, reason)',
  REDIS_DEAD_LETTERED:
    'readStream: an entry claimed more than maxDeliveries times (it kept killing its worker) was moved to the dead-letter stream and acknowledged, so the entries behind it flow (details: id, deliveries)',
  REDIS_GROUP_RECREATED:
    "readStream: the consumer group was gone (Redis restarted empty, or the stream was deleted); re-created at '0' to read every entry written since (details: redisRestarted)",
  REDIS_MISSED_ENTRIES:
    "readStream: entries were trimmed or deleted before the group read them (details: missed, a count, or 'unknown' when Redis cannot tell)",
  REDIS_DATA_LOST:
    "the Redis sink found Redis back empty or rolled back (run_id changed, stream missing, or its last id behind the sink's): entries it had written are gone; details.lost counts their events (details.bound: 'exact', 'at least' or 'at most')",
  REDIS_TRIMMED_UNREAD:
    "the Redis sink's length ceiling (maxLen) trimmed entries some consumer group (or, with no group, anyone) had not read or acknowledged; one report per trim, details.trimmed counts their events, details.entries the entries",
  REDIS_MEMORY_FULL:
    "Redis refused the sink's writes for memory (OOM, maxmemory): one report when the episode starts, one when it ends with details.dropped, the events refused during it",
  REPLAY_ERROR: 'a replay source could not be read',
  RECORDING_FAILED:
    'a DuckDB recording could not be opened, written or read: not a DuckDB file, held by another process, disk full, a bad query',
  NO_HISTORY:
    "thrown by history() and by subscribe(topics, { from }): the topic cannot be asked of REST history (a wildcard, or a stream the provider keeps no history of); says why. Under the client's `start` such a topic is subscribed live only, with an unfilled caughtUp of this code",
  NO_SNAPSHOT:
    "in a 'snapshot' report (subscribe with { snapshot: true }): the topic got no snapshot, and why: a wildcard, a stream without a latest-state endpoint (bars, futures …), a topic already live, or a ticker REST has no latest event for",
  HISTORY_UNAVAILABLE:
    "history(): the REST API refused the key (401/403): the plan does not include this history; quotes the server's words (backfill and `from`/`start`: the range it left is named missing)",
  HISTORY_FAILED:
    'history(): rate limited (429), server errors (5xx), timeouts or network errors past the retries, another HTTP error, a malformed body, or more rows than maxRows; or the whole call, retries included, passed history.deadlineMs (backfill and `from`/`start`: the range it left is named missing)',
  HISTORY_INVALID:
    'history(): the REST answer broke its own rules: a row for another ticker, outside the window, out of time order or with a non-numeric number (backfill: those rows are dropped, counted and their times reported missing), a page over history.maxPageBytes, more pages than history.maxPages, or a next_url that repeats or brings no rows',
  BACKFILL_SKIPPED:
    "a gap's topic left unfilled (in the gap event's unfilled): gap over backfill.maxGapMs, topics over backfill.maxTickers, or interrupted by another drop; a `from`/`start` topic unsubscribed before it caught up (its caughtUp is unfilled)",
  BACKFILL_OVERFLOW:
    "a gap's or a `from`/`start` topic's fill cut short (in the gap event's partial or unfilled, or a partial caughtUp): more live events than backfill.maxHeldEvents arrived while it was being filled; what was left is named missing",
  BACKFILL_INCOMPLETE:
    "a gap's or a `from`/`start` topic's fill only partly done (in the gap event's partial, or a partial caughtUp): REST history had not been seen to reach the topic's first live event within backfill.maxHoldMs (REST lagging the stream, or no live event came to prove it), or REST kept failing; the missing ranges are named",
  MISSING_DEPENDENCY:
    "an optional peer dependency a feature needs is not installed (ioredis for the Redis fan-out, @duckdb/node-api for DuckDB recordings), or transport 'native' on a runtime without a global WebSocket (Node 20: --experimental-websocket)",
};

export class PolygonStreamError extends Error {
  override readonly name = 'PolygonStreamError';
  readonly code: ErrorCode;
  /** Structured context (topics, close code, server text, figures). Never holds the API key. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

export function isPolygonStreamError(err: unknown, code?: ErrorCode): err is PolygonStreamError {
  return err instanceof PolygonStreamError && (code === undefined || err.code === code);
}
