/**
 * The `ws` transport (Node's default): ping/pong frames for the heartbeat, permessage-deflate,
 * a frame size limit enforced while reading, and every `ws` client option (agent for a proxy,
 * headers, TLS) passed through.
 */
import WebSocket from 'ws';
import type { SocketEvents, SocketOptions, Transport, TransportSocket } from './transport.js';

class WsSocket implements TransportSocket {
  readonly canPing = true;

  constructor(private readonly ws: WebSocket) {}

  get readyState(): number {
    return this.ws.readyState;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  ping(payload: string): void {
    this.ws.ping(payload);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  mute(): void {
    this.ws.removeAllListeners('message');
  }
}

export const wsTransport: Transport = (
  url: string,
  options: SocketOptions,
  on: SocketEvents,
): TransportSocket => {
  const ws = new WebSocket(url, {
    perMessageDeflate: options.compression,
    maxPayload: options.maxFrameBytes,
    skipUTF8Validation: options.skipUtf8Validation,
    handshakeTimeout: options.handshakeTimeoutMs,
    ...options.ws,
  });
  ws.on('open', () => on.open());
  ws.on('message', (data: Buffer, isBinary: boolean) =>
    on.message(isBinary ? data.toString('utf8') : data.toString()),
  );
  ws.on('pong', () => on.pong());
  ws.on('error', (err: Error) => on.error(err));
  ws.on('close', (code: number, reason: Buffer) => on.close(code, reason.toString()));
  return new WsSocket(ws);
};
