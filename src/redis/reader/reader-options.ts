/**
 * readStream's options, checked, with their defaults. Claiming is in seconds: a consumer that died
 * mid-batch has its entries taken over by a live one `claimIdleMs` (5 s) after its last read, looked
 * for every `claimIntervalMs` (1 s). A claim also takes entries from a consumer that is only slow
 * (each takeover is a second delivery), and an entry's idle time runs from the read that fetched
 * its batch: `claimIdleMs` must exceed the time a consumer takes over `count` entries.
 */
import type { PolygonStreamError } from '../../errors.js';
import { checkRedisUrl } from '../open-redis.js';
import { deadLetterKeyOf } from '../partition-keys.js';
import {
  duration,
  fn,
  integer,
  invalidOption,
  MAX_TIMER_MS,
  plainObject,
  string,
} from '../../validate.js';

/** A partition lease's lifetime without renewal, by default. */
export const DEFAULT_LEASE_MS = 3_000;

export interface ReadStreamOptions {
  /** As RedisSink's: `redis://…`, `rediss://…` or `redis+cluster://host:port[,…]`. */
  url: string;
  /** Stream key (the sink's `key`, e.g. `polygon:stocks`). */
  key: string;
  group: string;
  /** This consumer's name, unique in the group (e.g. host + pid). */
  consumer: string;
  /**
   * The sink's `partitions` (default 1: the stream is `key`). With P > 1 the consumers of the group
   * share the partition streams `{key:0}` … `{key:P-1}`, one owner per partition at a time through
   * leases, so each symbol's events are handled in order by one consumer at a time (see
   * partitions/partition-reader.ts). Must equal the sink's.
   */
  partitions?: number;
  /**
   * With partitions > 1: how long a partition's lease lasts without renewal (default 3000 ms,
   * renewed every third of it). A dead consumer's partitions are taken over within about
   * 4/3 × leaseMs; a consumer that cannot renew in time stops handing out that partition's entries.
   */
  leaseMs?: number;
  /** Entries per XREADGROUP (default 100). */
  count?: number;
  /** XREADGROUP BLOCK (default 1000 ms). */
  blockMs?: number;
  /** Claim entries pending longer than this from other consumers (default 5000 ms). */
  claimIdleMs?: number;
  /** How often to look for such entries (default 1000 ms). */
  claimIntervalMs?: number;
  /**
   * Times an entry may be handed to a worker (default 5): an entry claimed once more than this
   * (it kept killing its worker) goes to the dead-letter stream instead (REDIS_DEAD_LETTERED).
   */
  maxDeliveries?: number;
  /**
   * Where entries that are not events or past maxDeliveries go (default `${key}:dead`; with
   * partitions > 1 always each partition's `{key:p}:dead`).
   */
  deadLetterKey?: string;
  /** How often to look for missed entries and dead consumers (default 5000 ms). */
  checkIntervalMs?: number;
  /**
   * Remove other consumers of the group with no pending entries idle longer than this
   * (default 60 000 ms; 0 never removes). A live reader is never idle much past `blockMs`.
   */
  deadConsumerIdleMs?: number;
  /**
   * Where a group that does not exist yet starts: '$' new entries only (default), '0' the whole
   * stream. A group that vanishes while reading (Redis restarted empty) is re-created at '0'.
   */
  start?: '$' | '0';
  /** Ends the loop cleanly (acknowledging what was handled). */
  signal?: AbortSignal;
  connectTimeoutMs?: number;
  /**
   * Reports: poison entries, dead-lettered entries, a re-created group, missed entries. Without
   * it they go to 'error' listeners, or else one line on stderr: never silent.
   */
  onError?: (err: PolygonStreamError) => void;
}

export type ReaderSettings = Required<
  Omit<ReadStreamOptions, 'signal' | 'onError' | 'connectTimeoutMs'>
> &
  Pick<ReadStreamOptions, 'signal' | 'onError' | 'connectTimeoutMs'>;

export function readerSettings(given: ReadStreamOptions): ReaderSettings {
  const options = plainObject<ReadStreamOptions>('readStream', 'options', given ?? null);
  checkRedisUrl(options.url, 'readStream');
  for (const name of ['key', 'group', 'consumer'] as const) {
    if (typeof options[name] !== 'string' || options[name].length === 0) {
      throw invalidOption('readStream', name, 'a non-empty string', options[name]);
    }
  }
  if (options.start !== undefined && options.start !== '$' && options.start !== '0') {
    throw invalidOption('readStream', 'start', "'$' or '0'", options.start);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw invalidOption('readStream', 'signal', 'an AbortSignal', options.signal);
  }
  if (options.onError !== undefined) fn('readStream', 'onError', options.onError);
  const partitions = integer('readStream', 'partitions', options.partitions ?? 1, { min: 1 });
  if (partitions > 1 && options.deadLetterKey !== undefined) {
    throw invalidOption(
      'readStream',
      'deadLetterKey',
      "omitted with partitions > 1 (each partition's dead letters go to {key:p}:dead)",
      options.deadLetterKey,
    );
  }
  const deadLetterKey =
    options.deadLetterKey === undefined
      ? deadLetterKeyOf(options.key)
      : string('readStream', 'deadLetterKey', options.deadLetterKey);
  if (deadLetterKey.length === 0 || deadLetterKey === options.key) {
    throw invalidOption(
      'readStream',
      'deadLetterKey',
      'a non-empty key other than key',
      deadLetterKey,
    );
  }
  const ms = (name: keyof ReadStreamOptions, fallback: number): number =>
    duration('readStream', name, options[name] ?? fallback);
  return {
    url: options.url,
    key: options.key,
    group: options.group,
    consumer: options.consumer,
    partitions,
    leaseMs: integer('readStream', 'leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS, {
      min: 30,
      max: MAX_TIMER_MS,
    }),
    count: integer('readStream', 'count', options.count ?? 100, { min: 1 }),
    blockMs: ms('blockMs', 1_000),
    claimIdleMs: ms('claimIdleMs', 5_000),
    claimIntervalMs: ms('claimIntervalMs', 1_000),
    maxDeliveries: integer('readStream', 'maxDeliveries', options.maxDeliveries ?? 5, { min: 1 }),
    deadLetterKey,
    checkIntervalMs: ms('checkIntervalMs', 5_000),
    deadConsumerIdleMs: ms('deadConsumerIdleMs', 60_000),
    start: options.start ?? '$',
    signal: options.signal,
    onError: options.onError,
    connectTimeoutMs:
      options.connectTimeoutMs === undefined
        ? undefined
        : duration('readStream', 'connectTimeoutMs', options.connectTimeoutMs, { min: 1 }),
  };
}
