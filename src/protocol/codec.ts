/**
 * The wire format, both directions, shared by the client and the simulator.
 * Client → server: one JSON object `{action, params}`. Server → client: a JSON array of events.
 */
import { ErrorCode, PolygonStreamError } from '../errors.js';

export type Action = 'auth' | 'subscribe' | 'unsubscribe';

export interface ClientMessage {
  action: Action;
  params: string;
}

/** Any event on the wire: it has an `ev` string and whatever else its type carries. */
export interface WireEvent {
  ev: string;
  [field: string]: unknown;
}

export interface StatusMessage {
  ev: 'status';
  status: string;
  message: string;
}

export function encodeAction(action: Action, params: string): string {
  return JSON.stringify({ action, params });
}

export function encodeTopics(topics: readonly string[]): string {
  return topics.join(',');
}

export function decodeTopics(params: string): string[] {
  return params
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** Parse a client message (the simulator's side). Throws MALFORMED_FRAME on anything else. */
export function decodeAction(text: string): ClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed('client message is not JSON', text);
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as ClientMessage).action !== 'string' ||
    typeof (value as ClientMessage).params !== 'string'
  ) {
    throw malformed('client message must be {"action": string, "params": string}', text);
  }
  return value as ClientMessage;
}

export function status(status: string, message: string): StatusMessage {
  return { ev: 'status', status, message };
}

export function encodeEvents(events: readonly object[]): string {
  return JSON.stringify(events);
}

/**
 * Decode one server frame: one `JSON.parse`, no copying. Returns the array as parsed; entries that
 * are not objects with a string `ev` are left for the caller to count and skip (see `isWireEvent`).
 */
export function decodeFrame(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed('frame is not JSON', text);
  }
  if (!Array.isArray(value)) {
    throw malformed('frame is not a JSON array of events', text);
  }
  return value;
}

const STATUS_FRAME = /^\s*\[\s*\{\s*"ev"\s*:\s*"status"/;

/**
 * Whether a raw frame carries status events, without decoding it: the canonical `[{"ev":"status"`
 * prefix by string compare (the hot path in raw mode), the regex only for unusual spacing.
 */
export function isStatusFrame(raw: string): boolean {
  return raw.startsWith('[{"ev":"') ? raw.startsWith('status"', 8) : STATUS_FRAME.test(raw);
}

export function isWireEvent(value: unknown): value is WireEvent {
  return typeof value === 'object' && value !== null && typeof (value as WireEvent).ev === 'string';
}

const SUBSCRIBED = /^(subscribed|unsubscribed) to:\s*(.+)$/i;

/** `subscribed to: T.AAPL` → { action: 'subscribe', topic: 'T.AAPL' }. */
export function parseAck(
  message: string,
): { action: 'subscribe' | 'unsubscribe'; topic: string } | undefined {
  const m = SUBSCRIBED.exec(message.trim());
  if (!m) return undefined;
  return {
    action: m[1]!.toLowerCase() === 'subscribed' ? 'subscribe' : 'unsubscribe',
    topic: m[2]!.trim(),
  };
}

export function ackMessage(action: 'subscribe' | 'unsubscribe', topic: string): string {
  return `${action === 'subscribe' ? 'subscribed' : 'unsubscribed'} to: ${topic}`;
}

const SNIPPET = 120;

function malformed(reason: string, text: string): PolygonStreamError {
  const snippet =
    text.length > SNIPPET ? `${text.slice(0, SNIPPET)}… (${text.length} chars)` : text;
  return new PolygonStreamError(
    ErrorCode.MalformedFrame,
    `Malformed frame: ${reason}: ${snippet}`,
    {
      reason,
      length: text.length,
    },
  );
}
