/**
 * `record --to FILE.duckdb` (and `--parquet DIR`): the events the CLI records go to a DuckDB file
 * too, appended per WebSocket frame (src/duckdb/sink.ts: committed every second or 200 000 rows),
 * with the client's gap and backfill reports; at the end every table is exported to Parquet when
 * asked. The DuckDB module is imported only here, only when --to is given.
 */
import type { WireEvent } from '../../protocol/codec.js';
import type { DuckDbSink } from '../../duckdb/sink.js';
import type { EventSource } from '../../duckdb/event-source.js';
import { UsageError } from '../args.js';

export interface DuckDbFlags {
  /** `--to`: the DuckDB file. */
  to?: string;
  /** `--parquet`: export every table to DIR/<table>.parquet at the end. */
  parquet?: string;
}

export class CliDuckDb {
  private pending: WireEvent[] = [];
  private sources: EventSource[] = [];

  private constructor(
    private readonly sink: DuckDbSink,
    private readonly parquet: string | undefined,
  ) {}

  static async open(
    flags: DuckDbFlags & { to: string },
    cluster: string,
    onError: (message: string) => void,
  ): Promise<CliDuckDb> {
    const { DuckDbSink } = await import('../../duckdb/sink.js');
    const sink = await DuckDbSink.open(flags.to, {
      cluster: cluster as DuckDbSink['cluster'],
      onError: (err) => onError(`--to [${err.code}]: ${err.message}`),
    });
    return new CliDuckDb(sink, flags.parquet);
  }

  /** Rows written so far (events and statuses). */
  get rows(): number {
    return this.sink.stats().rows;
  }

  add(event: WireEvent, source: EventSource): void {
    this.pending.push(event);
    this.sources.push(source);
  }

  /** The frame ended: append its events in one go. */
  endFrame(): void {
    if (this.pending.length === 0) return;
    const events = this.pending;
    const sources = this.sources;
    this.pending = [];
    this.sources = [];
    let i = 0;
    this.sink.write(events, () => sources[i++]!);
  }

  note(kind: string, report: object, topics: readonly string[]): void {
    this.sink.note(kind, report, topics);
  }

  /** Commit, close, export to Parquet if asked; the summary line. */
  async close(): Promise<string> {
    this.endFrame();
    await this.sink.close();
    const s = this.sink.stats();
    let line = `polygon-stream: recorded ${s.committed} rows to ${this.sink.path}${s.dropped > 0 ? ` (${s.dropped} dropped after a write failure)` : ''}`;
    if (this.parquet !== undefined) {
      const { exportParquet } = await import('../../duckdb/query.js');
      const files = await exportParquet(this.sink.path, this.parquet);
      line += `; exported ${files.length} table(s) to ${this.parquet} as Parquet`;
    }
    return line;
  }
}

/** --parquet without --to is a usage error; so is a --to that is not a path. */
export function checkDuckDbFlags(flags: DuckDbFlags): void {
  if (flags.parquet !== undefined && flags.to === undefined) {
    throw new UsageError('--parquet exports a DuckDB recording: give --to FILE.duckdb too');
  }
}
