/**
 * The runtime's standard WebSocket (browsers, Deno, Bun, Cloudflare Workers, Node ≥ 22 or Node 20
 * with --experimental-websocket). It cannot send pings, choose compression, set headers or use a
 * proxy agent; it hides why a connection failed. What the client still does here: an opening
 * handshake timeout, the frame size limit (checked once the runtime has the frame), and an
 * immediate `terminate` (the socket is abandoned and its close reported at once).
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import type { SocketEvents, SocketOptions, Transport, TransportSocket } from './transport.js';
import { SocketState } from './transport.js';

/** The native transport; MISSING_DEPENDENCY (ending with `hint`) where the runtime has none. */
export function requireNativeTransport(hint: string): Transport {
  if (typeof globalThis.WebSocket === 'function') return nativeTransport;
  throw new PolygonStreamError(
    ErrorCode.MissingDependency,
    `polygon-stream needs the runtime's global WebSocket here, and this runtime has none${hint}`,
    { option: 'transport' },
  );
}

/** An Error shaped like the ones `ws` raises, so socket-errors.ts words both alike. */
function socketError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

const decoder = new TextDecoder();

class NativeSocket implements TransportSocket {
  readonly canPing = false;
  private readonly ws: WebSocket;
  private ended = false;
  private muted = false;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    url: string,
    private readonly options: SocketOptions,
    private readonly on: SocketEvents,
  ) {
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    this.handshakeTimer = setTimeout(() => {
      if (ws.readyState !== SocketState.Connecting) return;
      this.on.error(socketError('Opening handshake has timed out'));
      this.terminate();
    }, options.handshakeTimeoutMs);
    ws.onopen = () => {
      clearTimeout(this.handshakeTimer);
      if (!this.ended) this.on.open();
    };
    ws.onmessage = (event: MessageEvent) => this.received(event.data);
    ws.onerror = (event: Event) => {
      if (this.ended) return;
      // Browsers say nothing about the cause (on purpose); Node's WebSocket carries a message.
      const detail = (event as { message?: unknown }).message;
      this.on.error(
        socketError(
          typeof detail === 'string' && detail !== ''
            ? detail
            : 'the WebSocket failed and the runtime does not say why (a browser hides refused connections, DNS, TLS and HTTP errors: check the URL and that the server is up)',
        ),
      );
      // An error always ends the socket; some runtimes (Node 20's) never send the close event
      // after a failed opening handshake, so report it now (a later one is ignored).
      this.terminate();
    };
    ws.onclose = (event: { code: number; reason: string }) => this.closed(event.code, event.reason);
  }

  get readyState(): number {
    return this.ended ? SocketState.Closed : this.ws.readyState;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  ping(): void {
    // The standard WebSocket cannot send ping frames: liveness comes from data (idleTimeoutMs).
  }

  close(code: number, reason: string): void {
    try {
      this.ws.close(code, reason);
    } catch {
      // A code or reason the runtime refuses: close without them.
      this.ws.close();
    }
  }

  terminate(): void {
    if (this.ended) return;
    try {
      this.ws.close();
    } catch {
      // already closing
    }
    queueMicrotask(() => this.closed(1006, ''));
  }

  mute(): void {
    this.muted = true;
  }

  private received(data: unknown): void {
    if (this.muted || this.ended) return;
    const text = typeof data === 'string' ? data : decoder.decode(data as ArrayBuffer);
    if (text.length > this.options.maxFrameBytes) {
      this.on.error(socketError('Max payload size exceeded', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'));
      this.terminate();
      return;
    }
    this.on.message(text);
  }

  private closed(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.handshakeTimer);
    this.ws.onopen = this.ws.onmessage = this.ws.onerror = this.ws.onclose = null;
    this.on.close(code, reason);
  }
}

export const nativeTransport: Transport = (url, options, on) => new NativeSocket(url, options, on);
