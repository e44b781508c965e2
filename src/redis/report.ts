/**
 * Reporting a runtime failure of the sink or the reader so that it is never silent: to `onError`
 * when given, to 'error' listeners when there are any, and otherwise as a one-line warning on the
 * logger (stderr by default). An unheard 'error' event must not crash the process, and a throwing
 * handler must not break the caller.
 */
import type { EventEmitter } from 'node:events';
import type { PolygonStreamError } from '../errors.js';

/** Where a report goes when nobody listens: `warn(message)` (default: one line on stderr). */
export interface WarnLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const stderrLogger: WarnLogger = {
  warn(message) {
    process.stderr.write(`${message}\n`);
  },
};

export function reportError(
  emitter: EventEmitter,
  onError: ((err: PolygonStreamError) => void) | undefined,
  logger: WarnLogger,
  err: PolygonStreamError,
): void {
  try {
    onError?.(err);
    if (emitter.listenerCount('error') > 0) emitter.emit('error', err);
    else if (!onError) logger.warn(`polygon-stream [${err.code}] ${err.message}`);
  } catch {
    // a throwing handler must not break the caller
  }
}
