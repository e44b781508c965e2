/**
 * The only place the library prints: the Python `polygon` library's default handlers (message,
 * error, close) and the opt-in connection log. Users who pass their own handlers or logger never
 * see output from us.
 */
import { isStatusFrame } from '../protocol/codec.js';
import { redactJsonText } from '../redact.js';
import { LOG_LEVELS, type Logger } from './logger.js';
import type { PolygonStreamError } from '../errors.js';

/**
 * The Python `polygon` library's default message handler: status messages are reported as such,
 * everything else printed; the API key (a server status may quote it) is masked, also where the
 * frame's JSON escapes it.
 */
export function defaultOnMessage(secret: string): (client: unknown, raw: string) => void {
  return (_client, raw) => {
    const text = redactJsonText(raw, secret);
    console.log(isStatusFrame(raw) ? `status: ${text}` : text);
  };
}

export function defaultOnError(_client: unknown, error: PolygonStreamError): void {
  console.error(`error [${error.code}]: ${error.message}`);
}

export function defaultOnClose(_client: unknown, code: number, reason: string): void {
  console.log(`Stream closed with code: ${code} || msg: ${reason}`);
}

/** The `enableConnectionLogs` logger: one line per event on stderr. */
export const stderrLogger: Logger = Object.fromEntries(
  LOG_LEVELS.map((level) => [
    level,
    (message: string, fields?: Record<string, unknown>) =>
      console.error(
        `[polygon-stream] ${new Date().toISOString()} ${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`,
      ),
  ]),
) as unknown as Logger;
