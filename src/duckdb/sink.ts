/**
 * DuckDbSink: every event into a DuckDB file, one table per stream (columns.ts), gathered column
 * by column and appended a data chunk at a time (table-chunks.ts) with DuckDB's appender; statuses
 * and lifecycle reports, rare, row by row. Appending is synchronous and in memory; the appenders
 * are flushed — which
 * commits their rows to the file (DuckDB's write-ahead log) — every `flushIntervalMs` (default
 * 1 s) or after `flushRows` rows (default 200 000), whichever comes first, and on close. That is
 * the durability interval: a crash (kill -9, power) loses at most the rows of the last interval;
 * every committed row stays, and the file opens clean (DuckDB replays its log).
 *
 * One sink records one cluster (its tables are created when it opens). Reopening a file appends:
 * `seq` continues from the largest already there.
 */
import type { DuckDBAppender, DuckDBTimestampValue } from '@duckdb/node-api';
import type { WireEvent } from '../protocol/codec.js';
import type { EventSource } from './event-source.js';
import { CLUSTERS, type Cluster } from '../protocol/streams.js';
import type { PolygonStreamError } from '../errors.js';
import { fn, integer, oneOf, plainObject, string } from '../validate.js';
import {
  ALL_TABLES,
  createTableSql,
  LIFECYCLE_TABLE,
  SIDE_TABLES_SQL,
  STATUS_TABLE,
  tablesOf,
} from './columns.js';
import { openDuckDb, recordingFailed, type DuckDbModule, type OpenDb } from './open-duckdb.js';
import { TableChunks } from './table-chunks.js';

export interface DuckDbSinkOptions {
  /** The cluster the events come from (its tables are created; stocks T and futures T differ). */
  cluster: Cluster | `${Cluster}`;
  /** Commit the appended rows at least this often, ms (default 1000). */
  flushIntervalMs?: number;
  /** … and whenever this many rows wait (default 200 000). */
  flushRows?: number;
  /** Runtime failures (a flush failing: disk full …); the sink then drops and counts what follows. */
  onError?: (err: PolygonStreamError) => void;
}

export interface DuckDbSinkStats {
  /** Rows appended: events, statuses and lifecycle reports. */
  rows: number;
  /** Rows committed to the file (flushed). */
  committed: number;
  /** Rows not recorded: after a failure, or written after close. */
  dropped: number;
  flushes: number;
  /**
   * The longest a row has waited between its append and its commit, ms, over the flushes so far
   * (0 before the first): the durability interval as it really was. Near `flushIntervalMs` when
   * commits keep up; growing past it when they do not.
   */
  commitLagMs: number;
}

/** Where an event came from: the live stream, or REST history (gap-fill's `backfill`). */
export type { EventSource };

export const DEFAULT_FLUSH_INTERVAL_MS = 1_000;
/**
 * Large on purpose: DuckDB is made for bulk writes, and a commit's cost per row falls with its
 * size. On the bench's trades and quotes (bench/record.ts, 2 cores) a commit of 10 000 rows cost
 * about 2.7 µs per row, one of 200 000 about 1.2 µs: at the firehose's rate, commits of 10 000
 * rows alone take more than the client's own work. On a slower feed the 1 s interval commits
 * first, as before.
 */
export const DEFAULT_FLUSH_ROWS = 200_000;

const WHERE = 'DuckDbSink';

export class DuckDbSink {
  readonly path: string;
  readonly cluster: Cluster;
  readonly #db: OpenDb;
  readonly #duck: DuckDbModule;
  readonly #byEv: Map<string, TableChunks>;
  readonly #unknown: TableChunks;
  readonly #statuses: DuckDBAppender;
  readonly #lifecycle: DuckDBAppender;
  readonly #flushRows: number;
  readonly #onError: ((err: PolygonStreamError) => void) | undefined;
  readonly #timer: NodeJS.Timeout;
  #seq: number;
  #pending = 0;
  #rows = 0;
  #committed = 0;
  #dropped = 0;
  #flushes = 0;
  #commitLagMs = 0;
  /** performance.now() of the oldest row appended and not committed (when #pending > 0). */
  #oldestPendingAt = 0;
  #failed = false;
  #closed = false;

  private constructor(
    path: string,
    options: Required<Pick<DuckDbSinkOptions, 'cluster' | 'flushIntervalMs' | 'flushRows'>> &
      Pick<DuckDbSinkOptions, 'onError'>,
    db: OpenDb,
    writers: TableChunks[],
    side: [DuckDBAppender, DuckDBAppender],
    seq: number,
  ) {
    this.path = path;
    this.cluster = options.cluster;
    this.#db = db;
    this.#duck = db.duckdb;
    this.#unknown = writers.find((w) => w.table.ev === undefined)!;
    this.#byEv = new Map(writers.filter((w) => w.table.ev).map((w) => [w.table.ev!, w]));
    [this.#statuses, this.#lifecycle] = side;
    this.#seq = seq;
    this.#flushRows = options.flushRows;
    this.#onError = options.onError;
    this.#timer = setInterval(() => this.flush(), options.flushIntervalMs);
    this.#timer.unref();
  }

  /** Open (or create) the file and its tables; RECORDING_FAILED / MISSING_DEPENDENCY on failure. */
  static async open(path: string, given: DuckDbSinkOptions): Promise<DuckDbSink> {
    string(WHERE, 'path', path);
    const options = plainObject<DuckDbSinkOptions>(WHERE, 'options', given ?? null);
    const cluster = oneOf(WHERE, 'cluster', options.cluster, CLUSTERS) as Cluster;
    const flushIntervalMs = integer(
      WHERE,
      'flushIntervalMs',
      options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS,
      { min: 1, max: 3_600_000 },
    );
    const flushRows = integer(WHERE, 'flushRows', options.flushRows ?? DEFAULT_FLUSH_ROWS, {
      min: 1,
    });
    if (options.onError !== undefined) fn(WHERE, 'onError', options.onError);
    const db = await openDuckDb(path, 'write');
    try {
      const tables = tablesOf(cluster);
      for (const sql of [...tables.map(createTableSql), ...SIDE_TABLES_SQL]) {
        await db.connection.run(sql);
      }
      const seq = await largestSeq(db);
      const writers: TableChunks[] = [];
      for (const table of tables) {
        writers.push(new TableChunks(table, await db.connection.createAppender(table.name), db));
      }
      const side: [DuckDBAppender, DuckDBAppender] = [
        await db.connection.createAppender(STATUS_TABLE),
        await db.connection.createAppender(LIFECYCLE_TABLE),
      ];
      return new DuckDbSink(
        path,
        { cluster, flushIntervalMs, flushRows, onError: options.onError },
        db,
        writers,
        side,
        seq,
      );
    } catch (err) {
      db.close();
      throw recordingFailed(`cannot prepare the tables of ${path}`, path, err);
    }
  }

  /**
   * Append events in the order given (statuses go to `statuses`). `sourceOf` names where each came
   * from (default `live`). Synchronous: the rows are committed at the next flush.
   */
  write(events: readonly WireEvent[], sourceOf?: (event: WireEvent) => EventSource): void {
    if (this.#closed || this.#failed) {
      this.#dropped += events.length;
      return;
    }
    const receivedUs = Date.now() * 1000;
    let received: DuckDBTimestampValue | undefined;
    try {
      for (const event of events) {
        const seq = ++this.#seq;
        if (event.ev === 'status') this.#appendStatus(event, seq, (received ??= this.#now()));
        else {
          const table = this.#byEv.get(event.ev) ?? this.#unknown;
          table.add(event, seq, receivedUs, sourceOf?.(event) ?? 'live');
        }
      }
    } catch (err) {
      // a full chunk refused by DuckDB (out of memory …): reported as a failed flush
      this.#pending += events.length;
      this.#fail(err);
      return;
    }
    this.#added(events.length);
  }

  /** Record a lifecycle report (`gap`, `backfill` …) with the topics it concerns. */
  note(kind: string, report: object, topics: readonly string[] = []): void {
    if (this.#closed || this.#failed) {
      this.#dropped++;
      return;
    }
    const a = this.#lifecycle;
    a.appendBigInt(BigInt(++this.#seq));
    a.appendTimestamp(this.#now());
    a.appendVarchar(this.cluster);
    a.appendVarchar(kind);
    a.appendList(topics, this.#duck.LIST(this.#duck.VARCHAR));
    a.appendVarchar(JSON.stringify(report));
    a.endRow();
    this.#added(1);
  }

  /** Commit what was appended. A failure is reported once; later rows are dropped and counted. */
  flush(): void {
    if (this.#pending === 0 || this.#failed) return;
    try {
      for (const t of this.#tables()) t.drain();
      for (const a of this.#appenders()) a.flushSync();
    } catch (err) {
      this.#fail(err);
      return;
    }
    this.#committed += this.#pending;
    this.#pending = 0;
    this.#flushes++;
    this.#commitLagMs = Math.max(this.#commitLagMs, performance.now() - this.#oldestPendingAt);
  }

  #fail(err: unknown): void {
    this.#failed = true;
    this.#dropped += this.#pending;
    this.#pending = 0;
    this.#onError?.(recordingFailed(`writing ${this.path} failed`, this.path, err));
  }

  stats(): DuckDbSinkStats {
    return {
      rows: this.#rows,
      committed: this.#committed,
      dropped: this.#dropped,
      flushes: this.#flushes,
      commitLagMs: this.#commitLagMs,
    };
  }

  /** Flush, then close the file. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    clearInterval(this.#timer);
    this.flush();
    this.#closed = true;
    for (const a of [...this.#appenders()]) {
      try {
        a.closeSync();
      } catch {
        // a failed appender was reported by flush(); closing the database still ends cleanly
      }
    }
    this.#db.close();
    return Promise.resolve();
  }

  *#tables(): Iterable<TableChunks> {
    yield* this.#byEv.values();
    yield this.#unknown;
  }

  *#appenders(): Iterable<DuckDBAppender> {
    for (const t of this.#tables()) yield t.appender;
    yield this.#statuses;
    yield this.#lifecycle;
  }

  #added(rows: number): void {
    if (this.#pending === 0) this.#oldestPendingAt = performance.now();
    this.#rows += rows;
    this.#pending += rows;
    if (this.#pending >= this.#flushRows) this.flush();
  }

  #now(): DuckDBTimestampValue {
    return new this.#duck.DuckDBTimestampValue(BigInt(Date.now()) * 1000n);
  }

  #appendStatus(event: WireEvent, seq: number, received: DuckDBTimestampValue): void {
    const a = this.#statuses;
    a.appendBigInt(BigInt(seq));
    a.appendTimestamp(received);
    a.appendVarchar(this.cluster);
    const { ev: _ev, status, message, ...rest } = event;
    for (const v of [status, message]) {
      if (typeof v === 'string') a.appendVarchar(v);
      else a.appendNull();
    }
    a.appendVarchar(JSON.stringify(rest));
    a.endRow();
  }
}

/** The largest `seq` of the file's tables (0 for a new file): a reopened recording continues. */
async function largestSeq(db: OpenDb): Promise<number> {
  const reader = await db.connection.runAndReadAll(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'",
  );
  const names = reader
    .getRows()
    .map(([name]) => String(name))
    .filter((n) => ALL_TABLES.has(n) || n === STATUS_TABLE || n === LIFECYCLE_TABLE);
  if (names.length === 0) return 0;
  const sql = names.map((n) => `SELECT max(seq) AS m FROM ${n}`).join(' UNION ALL ');
  const max = await db.connection.runAndReadAll(`SELECT coalesce(max(m), 0) FROM (${sql})`);
  return Number(max.getRows()[0]![0]);
}
