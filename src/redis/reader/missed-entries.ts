/**
 * Finding out whether a consumer group missed entries: entries added to the stream that were
 * trimmed (MAXLEN/MINID) or deleted (XDEL) before the group read them. Needs Redis 7.0+, which
 * counts `entries-added` per stream and `entries-read` per group:
 *
 *   missed = entries-added − entries-read − (entries still in the stream after the group's
 *            last-delivered-id)
 *
 * The last term is the stream's length when the group is behind its first entry, 0 when the group
 * has read up to the last id, and otherwise counted with one XRANGE when it is at most
 * `MAX_COUNTED_UNREAD` entries; past that the check waits for a better moment. Redis sets a group's
 * `entries-read` to null when it cannot tell (a group created at an arbitrary id, entries deleted
 * by XDEL ahead of the group): then the answer is 'unknown' when something was deleted ahead of
 * the group. Before 7.0 none of these fields exist and the answer is 'unsupported'.
 */
import type { RedisConnection as Redis } from '../open-redis.js';

/** Counting unread entries with XRANGE costs a reply this long at most. */
export const MAX_COUNTED_UNREAD = 1_000;

export type MissedCheck =
  | { missed: number }
  | { missed: 'unknown' }
  /** Not this time: too many unread entries to count cheaply. */
  | { missed: 'later' }
  | { missed: 'unsupported' }
  /** The stream or the group does not exist. */
  | { missed: 'no-group' };

/** A flat XINFO reply (field, value, field, value…) as an object. */
export function infoObject(reply: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

/** -1, 0 or 1 as stream id `a` is before, equal to or after `b` (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

export interface StreamFacts {
  length: number;
  entriesAdded: number | undefined;
  maxDeletedId: string | undefined;
  firstId: string | undefined;
  lastId: string;
}

export interface GroupFacts {
  lastDeliveredId: string;
  entriesRead: number | null | undefined;
}

/**
 * The missed count from XINFO facts, given `countUnread` to count the entries after an id when
 * that is needed (and cheap enough: it returns undefined otherwise).
 */
export async function missedFrom(
  stream: StreamFacts,
  group: GroupFacts,
  countUnread: (afterId: string) => Promise<number | undefined>,
): Promise<MissedCheck> {
  if (stream.entriesAdded === undefined || group.entriesRead === undefined) {
    return { missed: 'unsupported' };
  }
  const last = group.lastDeliveredId;
  if (group.entriesRead === null) {
    const deletedAhead =
      (stream.maxDeletedId !== undefined && compareIds(stream.maxDeletedId, last) > 0) ||
      (stream.firstId !== undefined &&
        compareIds(stream.firstId, last) > 0 &&
        stream.length < stream.entriesAdded);
    return deletedAhead ? { missed: 'unknown' } : { missed: 0 };
  }
  let unread: number | undefined;
  if (stream.firstId === undefined || compareIds(stream.firstId, last) > 0) unread = stream.length;
  else if (compareIds(last, stream.lastId) >= 0) unread = 0;
  else unread = await countUnread(last);
  if (unread === undefined) return { missed: 'later' };
  return { missed: Math.max(0, stream.entriesAdded - group.entriesRead - unread) };
}

/** XINFO STREAM + XINFO GROUPS (and an XRANGE when needed) for `group` of `key`. */
export async function checkMissed(cmd: Redis, key: string, group: string): Promise<MissedCheck> {
  let streamReply: unknown;
  let groupsReply: unknown;
  // One after the other, the stream first: facts read in this order (then the XRANGE) can only
  // under-count while the sink adds and the group reads meanwhile. In the other order, entries
  // added between the two would count as missed. Sent together they may run in either order: on
  // a Redis Cluster, ioredis knows no key for XINFO, sends each to any node and follows its MOVED
  // reply, so one can overtake the other.
  try {
    streamReply = await cmd.call('XINFO', 'STREAM', key);
    groupsReply = await cmd.call('XINFO', 'GROUPS', key);
  } catch (err) {
    if (err instanceof Error && /no such key/i.test(err.message)) return { missed: 'no-group' };
    throw err;
  }
  const s = infoObject(streamReply);
  const g = (Array.isArray(groupsReply) ? groupsReply : [])
    .map(infoObject)
    .find((info) => String(info['name']) === group);
  if (!g) return { missed: 'no-group' };
  const first = s['first-entry'];
  const maxDeleted = s['max-deleted-entry-id'];
  const stream: StreamFacts = {
    length: Number(s['length']),
    entriesAdded: s['entries-added'] === undefined ? undefined : Number(s['entries-added']),
    maxDeletedId: typeof maxDeleted === 'string' ? maxDeleted : undefined,
    firstId: Array.isArray(first) ? String(first[0]) : undefined,
    lastId: String(s['last-generated-id']),
  };
  const read = g['entries-read'];
  const facts: GroupFacts = {
    lastDeliveredId: String(g['last-delivered-id']),
    entriesRead: read === undefined ? undefined : read === null ? null : Number(read),
  };
  const lag = g['lag'] === null || g['lag'] === undefined ? undefined : Number(g['lag']);
  return missedFrom(stream, facts, async (afterId) => {
    // The unread entries are at most the lag: count them only when that is small.
    if (lag === undefined || lag > MAX_COUNTED_UNREAD) return undefined;
    const ids = (await cmd.call(
      'XRANGE',
      key,
      `(${afterId}`,
      '+',
      'COUNT',
      String(lag + 1),
    )) as unknown[];
    return ids.length;
  });
}
