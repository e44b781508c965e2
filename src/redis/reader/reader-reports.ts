/**
 * The reader's reports (PolygonStreamErrors naming what happened to which entry, group and stream)
 * and the Redis replies it tells apart, shared by the one-stream reader (reader.ts) and the
 * partitioned one (partitions/partition-reader.ts).
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';

/**
 * NOGROUP: the group (or its stream) does not exist; or "no such key" (XINFO, in a script too): the
 * stream is gone, its groups with it (a Redis, or the Cluster node holding it, restarted between
 * two commands).
 */
export function isNoGroup(err: unknown): boolean {
  return err instanceof Error && /^(NOGROUP|ERR no such key)/.test(err.message);
}

export function redisFailed(err: unknown): PolygonStreamError {
  if (err instanceof PolygonStreamError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PolygonStreamError(
    ErrorCode.RedisUnavailable,
    `readStream: Redis failed: ${message}`,
    {},
    { cause: err },
  );
}

export function groupRecreated(key: string, group: string, restarted: boolean): PolygonStreamError {
  const why = restarted
    ? 'Redis restarted (its run id changed) without the data'
    : 'it was deleted';
  return new PolygonStreamError(
    ErrorCode.RedisGroupRecreated,
    `readStream: consumer group ${group} of ${key} was gone (${why}); re-created at 0 to read every entry written since`,
    { key, group, redisRestarted: restarted },
  );
}

export function missedEntries(
  key: string,
  group: string,
  missed: number | 'unknown',
  total: number | 'unknown',
): PolygonStreamError {
  const what =
    missed === 'unknown'
      ? 'an unknown number of entries (Redis cannot tell how many)'
      : `${missed} entr${missed === 1 ? 'y' : 'ies'}`;
  return new PolygonStreamError(
    ErrorCode.RedisMissedEntries,
    `readStream: consumer group ${group} of ${key} missed ${what}: trimmed or deleted before the group read them`,
    { key, group, missed, total },
  );
}

/**
 * What a group missed (missed-entries.ts), reported as the count grows, and once when Redis cannot
 * tell how many: the report each check calls for, if any.
 */
export class MissedReports {
  #reported = 0;
  #unknownReported = false;

  constructor(
    readonly key: string,
    readonly group: string,
  ) {}

  next(missed: number | 'unknown' | 'later' | 'unsupported'): PolygonStreamError | undefined {
    if (typeof missed === 'number') {
      const grown = missed - this.#reported;
      // Lower: the group was reset or re-created by another consumer.
      this.#reported = missed;
      if (grown > 0) return missedEntries(this.key, this.group, grown, missed);
    } else if (missed === 'unknown' && !this.#unknownReported) {
      this.#unknownReported = true;
      return missedEntries(this.key, this.group, 'unknown', 'unknown');
    }
    return undefined;
  }

  /** The group was re-created: count from zero. */
  reset(): void {
    this.#reported = 0;
    this.#unknownReported = false;
  }
}

/** Why an entry past the delivery limit is dead-lettered. */
export function deliveryLimitReason(handed: number, maxDeliveries: number): string {
  return `handed to a worker ${handed} times (maxDeliveries ${maxDeliveries}) without being acknowledged`;
}

export function deadLettered(
  where: { id: string; key: string; group: string; deadLetterKey: string },
  handed: number,
  maxDeliveries: number,
): PolygonStreamError {
  const { id, key, group, deadLetterKey } = where;
  return new PolygonStreamError(
    ErrorCode.RedisDeadLettered,
    `readStream: entry ${id} of ${key} was ${deliveryLimitReason(handed, maxDeliveries)}; moved to ${deadLetterKey}`,
    { id, key, group, deliveries: handed, maxDeliveries, deadLetterKey },
  );
}

export function poisonEntry(
  where: { id: string; key: string; group: string; deadLetterKey: string },
  reason: string,
): PolygonStreamError {
  const { id, key, group, deadLetterKey } = where;
  return new PolygonStreamError(
    ErrorCode.RedisPoisonEntry,
    `readStream: entry ${id} of ${key} is not an event (${reason}); acknowledged and moved to ${deadLetterKey}`,
    { id, key, group, reason, deadLetterKey },
  );
}
