/**
 * The only place the library prints: the seed's default handlers (message, error, close) and the
 * opt-in connection log. Users who pass their own handlers or logger never see output from us.
 */
import { isStatusFrame } from '../protocol/codec.js';
import type { LogLevel, Logger } from './logger.js';

export function defaultOnMessage(_client: unknown, raw: string): void {
  // The seed's `_default_on_msg`: status messages are reported as such, everything else printed.
  if (isStatusFrame(raw)) console.log(`status: ${raw}`);
  else console.log(raw);
}

export function defaultOnError(_client: unknown, error: Error): void {
  const code = (error as { code?: string }).code;
  console.error(`error${code ? ` [${code}]` : ''}: ${error.message}`);
}

export function defaultOnClose(_client: unknown, code: number, reason: string): void {
  console.log(`Stream closed with code: ${code} || msg: ${reason}`);
}

/** The `enableConnectionLogs` logger: one line per event on stderr. */
export const stderrLogger: Logger = Object.fromEntries(
  (['debug', 'info', 'warn', 'error'] as LogLevel[]).map((level) => [
    level,
    (message: string, fields?: Record<string, unknown>) =>
      console.error(
        `[polygon-stream] ${new Date().toISOString()} ${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`,
      ),
  ]),
) as unknown as Logger;
