/**
 * The socket the connection talks to: the least a WebSocket must do for the client (open, text
 * frames in and out, close, and the ping frames only some runtimes can send). Two transports fit
 * it: `ws` on Node (transport-ws.ts) and the runtime's standard WebSocket (transport-native.ts) in
 * browsers, Deno, Bun, workers and Node ≥ 22. Which one a client uses is decided in transports.ts.
 */
/**
 * Options passed through to the `ws` WebSocket constructor (its `ClientOptions`: `agent` for a
 * proxy, `headers`, TLS options such as `ca` or `rejectUnauthorized` …). Typed loosely on purpose:
 * the published types do not depend on `@types/ws`.
 */
export type WsOptions = Readonly<Record<string, unknown>>;

/** `readyState` values, the same in `ws` and the standard WebSocket. */
export const SocketState = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const;

/** What a transport reports; every callback runs at most once per socket except `message`/`pong`. */
export interface SocketEvents {
  open(): void;
  /** One frame as text (a binary frame decoded as UTF-8). */
  message(text: string): void;
  /** A pong to one of our pings (only transports that can ping). */
  pong(): void;
  /** The socket failed; `close` follows. */
  error(error: Error): void;
  close(code: number, reason: string): void;
}

export interface SocketOptions {
  /** Negotiate permessage-deflate (where the transport lets the client choose). */
  compression: boolean;
  /** Larger frames fail the socket with WS_ERR_UNSUPPORTED_MESSAGE_LENGTH. */
  maxFrameBytes: number;
  skipUtf8Validation: boolean;
  /** How long the opening handshake may take. */
  handshakeTimeoutMs: number;
  /** Passed through to `ws` (the ws transport only). */
  ws: WsOptions;
}

export interface TransportSocket {
  /** One of SocketState. */
  readonly readyState: number;
  readonly bufferedAmount: number;
  /** Whether `ping` sends a ping frame (the standard WebSocket has none). */
  readonly canPing: boolean;
  send(text: string): void;
  ping(payload: string): void;
  /** Start the closing handshake. */
  close(code: number, reason: string): void;
  /** Cut the socket at once, without a closing handshake; `close` still follows. */
  terminate(): void;
  /** Deliver no more messages (the stream is over). */
  mute(): void;
}

/** Opens a socket to `url`; events arrive asynchronously, never during the call. */
export type Transport = (
  url: string,
  options: SocketOptions,
  events: SocketEvents,
) => TransportSocket;

export const TRANSPORTS = ['ws', 'native'] as const;
export type TransportName = (typeof TRANSPORTS)[number];
