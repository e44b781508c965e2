/**
 * DuckDbSink: every event into a DuckDB file, one table per stream (columns.ts), appended with
 * DuckDB's appender. Appending is synchronous and in memory; the appenders are flushed — which
 * commits their rows to the file (DuckDB's write-ahead log) — every `flushIntervalMs` (default
 * 1 s) or after `flushRows` rows (default 10 000), whichever comes first, and on close. That is
 * the durability interval: a crash (kill -9, power) loses at most the rows of the last interval;
 * every committed row stays, and the file opens clean (DuckDB replays its log).
 *
 * One sink records one cluster (its tables are created when it opens). Reopening a file appends:
 * `seq` continues from the largest already there.
 */
import type { DuckDBAppender, DuckDBTimestampValue } from '@duckdb/node-api';
import type { WireEvent } from '../protocol/codec.js';
import { eventTimeMs } from '../protocol/timestamps.js';
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
  type ColumnKind,
  type TableSpec,
} from './columns.js';
import { openDuckDb, recordingFailed, type DuckDbModule, type OpenDb } from './open-duckdb.js';

export interface DuckDbSinkOptions {
  /** The cluster the events come from (its tables are created; stocks T and futures T differ). */
  cluster: Cluster | `${Cluster}`;
  /** Commit the appended rows at least this often, ms (default 1000). */
  flushIntervalMs?: number;
  /** … and whenever this many rows wait (default 10 000). */
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
}

/** Where an event came from: the live stream, or REST history (gap-fill's `backfill`). */
export type EventSource = 'live' | 'backfill' | (string & Record<never, never>);

export const DEFAULT_FLUSH_INTERVAL_MS = 1_000;
export const DEFAULT_FLUSH_ROWS = 10_000;

interface Writer {
  table: TableSpec;
  appender: DuckDBAppender;
  fields: ReadonlySet<string>;
}

const WHERE = 'DuckDbSink';

export class DuckDbSink {
  readonly path: string;
  readonly cluster: Cluster;
  readonly #db: OpenDb;
  readonly #duck: DuckDbModule;
  readonly #byEv: Map<string, Writer>;
  readonly #unknown: Writer;
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
  #failed = false;
  #closed = false;

  private constructor(
    path: string,
    options: Required<Pick<DuckDbSinkOptions, 'cluster' | 'flushIntervalMs' | 'flushRows'>> &
      Pick<DuckDbSinkOptions, 'onError'>,
    db: OpenDb,
    writers: Writer[],
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
      const writers: Writer[] = [];
      for (const table of tables) {
        writers.push({
          table,
          appender: await db.connection.createAppender(table.name),
          fields: new Set(table.columns.map(([field]) => field)),
        });
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
    const received = this.#now();
    for (const event of events) {
      const seq = ++this.#seq;
      if (event.ev === 'status') this.#appendStatus(event, seq, received);
      else {
        const writer = this.#byEv.get(event.ev) ?? this.#unknown;
        this.#appendEvent(writer, event, seq, received, sourceOf?.(event) ?? 'live');
      }
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
      for (const w of this.#byEv.values()) w.appender.flushSync();
      this.#unknown.appender.flushSync();
      this.#statuses.flushSync();
      this.#lifecycle.flushSync();
    } catch (err) {
      this.#failed = true;
      this.#dropped += this.#pending;
      this.#pending = 0;
      this.#onError?.(recordingFailed(`writing ${this.path} failed`, this.path, err));
      return;
    }
    this.#committed += this.#pending;
    this.#pending = 0;
    this.#flushes++;
  }

  stats(): DuckDbSinkStats {
    return {
      rows: this.#rows,
      committed: this.#committed,
      dropped: this.#dropped,
      flushes: this.#flushes,
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

  *#appenders(): Iterable<DuckDBAppender> {
    for (const w of this.#byEv.values()) yield w.appender;
    yield this.#unknown.appender;
    yield this.#statuses;
    yield this.#lifecycle;
  }

  #added(rows: number): void {
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

  #appendEvent(
    w: Writer,
    event: WireEvent,
    seq: number,
    received: DuckDBTimestampValue,
    source: string,
  ): void {
    const a = w.appender;
    a.appendBigInt(BigInt(seq));
    a.appendTimestamp(received);
    a.appendVarchar(source);
    const ms = eventTimeMs(event);
    if (ms === undefined) a.appendNull();
    else a.appendTimestamp(new this.#duck.DuckDBTimestampValue(BigInt(Math.round(ms * 1000))));
    let extra: Record<string, unknown> | undefined;
    for (const [field, kind] of w.table.columns) {
      const value = event[field];
      if (value === undefined) a.appendNull();
      else if (!this.#appendTyped(a, kind, value)) {
        a.appendNull();
        (extra ??= {})[field] = value;
      }
    }
    for (const key in event) {
      if (key !== 'ev' && !w.fields.has(key)) (extra ??= {})[key] = event[key];
    }
    if (extra === undefined) a.appendNull();
    else a.appendVarchar(JSON.stringify(extra));
    a.endRow();
  }

  /** Append a value of a typed column; false (nothing appended) when it does not fit. */
  #appendTyped(a: DuckDBAppender, kind: ColumnKind, v: unknown): boolean {
    const d = this.#duck;
    switch (kind) {
      case 'int':
        if (!Number.isSafeInteger(v)) return false;
        a.appendBigInt(BigInt(v as number));
        return true;
      case 'num':
        if (typeof v !== 'number' || !Number.isFinite(v)) return false;
        a.appendDouble(v);
        return true;
      case 'text':
        if (typeof v !== 'string') return false;
        a.appendVarchar(v);
        return true;
      case 'bool':
        if (typeof v !== 'boolean') return false;
        a.appendBoolean(v);
        return true;
      case 'ints':
        if (!Array.isArray(v) || !v.every(isInt32)) return false;
        a.appendList(v as number[], d.LIST(d.INTEGER));
        return true;
      case 'levels':
        if (!Array.isArray(v) || !v.every(isLevel)) return false;
        a.appendList(
          (v as number[][]).map((level) => d.listValue(level)),
          d.LIST(d.LIST(d.DOUBLE)),
        );
        return true;
    }
  }
}

const isInt32 = (x: unknown): boolean => Number.isInteger(x) && Math.abs(x as number) < 2 ** 31;
const isLevel = (l: unknown): boolean =>
  Array.isArray(l) && l.every((x) => typeof x === 'number' && Number.isFinite(x));

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
