/**
 * Entry format v2, the writing side: each entry's events as one JSON array (`data`) with their
 * number (`n`), the arguments XADD_BATCH (sink-scripts.ts) takes after the ceiling. One
 * JSON.stringify per entry; only when that throws (a BigInt, a cycle) are the entry's events
 * serialized one by one to leave out just the ones that cannot be.
 */
import type { WireEvent } from '../../protocol/codec.js';

export interface EncodedBatch {
  /** (n, data) per entry. */
  args: string[];
  /** The entries encoded (without the events left out), to requeue if the write fails. */
  entries: WireEvent[][];
  /** Events in `entries`. */
  events: number;
}

export function encodeEntries(
  entries: readonly WireEvent[][],
  unserializable: (event: WireEvent, err: unknown) => void,
): EncodedBatch {
  const out: EncodedBatch = { args: [], entries: [], events: 0 };
  for (let entry of entries) {
    let data: string;
    try {
      data = JSON.stringify(entry);
    } catch {
      entry = entry.filter((event) => {
        try {
          JSON.stringify(event);
          return true;
        } catch (err) {
          unserializable(event, err);
          return false;
        }
      });
      if (entry.length === 0) continue;
      data = JSON.stringify(entry);
    }
    out.args.push(String(entry.length), data);
    out.entries.push(entry);
    out.events += entry.length;
  }
  return out;
}
