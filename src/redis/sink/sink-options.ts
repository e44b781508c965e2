/**
 * The RedisSink's options, checked at the call (INVALID_OPTION naming the option and what is
 * allowed), and its stats shape.
 */
import type { PolygonStreamError } from '../../errors.js';
import { checkRedisUrl } from '../open-redis.js';
import { stderrLogger, type WarnLogger } from '../report.js';
import { duration, fn, integer, invalidOption, plainObject, string } from '../../validate.js';

export interface RedisSinkOptions {
  /** `redis://[:password@]host:port[/db]`, `rediss://` (TLS), or `redis+cluster://host:port[,…]`. */
  url: string;
  /** Filled into `{cluster}` in `streamKey`. */
  cluster?: string;
  /** Stream key template (default `polygon:{cluster}`). */
  streamKey?: string;
  /**
   * A hard ceiling of last resort on the stream's length, in entries (each holds up to
   * `entryEvents` events): a batch that takes the stream past it trims what every group has
   * handled, then the oldest entries down to `maxLen` (exactly), reporting the events in those as
   * REDIS_TRIMMED_UNREAD. None when omitted.
   */
  maxLen?: number;
  /**
   * How often to trim what every consumer group has read and acknowledged (`XTRIM MINID`, default
   * 1000 ms; 0: never). With no group on the stream nothing is trimmed: the stream grows.
   */
  trimIntervalMs?: number;
  /** Most events held (queued + in flight) while Redis is slow or away; more are dropped. */
  maxBuffer?: number;
  /**
   * Streams to spread the events over by symbol (default 1: the stream is `key` itself). With P > 1
   * partition p is the stream `{key:p}`, and an event goes to partition
   * `fnv1a32(utf8(symbol)) % P` (see partition-keys.ts): per-symbol order for readers with the same
   * `partitions`.
   */
  partitions?: number;
  /**
   * Most events in one stream entry (default 100). A frame is one entry; a larger frame is split
   * into entries of this many events; frames queued behind a busy Redis are merged into entries of
   * up to this many.
   */
  entryEvents?: number;
  /** Most events per Redis call, in whole entries (default 10,000; at least one entry per call). */
  batchSize?: number;
  /**
   * Most Redis calls awaiting their reply at once on the sink's connection (default 4): writes are
   * pipelined, replies come back in order. `1`: one call at a time.
   */
  maxInFlight?: number;
  connectTimeoutMs?: number;
  /** How long `close()` waits for the buffer to reach Redis (default 5000). */
  closeTimeoutMs?: number;
  /** Runtime failures, also emitted as 'error' when someone listens. */
  onError?: (err: PolygonStreamError) => void;
  /** Where a failure goes when there is no `onError` and no 'error' listener (default: stderr). */
  logger?: WarnLogger;
}

export interface RedisSinkStats {
  /**
   * Events Redis confirmed and, as far as the sink can know, still holds or handed to a consumer
   * group: confirmed minus `lost`.
   */
  written: number;
  /** Events Redis confirmed and later lost, by cause (each reported, see the codes). */
  lost: {
    /** Gone with a restart or rollback of Redis (REDIS_DATA_LOST). */
    restart: number;
    /** Trimmed by the `maxLen` ceiling before every group had read them (REDIS_TRIMMED_UNREAD). */
    trimmed: number;
  };
  /** With `partitions` > 1: each partition's own stats, partition 0 first (the above are sums). */
  partitions?: RedisSinkStats[];
  /** Events held: queued or in flight (sent, reply not back yet). */
  buffered: number;
  /** Events given up: past `maxBuffer`, refused by Redis, unserializable, or left at close. */
  dropped: number;
  /** Of `dropped`: refused by Redis for memory (REDIS_MEMORY_FULL). */
  droppedForMemory: number;
  /** Runtime errors reported (outages, overflows, refusals). */
  errors: number;
  connected: boolean;
}

export const DEFAULT_STREAM_KEY = 'polygon:{cluster}';
export const DEFAULT_MAX_BUFFER = 100_000;
export const DEFAULT_BATCH_SIZE = 10_000;
export const DEFAULT_ENTRY_EVENTS = 100;
export const DEFAULT_MAX_IN_FLIGHT = 4;
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
const DEFAULT_TRIM_INTERVAL_MS = 1_000;

/** The options once checked, with their defaults, and the stream key filled in. */
export interface SinkSettings {
  url: string;
  key: string;
  /** '' = no ceiling. */
  maxLen: string;
  trimIntervalMs: number;
  partitions: number;
  maxBuffer: number;
  entryEvents: number;
  batchSize: number;
  maxInFlight: number;
  connectTimeoutMs: number | undefined;
  closeTimeoutMs: number;
  onError: ((err: PolygonStreamError) => void) | undefined;
  logger: WarnLogger;
}

export function sinkSettings(given: RedisSinkOptions): SinkSettings {
  const options = plainObject<RedisSinkOptions>('RedisSink', 'options', given ?? null);
  checkRedisUrl(options.url, 'RedisSink');
  const template = string('RedisSink', 'streamKey', options.streamKey ?? DEFAULT_STREAM_KEY);
  if (options.cluster !== undefined) string('RedisSink', 'cluster', options.cluster);
  if (options.onError !== undefined) fn('RedisSink', 'onError', options.onError);
  if (options.logger !== undefined) fn('RedisSink', 'logger.warn', options.logger?.warn);
  if (template.includes('{cluster}') && !options.cluster) {
    throw invalidOption('RedisSink', 'streamKey', 'given with the cluster option', template);
  }
  return {
    url: options.url,
    key: template.split('{cluster}').join(options.cluster ?? ''),
    maxLen: options.maxLen === undefined ? '' : String(positive(options.maxLen, 'maxLen')),
    trimIntervalMs: duration(
      'RedisSink',
      'trimIntervalMs',
      options.trimIntervalMs ?? DEFAULT_TRIM_INTERVAL_MS,
    ),
    partitions: positive(options.partitions ?? 1, 'partitions'),
    maxBuffer: positive(options.maxBuffer ?? DEFAULT_MAX_BUFFER, 'maxBuffer'),
    entryEvents: positive(options.entryEvents ?? DEFAULT_ENTRY_EVENTS, 'entryEvents'),
    batchSize: positive(options.batchSize ?? DEFAULT_BATCH_SIZE, 'batchSize'),
    maxInFlight: positive(options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, 'maxInFlight'),
    connectTimeoutMs:
      options.connectTimeoutMs === undefined
        ? undefined
        : duration('RedisSink', 'connectTimeoutMs', options.connectTimeoutMs, { min: 1 }),
    closeTimeoutMs: duration(
      'RedisSink',
      'closeTimeoutMs',
      options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
    ),
    onError: options.onError,
    logger: options.logger ?? stderrLogger,
  };
}

function positive(value: unknown, name: string): number {
  return integer('RedisSink', name, value, { min: 1 });
}
