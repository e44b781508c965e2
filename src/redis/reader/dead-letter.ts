/**
 * Moving an entry a consumer group cannot use to the dead-letter stream (`${key}:dead` by default):
 * one XADD there and the XACK in the group, in one MULTI, so the entry is never both acknowledged
 * and lost, nor dead-lettered and still pending. The dead-letter entry holds `id` (the original
 * id), `reason`, `data` (the original fields as a JSON object) and `deliveries` (how many times it
 * had been handed to a worker).
 *
 * On a Redis Cluster a MULTI may only touch keys of one slot. A partition's dead-letter stream
 * `{K:p}:dead` shares its stream's slot, so it keeps the MULTI; the single default key
 * (`polygon:stocks`, no hash tag) and its `polygon:stocks:dead` lie in two slots, so there it is
 * two commands: the XADD, then the XACK. A failure between them leaves the entry pending: it is
 * dead-lettered again later (a duplicate in the dead-letter stream, never a loss).
 */
import type { RedisConnection as Redis } from '../open-redis.js';
import { keySlot } from '../key-slot.js';
import { fieldsObject } from './decode-entry.js';

export interface DeadLetterTarget {
  key: string;
  group: string;
  deadLetterKey: string;
}

export async function deadLetter(
  cmd: Redis,
  target: DeadLetterTarget,
  id: string,
  fields: readonly string[],
  reason: string,
  deliveries: number,
): Promise<void> {
  const data = JSON.stringify(fieldsObject(fields));
  const entry = ['id', id, 'reason', reason, 'data', data, 'deliveries', String(deliveries)];
  if (cmd.isCluster && keySlot(target.deadLetterKey) !== keySlot(target.key)) {
    await cmd.xadd(target.deadLetterKey, '*', ...entry);
    await cmd.xack(target.key, target.group, id);
    return;
  }
  const replies = await cmd
    .multi()
    .xadd(target.deadLetterKey, '*', ...entry)
    .xack(target.key, target.group, id)
    .exec();
  for (const [err] of replies ?? []) if (err) throw err;
  if (replies === null) throw new Error(`dead-lettering ${id}: the transaction was aborted`);
}
