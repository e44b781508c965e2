/**
 * What the sink checks after every (re)connect, before writing again: the run id of the server
 * holding the stream (it changes when that server restarts; on a Cluster, the node owning the key) and the stream's last-generated id ('0-0' when the stream is missing:
 * Redis came back empty, or the stream was deleted or re-created empty). A last id behind the
 * sink's own means Redis no longer holds what the sink wrote after it: REDIS_DATA_LOST, counted by
 * the WrittenLog. (Exact when the sink is the stream's only writer: another writer's later entries
 * would hide a rollback.)
 */
import type { RedisConnection as Redis } from '../open-redis.js';
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import { runIdOf } from '../run-id.js';
import { compareStreamIds } from '../stream-id.js';
import type { WrittenLog } from './written-log.js';

export interface StreamState {
  runId: string;
  lastId: string;
  length: number;
}

export async function readStreamState(client: Redis, key: string): Promise<StreamState> {
  const [runId, stream] = await Promise.all([
    runIdOf(client, key),
    client.call('XINFO', 'STREAM', key).catch((err: unknown) => {
      if (err instanceof Error && /no such key/i.test(err.message)) return undefined;
      throw err;
    }),
  ]);
  if (!Array.isArray(stream)) return { runId: runId ?? '', lastId: '0-0', length: 0 };
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < stream.length; i += 2) fields.set(String(stream[i]), stream[i + 1]);
  return {
    runId: runId ?? '',
    lastId: String(fields.get('last-generated-id') ?? '0-0'),
    length: Number(fields.get('length') ?? 0),
  };
}

/**
 * Compare `state` with what `log` says the sink wrote; when Redis is behind, forget the lost batches
 * and return the report (details: lost, bound, restarted, both last ids).
 */
export function checkForLoss(
  key: string,
  state: StreamState,
  previousRunId: string | undefined,
  log: WrittenLog,
): PolygonStreamError | undefined {
  const ours = log.lastId;
  if (ours === undefined || compareStreamIds(state.lastId, ours) >= 0) return undefined;
  const restarted = previousRunId !== undefined && state.runId !== previousRunId;
  const { lost, bound } = log.rolledBackTo(state.lastId);
  const how =
    state.lastId === '0-0'
      ? `the stream ${key} is missing or empty`
      : `${key} ends at ${state.lastId}, before the sink's last entry ${ours}`;
  const cause = restarted ? 'Redis restarted (run_id changed) and ' : '';
  const count = bound === 'exact' ? `${lost}` : `${bound} ${lost}`;
  return new PolygonStreamError(
    ErrorCode.RedisDataLost,
    `RedisSink: ${cause}${how}: ${count} events the sink had written are gone`,
    { key, lost, bound, restarted, redisLastId: state.lastId, sinkLastId: ours },
  );
}
