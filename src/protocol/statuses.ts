/**
 * What a server status means for the connection (PROTOCOL.md → statuses), as a pure function:
 * the connection acts on the verdict. Acks and subscribe refusals are the client's, not here.
 * Both the documented and the older spellings are understood.
 */
import { ErrorCode, PolygonStreamError } from '../errors.js';

export interface StatusContext {
  /** Auth was sent and not yet answered. */
  authenticating: boolean;
  cluster: string;
  reclaimAfterMs: number | undefined;
  /** Figures for the slow-consumer error (events/s, queue depth, drops, latency). */
  figures: () => Record<string, unknown>;
}

export type StatusVerdict =
  | { kind: 'log' }
  | { kind: 'authenticated' }
  /** Report to the user; the connection goes on. */
  | { kind: 'report'; error: PolygonStreamError }
  /** End this socket: fatal ends the stream, otherwise reconnect (after delayMs when given). */
  | { kind: 'end'; error: PolygonStreamError; fatal: boolean; report: boolean; delayMs?: number };

/** `text` must already be redacted: it is quoted in errors. */
export function interpretStatus(status: string, text: string, ctx: StatusContext): StatusVerdict {
  const end = (code: ErrorCode, message: string, fatal: boolean): StatusVerdict => ({
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
      return {
        kind: 'report',
        error: new PolygonStreamError(ErrorCode.ServerError, `Server error: "${text}"`, {
          serverMessage: text,
        }),
      };
    default:
      // `connected`, and statuses this client does not know: passed on, never a crash.
      return { kind: 'log' };
  }
}

function maxConnections(text: string, ctx: StatusContext): StatusVerdict {
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
