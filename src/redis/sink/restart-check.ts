/**
 * What the sink checks after every (re)connect, before writing again: the run id of the server
 * holding the stream (it changes when that server restarts; on a Cluster, the node owning the key)
 * and the stream's last-generated id ('0-0' when the stream is missing: Redis came back empty, or
 * the stream was deleted or re-created empty). A last id behind the
 * sink's own means Redis no longer holds what the sink wrote after it: REDIS_DATA_LOST, counted by
 * the WrittenLog. (Exact when the sink is the stream's only writer: another writer's later entries
 * would hide a rollback.) RestartCheck runs it for the one-stream writer (stream-writer.ts): once
 * per (re)connect or lost Cluster node connection, again when a connection was lost while it ran,
 * and it says when writing may go on.
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

/** What RestartCheck needs of its writer. */
export interface CheckedWriter {
  readonly key: string;
  /** Connected to Redis. */
  connected(): boolean;
  /** Still writing with `client` (not closed, and still its connection). */
  writing(client: Redis): boolean;
  /** Settles once no write is in flight. */
  settled(): Promise<unknown>;
  /** Redis no longer holds part of what was written: count and report `loss`. */
  lost(loss: PolygonStreamError): void;
  /** The check passed: writing may go on. */
  checked(): void;
}

export class RestartCheck {
  readonly #writer: CheckedWriter;
  readonly #log: WrittenLog;
  readonly #retryMs: number;
  #passed = false;
  /** Bumped by every lost connection (a Cluster's: to any node): a check begun before proves nothing. */
  #lostConnections = 0;
  /** A check is running: at most one at a time (it checks again when it proved nothing). */
  #running = false;
  #runId: string | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(writer: CheckedWriter, log: WrittenLog, retryMs: number) {
    this.#writer = writer;
    this.#log = log;
    this.#retryMs = retryMs;
  }

  /** Redis checked since the last (re)connect: writing may go on. */
  get passed(): boolean {
    return this.#passed;
  }

  /** A (re)connect: nothing is written until `run` passed. */
  reset(): void {
    this.#passed = false;
  }

  /** A connection was lost: a check running proves nothing. */
  connectionLost(): void {
    this.#lostConnections++;
  }

  /**
   * Cluster: one node's connection closed while the cluster stays up. The node may come back as a
   * server that lost its data: stop writing and check the stream (on the node owning it) again.
   * True when writing had been let go on.
   */
  nodeLost(client: Redis): boolean {
    this.#lostConnections++;
    const passed = this.#passed;
    this.#passed = false;
    this.#retry(client);
    return passed;
  }

  /**
   * After a (re)connect (or a lost Cluster node connection), before writing: did Redis come back
   * empty or rolled back? Count and report what it no longer holds of what the sink wrote, then
   * let writing go on.
   */
  async run(client: Redis): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const lost = this.#lostConnections;
    let state;
    try {
      // A write in flight (to a Cluster node that stayed up) would land after the stream was read.
      await this.#writer.settled();
      state = await readStreamState(client, this.#writer.key);
    } catch {
      // Lost again (or refused): the next 'ready' checks again; until then nothing is written.
      if (this.#writer.connected()) this.#retry(client);
      return;
    } finally {
      this.#running = false;
    }
    if (!this.#writer.writing(client)) return;
    if (lost !== this.#lostConnections) {
      this.#retry(client);
      return;
    }
    const loss = checkForLoss(this.#writer.key, state, this.#runId, this.#log);
    this.#runId = state.runId;
    if (loss) this.#writer.lost(loss);
    this.#passed = true;
    this.#writer.checked();
  }

  /** Closed: no check again. */
  stop(): void {
    clearTimeout(this.#timer);
  }

  #retry(client: Redis): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (this.#writer.connected() && !this.#passed && this.#writer.writing(client)) {
        void this.run(client);
      }
    }, this.#retryMs);
    this.#timer.unref();
  }
}
