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
  ReplayError: 'REPLAY_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

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

/** Replace every occurrence of `secret` in `text` (API keys must never reach a log or an error). */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join('***');
}
