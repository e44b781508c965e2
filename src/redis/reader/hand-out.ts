/**
 * The one per-entry step of both readers (reader.ts, partitions/partition-reader.ts), run over the batches a
 * reader reads: each batch's entries in order. An entry handed out more than `maxDeliveries` times
 * goes to the dead-letter stream (dead-letter.ts, reported as REDIS_DEAD_LETTERED); one that is
 * not a batch of events (decode-entry.ts: entry format v2, `n` and a `data` JSON array, or the old
 * one event per entry) goes there too (REDIS_POISON_ENTRY); any other entry's events are yielded
 * one at a time, and once the consumer asks for the next event after its last one, the entry is
 * handled: its id joins the batch's `acks`.
 *
 * The reader's batches come from its own generator, which acknowledges a batch's `acks` when asked
 * for the next batch (the batch was handed out) and, in its `finally`, whatever is left when the
 * loop ends (stopped, `break`, an exception). The events go to the consumer straight from here: one
 * generator step per event, however many batches.
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

/** A batch read, and where from. */
export interface Batch {
  cmd: Redis;
  /** The stream and group the entries were read from, and their dead-letter stream. */
  target: DeadLetterTarget;
  entries: readonly DeliveredEntry[];
  /** True when taken over from another consumer. */
  claimed: boolean;
  /** With `partitions` > 1: the partition the entries came from. */
  partition?: number;
  /** Ids whose handler returned, not yet acknowledged: the reader's generator sends them. */
  acks: string[];
  /** Checked before each entry: false leaves it and the rest of the batch pending. */
  holds?: () => boolean;
}

/** What does not change from batch to batch. */
export interface HandOutContext {
  maxDeliveries: number;
  report: (err: PolygonStreamError) => void;
  /** True once the reader was stopped: its generator is then ended after the entry's event. */
  stopped: () => boolean;
}

/** `item(…)` for each event of each batch of `batches`, as described above. */
export async function* handOut<E, T>(
  batches: AsyncGenerator<Batch, void, undefined>,
  item: EntryItem<E, T>,
  context: HandOutContext,
): AsyncGenerator<T, void, undefined> {
  const { maxDeliveries, report, stopped } = context;
  for await (const batch of batches) {
    const { cmd, target, claimed, partition, acks } = batch;
    try {
      for (const { id, fields, deliveries } of batch.entries) {
        if (batch.holds && !batch.holds()) break;
        if (deliveries > maxDeliveries) {
          const handed = deliveries - 1;
          const reason = deliveryLimitReason(handed, maxDeliveries);
          await moveToDeadLetter(cmd, target, id, fields, reason, handed);
          report(deadLettered({ ...target, id }, handed, maxDeliveries));
          continue;
        }
        const decoded = decodeEntry<E>(fields);
        if ('poison' in decoded) {
          // Never handed to a worker: the delivery that found it out does not count.
          await moveToDeadLetter(cmd, target, id, fields, decoded.poison, deliveries - 1);
          report(poisonEntry({ ...target, id }, decoded.poison));
          continue;
        }
        const { events } = decoded;
        for (let index = 0; index < events.length; index++) {
          yield item(id, index, events[index]!, claimed, partition);
          // Stopped before the entry's last event: the rest is not handled, the entry stays pending.
          if (stopped() && index < events.length - 1) return;
        }
        // The consumer asked for the next event after the entry's last: the entry is handled.
        acks.push(id);
        if (stopped()) return;
      }
    } catch (err) {
      // Dead-lettering failed: the loop ends, quietly when the reader was stopped.
      if (!stopped()) throw err;
      return;
    }
  }
}

async function moveToDeadLetter(
  cmd: Redis,
  target: DeadLetterTarget,
  id: string,
  fields: string[],
  reason: string,
  handed: number,
): Promise<void> {
  await deadLetter(cmd, target, id, fields, reason, handed).catch((err: unknown) =>
    Promise.reject(redisFailed(err)),
  );
}
