/**
 * Reading a sink's stream through a consumer group: each event goes to one consumer of the group.
 * An entry is acknowledged once its handler returned, i.e. when the loop asks for the next one or
 * ends through the AbortSignal. A loop broken by an exception (or `break`) leaves the current entry
 * and the rest of its batch pending; XAUTOCLAIM hands entries idle for `claimIdleMs` to a live
 * consumer. Delivery is at least once.
 */
import type { Redis } from 'ioredis';
import type { WireEvent } from '../protocol/codec.js';
import { ErrorCode, PolygonStreamError } from '../errors.js';
import { checkRedisUrl, closeRedis, openRedis } from './open-redis.js';
import { duration, fn, integer, invalidOption, plainObject } from '../validate.js';

export interface ReadStreamOptions {
  url: string;
  /** Stream key (the sink's `key`, e.g. `polygon:stocks`). */
  key: string;
  group: string;
  /** This consumer's name, unique in the group (e.g. host + pid). */
  consumer: string;
  /** Entries per XREADGROUP / XAUTOCLAIM (default 100). */
  count?: number;
  /** XREADGROUP BLOCK (default 1000 ms). */
  blockMs?: number;
  /** Claim entries pending longer than this from other consumers (default 30 000 ms). */
  claimIdleMs?: number;
  /** How often to look for such entries (default: claimIdleMs, at least blockMs). */
  claimIntervalMs?: number;
  /** Where a new group starts: '$' new entries only (default), '0' the whole stream. */
  start?: '$' | '0';
  /** Ends the loop cleanly (acknowledging what was handled). */
  signal?: AbortSignal;
  connectTimeoutMs?: number;
  /** Entries that cannot be decoded (they are acknowledged and skipped). */
  onError?: (err: PolygonStreamError) => void;
}

export interface StreamEntry<E = WireEvent> {
  id: string;
  event: E;
  /** True when taken over from another consumer by XAUTOCLAIM. */
  claimed: boolean;
}

type RawEntry = [id: string, fields: string[] | null];
type ReadReply = [key: string, entries: RawEntry[]][] | null;
type ClaimReply = [next: string, entries: RawEntry[], deleted?: string[]];

export class StreamReader<E = WireEvent> {
  readonly #opts: Required<Omit<ReadStreamOptions, 'signal' | 'onError' | 'connectTimeoutMs'>>;
  readonly #signal: AbortSignal | undefined;
  readonly #onError: ((err: PolygonStreamError) => void) | undefined;
  readonly #connectTimeoutMs: number | undefined;
  #cmd: Redis | undefined;
  #block: Redis | undefined;
  #started = false;
  #stopped = false;
  #claimCursor = '0-0';

  constructor(given: ReadStreamOptions) {
    const options = plainObject<ReadStreamOptions>('readStream', 'options', given ?? null);
    checkRedisUrl(options.url, 'readStream');
    for (const name of ['key', 'group', 'consumer'] as const) {
      if (typeof options[name] !== 'string' || options[name].length === 0) {
        throw invalidOption('readStream', name, 'a non-empty string', options[name]);
      }
    }
    const blockMs = nonNegative(options.blockMs ?? 1_000, 'blockMs');
    const claimIdleMs = nonNegative(options.claimIdleMs ?? 30_000, 'claimIdleMs');
    this.#opts = {
      url: options.url,
      key: options.key,
      group: options.group,
      consumer: options.consumer,
      count: positive(options.count ?? 100, 'count'),
      blockMs,
      claimIdleMs,
      claimIntervalMs: nonNegative(
        options.claimIntervalMs ?? Math.max(claimIdleMs, blockMs),
        'claimIntervalMs',
      ),
      start: options.start ?? '$',
    };
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
      throw invalidOption('readStream', 'signal', 'an AbortSignal', options.signal);
    }
    if (options.onError !== undefined) fn('readStream', 'onError', options.onError);
    this.#signal = options.signal;
    this.#onError = options.onError;
    this.#connectTimeoutMs =
      options.connectTimeoutMs === undefined
        ? undefined
        : duration('readStream', 'connectTimeoutMs', options.connectTimeoutMs, { min: 1 });
  }

  /** End the loop as the AbortSignal would. */
  stop(): void {
    this.#stopped = true;
    this.#block?.disconnect();
    // Commands on the other connection wait through outages; do not let them hold the stop up.
    if (this.#cmd && this.#cmd.status !== 'ready') this.#cmd.disconnect();
  }

  /** The decoded events. */
  async *[Symbol.asyncIterator](): AsyncGenerator<E, void, undefined> {
    for await (const entry of this.entries()) yield entry.event;
  }

  /** Entries with their ids; one iteration per reader. */
  async *entries(): AsyncGenerator<StreamEntry<E>, void, undefined> {
    if (this.#started) {
      throw new PolygonStreamError(
        ErrorCode.InvalidOption,
        'readStream: a StreamReader can be iterated once',
      );
    }
    this.#started = true;
    const onAbort = (): void => this.stop();
    this.#signal?.addEventListener('abort', onAbort, { once: true });
    if (this.#signal?.aborted) this.stop();
    /** Ids whose handler returned, not yet sent to Redis. */
    const acks: string[] = [];
    try {
      if (this.#stopped) return;
      const cmd = (this.#cmd = await this.#connect('reader'));
      const block = (this.#block = await this.#connect('reader-block'));
      if (this.#stopped) return;
      await this.#ensureGroup(cmd);
      let nextClaim = 0;
      while (!this.#stopped) {
        let batch: RawEntry[] = [];
        let claimed = false;
        if (Date.now() >= nextClaim) {
          batch = await this.#autoclaim(cmd, acks);
          claimed = batch.length > 0;
          // A cursor other than 0-0 means more to scan: come back on the next turn.
          nextClaim = this.#claimCursor === '0-0' ? Date.now() + this.#opts.claimIntervalMs : 0;
        }
        if (batch.length === 0) batch = await this.#read(block, cmd);
        for (const [id, fields] of batch) {
          const event = fields ? this.#decode(id, fields) : undefined;
          if (event !== undefined) yield { id, event, claimed };
          // The consumer asked for the next entry: this one is handled.
          acks.push(id);
          if (this.#stopped) return;
        }
        await this.#ack(cmd, acks);
      }
    } catch (err) {
      if (!this.#stopped) throw err;
    } finally {
      this.#signal?.removeEventListener('abort', onAbort);
      this.#block?.disconnect();
      const cmd = this.#cmd;
      if (cmd) {
        if (acks.length > 0 && cmd.status === 'ready') await this.#ack(cmd, acks).catch(() => {});
        await closeRedis(cmd);
      }
    }
  }

  #connect(role: string): Promise<Redis> {
    return openRedis(this.#opts.url, {
      name: `polygon-stream:${role}:${this.#opts.consumer}`,
      queueing: 'wait',
      connectTimeoutMs: this.#connectTimeoutMs,
    });
  }

  async #ensureGroup(cmd: Redis): Promise<void> {
    const { key, group, start } = this.#opts;
    try {
      await cmd.xgroup('CREATE', key, group, start, 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw redisFailed(err);
    }
  }

  /** XREADGROUP '>' (empty on timeout). */
  async #read(block: Redis, cmd: Redis): Promise<RawEntry[]> {
    const { key, group, consumer, count, blockMs } = this.#opts;
    try {
      const reply = (await block.xreadgroup(
        'GROUP',
        group,
        consumer,
        'COUNT',
        count,
        'BLOCK',
        blockMs,
        'STREAMS',
        key,
        '>',
      )) as ReadReply;
      return reply?.[0]?.[1] ?? [];
    } catch (err) {
      if (this.#stopped) return [];
      // The stream (and its group) was deleted under us: recreate and go on.
      if (err instanceof Error && err.message.startsWith('NOGROUP')) {
        await this.#ensureGroup(cmd);
        return [];
      }
      throw redisFailed(err);
    }
  }

  /** XAUTOCLAIM one page of entries idle past claimIdleMs; ids of deleted entries get acked. */
  async #autoclaim(cmd: Redis, acks: string[]): Promise<RawEntry[]> {
    const { key, group, consumer, count, claimIdleMs } = this.#opts;
    let reply: ClaimReply;
    try {
      reply = (await cmd.call(
        'XAUTOCLAIM',
        key,
        group,
        consumer,
        String(claimIdleMs),
        this.#claimCursor,
        'COUNT',
        String(count),
      )) as ClaimReply;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOGROUP')) {
        await this.#ensureGroup(cmd);
        return [];
      }
      throw redisFailed(err);
    }
    this.#claimCursor = reply[0];
    const entries: RawEntry[] = [];
    for (const entry of reply[1]) {
      if (entry[1]) entries.push(entry);
      else acks.push(entry[0]); // Redis 6.2: deleted entry, still pending
    }
    return entries;
  }

  async #ack(cmd: Redis, acks: string[]): Promise<void> {
    if (acks.length === 0) return;
    const ids = acks.splice(0, acks.length);
    try {
      await cmd.xack(this.#opts.key, this.#opts.group, ...ids);
    } catch (err) {
      acks.unshift(...ids);
      throw redisFailed(err);
    }
  }

  #decode(id: string, fields: string[]): E | undefined {
    let data: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'data') {
        data = fields[i + 1];
        break;
      }
    }
    if (data === undefined) {
      // Not written by RedisSink: hand over the fields as they are.
      const event: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) event[fields[i]!] = fields[i + 1]!;
      return event as E;
    }
    try {
      return JSON.parse(data) as E;
    } catch (err) {
      this.#onError?.(
        new PolygonStreamError(
          ErrorCode.MalformedFrame,
          `readStream: entry ${id} of ${this.#opts.key} has invalid JSON data; skipped`,
          { id, key: this.#opts.key },
          { cause: err },
        ),
      );
      return undefined;
    }
  }
}

/**
 * Events of `key` for this consumer of `group`, e.g.
 * `for await (const ev of readStream({ url, key: 'polygon:stocks', group: 'g', consumer: 'w1' }))`.
 * Rejects with REDIS_UNAVAILABLE when Redis does not answer at start.
 */
export function readStream<E = WireEvent>(options: ReadStreamOptions): AsyncIterable<E> {
  return new StreamReader<E>(options);
}

function redisFailed(err: unknown): PolygonStreamError {
  if (err instanceof PolygonStreamError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PolygonStreamError(
    ErrorCode.RedisUnavailable,
    `readStream: Redis failed: ${message}`,
    {},
    { cause: err },
  );
}

function positive(value: unknown, name: string): number {
  return integer('readStream', name, value, { min: 1 });
}

function nonNegative(value: unknown, name: string): number {
  return duration('readStream', name, value);
}
