/**
 * Creating a consumer group, and re-creating one that vanished, for both readers (reader.ts, one
 * stream; partitions/partition-reader.ts, each partition stream).
 */
import type { PolygonStreamError } from '../../errors.js';
import type { RedisConnection } from '../open-redis.js';
import { runIdOf } from '../run-id.js';
import { groupRecreated, redisFailed } from './reader-reports.js';

/** XGROUP CREATE … MKSTREAM at `start`; false when the group already existed (BUSYGROUP). */
export async function createGroup(
  cmd: RedisConnection,
  key: string,
  group: string,
  start: '$' | '0',
): Promise<boolean> {
  try {
    await cmd.xgroup('CREATE', key, group, start, 'MKSTREAM');
    return true;
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('BUSYGROUP')) return false;
    throw redisFailed(err);
  }
}

/**
 * The group vanished (Redis, or the Cluster node holding the stream, restarted empty; or the
 * stream was deleted): re-create it at '0', so that every entry written since is read. Undefined
 * when another consumer re-created it first (it reports); else the server's run id now and the
 * report, which says Redis restarted when that run id differs from `runIdBefore`.
 */
export async function recreateGroup(
  cmd: RedisConnection,
  key: string,
  group: string,
  runIdBefore: string | undefined,
): Promise<{ runId: string | undefined; report: PolygonStreamError } | undefined> {
  if (!(await createGroup(cmd, key, group, '0'))) return undefined;
  const runId = await runIdOf(cmd, key).catch(() => undefined);
  const restarted = runId !== undefined && runIdBefore !== undefined && runId !== runIdBefore;
  return { runId, report: groupRecreated(key, group, restarted) };
}
