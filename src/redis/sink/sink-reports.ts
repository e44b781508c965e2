/**
 * The RedisSink's reports, built here so that each says the same thing wherever it is raised: the
 * code, a message naming the stream and the counts, and the counts again in `details`.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import type { WireEvent } from '../../protocol/codec.js';

export function outageReport(
  url: string,
  cause: Error | undefined,
  maxBuffer: number,
  buffered: number,
): PolygonStreamError {
  const reason = cause ? `: ${cause.message}` : '';
  return new PolygonStreamError(
    ErrorCode.RedisUnavailable,
    `RedisSink: lost Redis at ${url}${reason}; buffering up to ${maxBuffer} events`,
    { url, buffered },
    cause ? { cause } : undefined,
  );
}

export function overflowReport(maxBuffer: number, dropped: number): PolygonStreamError {
  return new PolygonStreamError(
    ErrorCode.SinkOverflow,
    `RedisSink: buffer full (${maxBuffer} events); dropping new events until Redis catches up`,
    { maxBuffer, dropped },
  );
}

export function unserializableReport(event: WireEvent, cause: unknown): PolygonStreamError {
  return new PolygonStreamError(
    ErrorCode.SinkOverflow,
    `RedisSink: event ${event.ev} is not serializable; dropped`,
    { ev: event.ev },
    { cause },
  );
}

/** Redis refused a batch for another reason than memory (WRONGTYPE, NOPERM…). */
export function refusedReport(key: string, events: number, cause: Error): PolygonStreamError {
  return new PolygonStreamError(
    ErrorCode.RedisUnavailable,
    `RedisSink: Redis refused ${events} events on ${key}: ${cause.message}`,
    { key, events },
    { cause },
  );
}

/** The `maxLen` ceiling trimmed `trimmed` events, in `entries` entries, some group had not read. */
export function trimmedUnreadReport(
  key: string,
  maxLen: number,
  trimmed: number,
  entries: number,
  groups: number,
): PolygonStreamError {
  const who =
    groups === 0
      ? 'nobody had read (the stream has no consumer group)'
      : `some of its ${groups} consumer groups had not read or acknowledged`;
  return new PolygonStreamError(
    ErrorCode.RedisTrimmedUnread,
    `RedisSink: the maxLen ceiling (${maxLen} entries) trimmed ${trimmed} events (${entries} entries) of ${key} that ${who}`,
    { key, trimmed, entries, groups, maxLen },
  );
}
