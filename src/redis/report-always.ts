/**
 * Reporting a Redis fan-out problem so that it is never silent: to `onError` when given, to
 * 'error' listeners when there are any, and when neither heard it, as one line on stderr. A
 * throwing handler must not break the loop that reports.
 */
import type { EventEmitter } from 'node:events';
import type { PolygonStreamError } from '../errors.js';

export function reportAlways(
  err: PolygonStreamError,
  onError: ((err: PolygonStreamError) => void) | undefined,
  emitter: EventEmitter,
): void {
  const listened = emitter.listenerCount('error') > 0;
  try {
    onError?.(err);
    if (listened) emitter.emit('error', err);
  } catch {
    // a throwing handler must not break the caller
  }
  if (!onError && !listened) process.stderr.write(`polygon-stream: ${err.code}: ${err.message}\n`);
}
