/**
 * A RedisSink with `partitions` > 1: one writer (a RedisSink of one partition) per partition
 * stream `{key:p}` (partition-keys.ts). Each frame's events are split by symbol, in order, and each
 * partition's share goes to its writer as one write, so every partition keeps the order of the
 * frames and of the events in them; there is no order across partitions. Stats are the sums over
 * the writers (with each writer's own under `partitions`); every report names its partition.
 *
 * The writers are made by the caller's factory, so this module knows RedisSink only by the
 * behaviour below (and does not import it).
 */
import type { EventEmitter } from 'node:events';
import type { WireEvent } from '../../protocol/codec.js';
import { PolygonStreamError } from '../../errors.js';
import { symbolOf } from '../../protocol/symbols.js';
import { partitionKey, partitionOf } from '../partition-keys.js';
import { reportError } from '../report.js';
import type { RedisSinkOptions, RedisSinkStats, SinkSettings } from './sink-options.js';

/** What the partitioned sink needs of each partition's writer (a RedisSink of one partition). */
export interface PartitionWriter {
  readonly key: string;
  connect(): Promise<void>;
  writeFrame(events: readonly WireEvent[]): void;
  stats(): RedisSinkStats;
  close(): Promise<void>;
}

export class PartitionedWriters {
  readonly #writers: PartitionWriter[] = [];
  readonly #partitions: number;

  /**
   * `owner`: the RedisSink the user holds (reports go to its 'error' listeners); `given`: its
   * options, handed to each writer with the partition's stream as the key.
   */
  constructor(
    owner: EventEmitter,
    settings: SinkSettings,
    given: RedisSinkOptions,
    make: (options: RedisSinkOptions) => PartitionWriter,
  ) {
    this.#partitions = settings.partitions;
    for (let p = 0; p < this.#partitions; p++) {
      const key = partitionKey(settings.key, p, this.#partitions);
      const { cluster: _cluster, ...rest } = given;
      this.#writers.push(
        make({
          ...rest,
          streamKey: key,
          partitions: 1,
          onError: (err) =>
            reportError(owner, settings.onError, settings.logger, namePartition(err, p, key)),
        }),
      );
    }
  }

  /** The partition streams, partition 0 first. */
  get keys(): string[] {
    return this.#writers.map((w) => w.key);
  }

  async connect(): Promise<void> {
    const results = await Promise.allSettled(this.#writers.map((w) => w.connect()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  writeFrame(events: readonly WireEvent[]): void {
    const shares: WireEvent[][] = [];
    for (const event of events) {
      // Not an event at all: the writer of partition 0 counts it as dropped.
      const symbol =
        typeof event === 'object' && event !== null && typeof event.ev === 'string'
          ? symbolOf(event)
          : undefined;
      (shares[partitionOf(symbol, this.#partitions)] ??= []).push(event);
    }
    shares.forEach((share, p) => this.#writers[p]!.writeFrame(share));
  }

  stats(): RedisSinkStats {
    const each = this.#writers.map((w) => w.stats());
    const sum = (pick: (s: RedisSinkStats) => number): number =>
      each.reduce((total, s) => total + pick(s), 0);
    return {
      written: sum((s) => s.written),
      lost: { restart: sum((s) => s.lost.restart), trimmed: sum((s) => s.lost.trimmed) },
      buffered: sum((s) => s.buffered),
      dropped: sum((s) => s.dropped),
      droppedForMemory: sum((s) => s.droppedForMemory),
      errors: sum((s) => s.errors),
      connected: each.every((s) => s.connected),
      partitions: each,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#writers.map((w) => w.close()));
  }
}

/** The writer's report, its message and details naming the partition. */
function namePartition(err: PolygonStreamError, p: number, key: string): PolygonStreamError {
  const message = err.message.replace(/^RedisSink: /, `RedisSink (partition ${p}, ${key}): `);
  return new PolygonStreamError(
    err.code,
    message,
    { ...err.details, partition: p, key },
    err.cause === undefined ? undefined : { cause: err.cause },
  );
}
