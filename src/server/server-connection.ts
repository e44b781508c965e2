/** The protocol server's public types: one downstream connection, and the server's events. */
import type { ClientMessage } from '../protocol/codec.js';

export interface ServerConnection {
  readonly id: number;
  readonly cluster: string;
  /** The key (or token) the client authenticated with, as sent. */
  readonly apiKey: string | undefined;
  readonly authenticated: boolean;
  /** The client negotiated permessage-deflate (only when it asked: the server offers it). */
  readonly compressed: boolean;
  /** Bytes sent to the client but not yet written to its socket (ws `bufferedAmount`). */
  readonly bufferedAmount: number;
  /** Server-side current topic set, as the client spelled the topics. */
  readonly subscriptions: ReadonlySet<string>;
  /**
   * The most recent well-formed client messages, oldest first, within the server's log budget
   * (the simulator's `messageLogBytes`, 64 KiB by default; a relay keeps none).
   */
  readonly received: readonly ClientMessage[];
  /** Destroy the TCP socket abruptly (no close frame). */
  drop(): void;
  /** This connection stops (or resumes, with false) answering pings. */
  stallPongs(on?: boolean): void;
  /** Stop (or resume, with false) sending data (statuses still go out). */
  pauseData(on?: boolean): void;
  /** Send a text frame exactly as given. */
  sendRaw(text: string): void;
  /** Send one status event; then close with `close.code` when given. */
  sendStatus(status: string, message: string, close?: { code: number; reason?: string }): void;
  /** `force_disconnect` status, then close (code 1001). */
  forceDisconnect(message?: string): void;
}

export interface ProtocolServerEvents {
  connection: [conn: ServerConnection];
  authenticated: [conn: ServerConnection];
  message: [conn: ServerConnection, msg: ClientMessage];
  close: [conn: ServerConnection];
}
