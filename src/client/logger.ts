/**
 * Pluggable logging. Silent by default; `enableConnectionLogs` prints to stderr; or bring your own
 * (pino, winston and console all fit). Every message and field is masked (src/redact.ts): the API key never leaves.
 */
import { redactText, redactValue } from '../redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Wrap `logger` so that `secret` is masked in every message and field. */
export function redactingLogger(logger: Logger, secret: string): Logger {
  const wrap =
    (level: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      logger[level](redactText(message, secret), redactValue(fields, secret));
    };
  return Object.fromEntries(LOG_LEVELS.map((l) => [l, wrap(l)])) as unknown as Logger;
}
