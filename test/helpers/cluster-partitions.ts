/**
 * The Redis Cluster tests' own partition writers and readers, built from single-stream RedisSinks
 * and StreamReaders (one per partition stream `{prefix:p}`), so a test can look at each partition's
 * sink and reader on its own: its stats, its reports, what it read.
 */
import type { PolygonStreamError } from '../../src/errors.js';
import type { WireEvent } from '../../src/protocol/codec.js';
import { RedisSink, StreamReader, type RedisSinkStats } from '../../src/redis/index.js';
import { partitionKey, partitionOf } from '../../src/redis/partition-keys.js';

/** One RedisSink per partition stream, fed each frame's events of that partition, in order. */
export class PartitionSinks {
  readonly sinks: RedisSink[];
  readonly reports: PolygonStreamError[][];
  readonly given: number[];
  constructor(
    url: string,
    readonly P: number,
    prefix: string,
  ) {
    this.given = new Array<number>(P).fill(0);
    this.reports = Array.from({ length: P }, () => []);
    this.sinks = Array.from(
      { length: P },
      (_, p) =>
        new RedisSink({
          url,
          streamKey: partitionKey(prefix, p, P),
          batchSize: 200,
          trimIntervalMs: 0,
          onError: (err) => this.reports[p]!.push(err),
        }),
    );
  }
  connect(): Promise<void[]> {
    return Promise.all(this.sinks.map((s) => s.connect()));
  }
  write(events: WireEvent[]): void {
    const parts = this.sinks.map((): WireEvent[] => []);
    for (const e of events) parts[partitionOf(e['sym'] as string, this.P)]!.push(e);
    parts.forEach((part, p) => {
      this.given[p]! += part.length;
      this.sinks[p]!.writeFrame(part);
    });
  }
  close(): Promise<void[]> {
    return Promise.all(this.sinks.map((s) => s.close()));
  }
  stats(): RedisSinkStats[] {
    return this.sinks.map((s) => s.stats());
  }
}

/** One reader per partition (group `g`), collecting what it is handed (and a loop's failure). */
export function readAll(url: string, P: number, prefix: string, reports: PolygonStreamError[][]) {
  const got: WireEvent[][] = Array.from({ length: P }, () => []);
  const failures: unknown[] = [];
  const readers = Array.from({ length: P }, (_, p) => {
    const reader = new StreamReader({
      url,
      key: partitionKey(prefix, p, P),
      group: 'g',
      consumer: `w${p}`,
      start: '0',
      blockMs: 100,
      onError: (err) => reports[p]!.push(err),
    });
    const done = (async () => {
      for await (const e of reader) got[p]!.push(e);
    })().catch((err: unknown) => {
      failures.push(err);
    });
    return { reader, done };
  });
  return {
    got,
    failures,
    total: () => got.reduce((n, g) => n + g.length, 0),
    async stop() {
      for (const r of readers) r.reader.stop();
      await Promise.all(readers.map((r) => r.done));
    },
  };
}
