/**
 * How the consumers of a group share P partitions, decided by each consumer alone from what the
 * heartbeats tell it (the live consumers and how many partitions each owns), with no Redis here:
 *
 * - with N live consumers each aims for ceil(P / N) partitions;
 * - one holding more than that releases the extras (the ones it took last);
 * - one holding more than floor(P / N) while another holds fewer releases one, if it is among
 *   those holding the most, so that a consumer that joins a full group gets its share;
 * - one holding fewer than ceil(P / N) tries the partitions it does not own, starting at a place
 *   its name picks (so that consumers starting together try different ones first).
 *
 * The shares add up to at least P, so every partition ends up owned; the free ones are those whose
 * owner released them or died (its lease expired).
 */
import { fnv1a32 } from '../../partition-keys.js';

export interface BalanceInput {
  partitions: number;
  /** This consumer's name. */
  me: string;
  /** The partitions this consumer owns, in the order it took them. */
  owned: readonly number[];
  /** Live consumers of the group (this one included or not) → partitions each owns. */
  live: ReadonlyMap<string, number>;
}

export interface BalancePlan {
  /** Release these (after acknowledging what was handled). */
  release: number[];
  /** Try these, in order, until `want` were taken. */
  candidates: number[];
  want: number;
}

export function balance({ partitions, me, owned, live }: BalanceInput): BalancePlan {
  const counts = new Map(live);
  counts.set(me, owned.length);
  const n = counts.size;
  const most = Math.ceil(partitions / n);
  const least = Math.floor(partitions / n);
  if (owned.length > most) {
    return { release: owned.slice(most), candidates: [], want: 0 };
  }
  const max = Math.max(...counts.values());
  const starved = [...counts.values()].some((c) => c < least);
  if (starved && owned.length > least && owned.length === max) {
    return { release: owned.slice(-1), candidates: [], want: 0 };
  }
  const want = most - owned.length;
  if (want === 0) return { release: [], candidates: [], want: 0 };
  const mine = new Set(owned);
  const start = fnv1a32(me) % partitions;
  const candidates: number[] = [];
  for (let i = 0; i < partitions; i++) {
    const p = (start + i) % partitions;
    if (!mine.has(p)) candidates.push(p);
  }
  return { release: [], candidates, want };
}
