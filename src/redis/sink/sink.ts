/**
 * RedisSink: publishes decoded events to a Redis Stream, so consumer groups fan the one WebSocket
 * out to many workers. The class the user holds; the writing is its writer's. With `partitions` 1
 * that is one StreamWriter (stream-writer.ts: entry format v2, batches, the bounded buffer,
 * reconnects, the restart and rollback check, trimming, reports); with `partitions` > 1 the sink
 * routes each frame by symbol to one RedisSink per partition stream (partitioned-sink.ts).
 *
 * Events: 'connect' and 'disconnect' (the one stream's connection) and 'error' (every report, when
 * listened to; see report.ts).
 */
import { EventEmitter } from 'node:events';
import type { WireEvent } from '../../protocol/codec.js';
import { sinkSettings, type RedisSinkOptions, type RedisSinkStats } from './sink-options.js';
import { PartitionedWriters } from './partitioned-sink.js';
import { StreamWriter } from './stream-writer.js';

export {
  DEFAULT_MAX_BUFFER,
  DEFAULT_STREAM_KEY,
  type RedisSinkOptions,
  type RedisSinkStats,
} from './sink-options.js';

export class RedisSink extends EventEmitter {
  readonly key: string;
  readonly #writer: StreamWriter | PartitionedWriters;

  constructor(given: RedisSinkOptions) {
    super();
    const settings = sinkSettings(given);
    this.key = settings.key;
    this.#writer =
      settings.partitions > 1
        ? new PartitionedWriters(this, settings, given, (o) => new RedisSink(o))
        : new StreamWriter(this, settings);
  }

  /** Connect once; rejects with REDIS_UNAVAILABLE when Redis does not answer. */
  connect(): Promise<void> {
    return this.#writer.connect();
  }

  /**
   * Queue one frame's events for Redis (one entry, see `entryEvents`). Never blocks, never throws;
   * status events are skipped, what is not an event object is dropped (counted). The sink keeps its
   * own copy of the array; the events are serialized when their batch is sent: do not mutate them
   * afterwards.
   */
  writeFrame(events: readonly WireEvent[]): void {
    this.#writer.writeFrame(events);
  }

  stats(): RedisSinkStats {
    return this.#writer.stats();
  }

  /**
   * Stop accepting events, wait up to `closeTimeoutMs` for the buffer to reach Redis (through a
   * reconnect if need be), count whatever is left as dropped, and quit.
   */
  close(): Promise<void> {
    return this.#writer.close();
  }
}
