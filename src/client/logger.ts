/**
 * Pluggable logging. Silent by default; `enableConnectionLogs` prints to stderr; or bring your own
 * (pino, winston and console all fit). Every line passes through `redact`: the API key never leaves.
 */
import { redact } from '../errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

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
      const safe =
        fields === undefined
          ? undefined
          : (JSON.parse(redact(JSON.stringify(fields), secret)) as Record<string, unknown>);
      logger[level](redact(message, secret), safe);
    };
  return Object.fromEntries(LEVELS.map((l) => [l, wrap(l)])) as unknown as Logger;
}
