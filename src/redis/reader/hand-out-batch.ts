/**
 * The one per-entry step of both readers (reader.ts, and partition-reader.ts for each partition's
 * batch): the entries of a batch, in order. An entry handed out more than `maxDeliveries` times
 * goes to the dead-letter stream (dead-letter.ts, reported as REDIS_DEAD_LETTERED); one that is
 * not a batch of events (decode-entry.ts: entry format v2, `n` and a `data` JSON array, or the old
 * one event per entry) goes there too (REDIS_POISON_ENTRY); any other entry's events are yielded
 * one at a time, and once the consumer asks for the next event after its last one, the entry is
 * handled: its id joins `acks`, which the caller acknowledges.
 */
import type { PolygonStreamError } from '../../errors.js';
import type { RedisConnection as Redis } from '../open-redis.js';
import { deadLetter, type DeadLetterTarget } from './dead-letter.js';
import { decodeEntry } from './decode-entry.js';
import { deadLettered, deliveryLimitReason, poisonEntry, redisFailed } from './reader-reports.js';

/** An entry to decode and hand out. */
export interface DeliveredEntry {
  id: string;
  fields: string[];
  /** Times handed out, this one included. */
  deliveries: number;
}

/** What a reader yields for one event: its entry's id, its index in the entry, and so on. */
export type EntryItem<E, T> = (
  id: string,
  index: number,
  event: E,
  claimed: boolean,
  partition?: number,
) => T;

/** A batch to hand out and where it came from. */
export interface Batch {
  cmd: Redis;
  /** The stream and group the entries were read from, and their dead-letter stream. */
  target: DeadLetterTarget;
  maxDeliveries: number;
  entries: readonly DeliveredEntry[];
  /** True when taken over from another consumer. */
  claimed: boolean;
  /** With `partitions` > 1: the partition the entries came from. */
  partition?: number;
  /** Ids whose handler returned, not yet acknowledged: the caller sends them. */
  acks: string[];
  report: (err: PolygonStreamError) => void;
  /** True once the reader was stopped. */
  stopped: () => boolean;
  /** Checked before each entry: false leaves it and the rest of the batch pending. */
  holds?: () => boolean;
}

/**
 * Hands out `batch` as described above. Returns true when the reader stopped in it: the caller
 * then ends without acknowledging (an entry stopped in the middle of stays pending; the ids in
 * `acks` are the caller's to send as it closes); false when the batch is done (or `holds` said
 * no), and `acks` is to be acknowledged.
 */
export async function* handOutBatch<E, T>(
  batch: Batch,
  item: EntryItem<E, T>,
): AsyncGenerator<T, boolean, undefined> {
  const { claimed, partition, acks } = batch;
  for (const { id, fields, deliveries } of batch.entries) {
    if (batch.holds && !batch.holds()) break;
    if (deliveries > batch.maxDeliveries) {
      const handed = deliveries - 1;
      const reason = deliveryLimitReason(handed, batch.maxDeliveries);
      await moveToDeadLetter(batch, id, fields, reason, handed);
      batch.report(deadLettered({ ...batch.target, id }, handed, batch.maxDeliveries));
      continue;
    }
    const decoded = decodeEntry<E>(fields);
    if ('poison' in decoded) {
      // Never handed to a worker: the delivery that found it out does not count.
      await moveToDeadLetter(batch, id, fields, decoded.poison, deliveries - 1);
      batch.report(poisonEntry({ ...batch.target, id }, decoded.poison));
      continue;
    }
    const { events } = decoded;
    for (let index = 0; index < events.length; index++) {
      yield item(id, index, events[index]!, claimed, partition);
      // Stopped before the entry's last event: the rest is not handled, the entry stays pending.
      if (batch.stopped() && index < events.length - 1) return true;
    }
    // The consumer asked for the next event after the entry's last: the entry is handled.
    acks.push(id);
    if (batch.stopped()) return true;
  }
  return false;
}

async function moveToDeadLetter(
  batch: Batch,
  id: string,
  fields: string[],
  reason: string,
  handed: number,
): Promise<void> {
  await deadLetter(batch.cmd, batch.target, id, fields, reason, handed).catch((err: unknown) =>
    Promise.reject(redisFailed(err)),
  );
}
