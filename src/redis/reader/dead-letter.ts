/**
 * Moving an entry a consumer group cannot use to the dead-letter stream (`${key}:dead` by default):
 * one XADD there and the XACK in the group, in one MULTI, so the entry is never both acknowledged
 * and lost, nor dead-lettered and still pending. The dead-letter entry holds `id` (the original
 * id), `reason`, `data` (the original fields as a JSON object) and `deliveries` (how many times it
 * had been handed to a worker).
 */
import type { Redis } from 'ioredis';
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
  const replies = await cmd
    .multi()
    .xadd(
      target.deadLetterKey,
      '*',
      'id',
      id,
      'reason',
      reason,
      'data',
      data,
      'deliveries',
      String(deliveries),
    )
    .xack(target.key, target.group, id)
    .exec();
  for (const [err] of replies ?? []) if (err) throw err;
  if (replies === null) throw new Error(`dead-lettering ${id}: the transaction was aborted`);
}
