/**
 * What a server status means, as one pure function: every status event, whatever its fields hold,
 * becomes a verdict (ack, refusal, authenticated, report, log, end) that the client and the
 * connection act on. Both the documented and the older spellings are understood. Fields that are
 * not strings are described, never converted with their own toString, so no frame can throw here.
 */
import { ErrorCode, PolygonStreamError } from '../errors.js';
import { redactText } from '../redact.js';
import { textOf } from '../validate.js';
import { parseAck } from './codec.js';

export interface StatusContext {
  /** Auth was sent and not yet answered. */
  authenticating: boolean;
  /** Authenticated: an `error` status now refuses a subscribe or unsubscribe. */
  open: boolean;
  /** The API key, masked in every text the verdict quotes. */
  secret: string;
  cluster: string;
  reclaimAfterMs: number | undefined;
  /** Figures for the slow-consumer error (events/s, queue depth, drops, latency). */
  figures: () => Record<string, unknown>;
}

/** Every verdict carries the status and its message as safe text (key masked) for the log. */
export type StatusVerdict = { status: string; text: string } & Verdict;

type Verdict =
  /** The server confirmed a subscribe or unsubscribe of `topic`. */
  | { kind: 'ack'; action: 'subscribe' | 'unsubscribe'; topic: string }
  /** The server refused a subscribe or unsubscribe: `text` says which (see `refusalError`). */
  | { kind: 'refusal' }
  /** Nothing to act on. */
  | { kind: 'log' }
  | { kind: 'authenticated' }
  /** Report to the user; the connection goes on. */
  | { kind: 'report'; error: PolygonStreamError }
  /** End this socket: fatal ends the stream, otherwise reconnect (after delayMs when given). */
  | { kind: 'end'; error: PolygonStreamError; fatal: boolean; report: boolean; delayMs?: number };

/** The verdict on one status event; its fields may be any JSON value (or missing). */
export function interpretStatus(
  event: Readonly<Record<string, unknown>>,
  ctx: StatusContext,
): StatusVerdict {
  const raw = event['message'];
  const text = redactText(textOf(raw), ctx.secret);
  const status = event['status'];
  const shown = redactText(textOf(status), ctx.secret);
  return {
    status: shown,
    text,
    ...(typeof status === 'string' ? decide(status, raw, text, ctx) : { kind: 'log' }),
  };
}

function decide(status: string, raw: unknown, text: string, ctx: StatusContext): Verdict {
  if (status === 'success' && typeof raw === 'string') {
    // Parsed from the server's own words: the topic is matched, only `text` is shown.
    const ack = parseAck(raw);
    if (ack) return { kind: 'ack', ...ack };
  }
  if (status === 'error' && ctx.open) return { kind: 'refusal' };
  const end = (code: ErrorCode, message: string, fatal: boolean): Verdict => ({
    kind: 'end',
    error: new PolygonStreamError(code, message, { serverMessage: text }),
    fatal,
    report: false,
  });
  switch (status) {
    case 'auth_success':
      return { kind: 'authenticated' };
    case 'success':
      // The connect status has been seen as `success`; very old servers answered auth with it.
      return ctx.authenticating && !/connect/i.test(text)
        ? { kind: 'authenticated' }
        : { kind: 'log' };
    case 'auth_failed':
      return end(
        ErrorCode.AuthFailed,
        `Authentication failed: server said "${text}". Check your API key.`,
        true,
      );
    case 'auth_timeout':
      return end(
        ErrorCode.AuthTimeout,
        `Server timed out waiting for authentication: "${text}"`,
        false,
      );
    case 'force_disconnect':
      return end(
        ErrorCode.ForceDisconnect,
        `Server forced a disconnect: "${text}"; reconnecting`,
        false,
      );
    case 'max_connections':
      return maxConnections(text, ctx);
    case 'slow_consumer': {
      const figures = ctx.figures();
      const error = new PolygonStreamError(
        ErrorCode.SlowConsumer,
        `Server disconnected this client as a slow consumer ("${text}"): the stream was not read fast enough. Make handlers faster or use a queued listener / events() iterator with an overflow policy. Figures: ${JSON.stringify(figures)}`,
        { serverMessage: text, ...figures },
      );
      // Actionable for the user (unlike a plain drop): reported, not only the reconnect cause.
      return { kind: 'end', error, fatal: false, report: true };
    }
    case 'error':
      if (ctx.authenticating) {
        return end(ErrorCode.AuthFailed, `Authentication failed: server said "${text}"`, true);
      }
      return { kind: 'report', error: refusalError(text, []) };
    default:
      // `connected`, and statuses this client does not know: passed on, never a crash.
      return { kind: 'log' };
  }
}

/**
 * The error for an `error` status: SUBSCRIBE_FAILED naming the topics it was charged to, or
 * SERVER_ERROR when it concerns no waiting subscription.
 */
export function refusalError(text: string, topics: readonly string[]): PolygonStreamError {
  return new PolygonStreamError(
    topics.length > 0 ? ErrorCode.SubscribeFailed : ErrorCode.ServerError,
    `Server error: "${text}"${topics.length > 0 ? ` (refused: ${topics.join(',')})` : ''}`,
    { serverMessage: text, topics: [...topics] },
  );
}

function maxConnections(text: string, ctx: StatusContext): Verdict {
  const reclaim = ctx.reclaimAfterMs !== undefined;
  const error = new PolygonStreamError(
    ErrorCode.MaxConnections,
    `Server said: "${text}". The provider allows one connection per cluster and API key; another connection on ${ctx.cluster} with this key took over and this one was dropped. ${
      reclaim
        ? `Reclaiming the connection in ${Math.round(ctx.reclaimAfterMs! / 1000)} s (onMaxConnections: 'reclaim').`
        : "Stopping (no reconnect fight). Close the other connection, or pass onMaxConnections: 'reclaim' to take it back."
    }`,
    { serverMessage: text, cluster: ctx.cluster },
  );
  return reclaim
    ? { kind: 'end', error, fatal: false, report: true, delayMs: ctx.reclaimAfterMs! }
    : { kind: 'end', error, fatal: true, report: false };
}
