/**
 * TableChunks: the rows of one event table gathered column by column (column-buffers.ts), handed
 * to DuckDB's appender one data chunk (up to DuckDB's vector size, 2048 rows) at a time. The rows
 * are in the appender (not yet committed) once `drain()` has run; the sink commits them.
 *
 * Row layout: `seq`, `received`, `source`, `time`, the shape's columns (columns.ts), `extra`.
 */
import type { DuckDBAppender, DuckDBDataChunk, DuckDBType } from '@duckdb/node-api';
import type { WireEvent } from '../protocol/codec.js';
import { eventTimeMs } from '../protocol/timestamps.js';
import type { TableSpec } from './columns.js';
import { BUFFERS, Int64Buffer, TextBuffer, type ColumnBuffer } from './column-buffers.js';
import type { DuckDbNative as NativeBindings, OpenDb } from './open-duckdb.js';

/**
 * Fills one row of a table's typed columns from an event: `misfits` gets the fields whose value
 * does not fit their column; returns how many fields the columns hold.
 */
type FillRow = (event: WireEvent, row: number, misfits: string[]) => number;

/**
 * The FillRow of a table, compiled once from its columns (as ajv and fast-json-stringify compile
 * theirs): one straight line per column, each reading its field by name and calling its own
 * buffer's `put`. A loop over the columns would make every `event[field]` read and every `put`
 * call see all the fields and all six buffer classes, which V8 cannot inline; compiled, each site
 * sees one, and gathering a row costs about a quarter less (trades and quotes from memory: about
 * 1.4 → 1.05 µs per event). Only field names from columns.ts go into the source, as JSON string
 * literals.
 */
function compileFillRow(fields: readonly string[], buffers: readonly ColumnBuffer[]): FillRow {
  const lines = fields.map((field, i) => {
    const name = JSON.stringify(field);
    return `v = event[${name}];
    if (v === undefined) b${i}.setNull(row);
    else if (b${i}.put(row, v)) held++;
    else { b${i}.setNull(row); misfits.push(${name}); }`;
  });
  const params = buffers.map((_, i) => `b${i}`);
  const body = `return function fillRow(event, row, misfits) {
    let held = 0;
    let v;
    ${lines.join('\n    ')}
    return held;
  };`;
  return new Function(...params, body)(...buffers) as FillRow;
}

/** The rows of one event table on their way into its appender. */
export class TableChunks {
  readonly table: TableSpec;
  readonly appender: DuckDBAppender;
  readonly #duck: OpenDb['duckdb'];
  readonly #native: NativeBindings;
  readonly #types: DuckDBType[];
  readonly #capacity: number;
  readonly #fields: ReadonlySet<string>;
  readonly #seq: Int64Buffer;
  readonly #received: Int64Buffer;
  readonly #source: TextBuffer;
  readonly #time: Int64Buffer;
  /** Every buffer in the table's column order (meta columns, the shape's, `extra`). */
  readonly #buffers: ColumnBuffer[];
  readonly #fillRow: FillRow;
  /** The misfits of the row being added (reused: most rows have none). */
  readonly #misfits: string[] = [];
  readonly #extra: TextBuffer;
  #rows = 0;

  constructor(table: TableSpec, appender: DuckDBAppender, db: Pick<OpenDb, 'duckdb' | 'native'>) {
    this.table = table;
    this.appender = appender;
    this.#duck = db.duckdb;
    const native = db.native;
    this.#native = native;
    this.#types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    const capacity = native.vector_size();
    this.#capacity = capacity;
    this.#fields = new Set(table.columns.map(([field]) => field));
    this.#seq = new Int64Buffer(native, capacity);
    this.#received = new Int64Buffer(native, capacity);
    this.#source = new TextBuffer(native, capacity);
    this.#time = new Int64Buffer(native, capacity);
    this.#extra = new TextBuffer(native, capacity);
    const columns = table.columns.map(([, kind]) => new BUFFERS[kind](native, capacity));
    this.#fillRow = compileFillRow(
      table.columns.map(([field]) => field),
      columns,
    );
    this.#buffers = [this.#seq, this.#received, this.#source, this.#time, ...columns, this.#extra];
  }

  /** Rows gathered, not yet in the appender. */
  get pending(): number {
    return this.#rows;
  }

  /** Add one event's row; `receivedUs` is when it reached the recorder, µs since the epoch. */
  add(event: WireEvent, seq: number, receivedUs: number, source: string): void {
    const row = this.#rows;
    this.#seq.put(row, seq);
    this.#received.put(row, receivedUs);
    this.#source.put(row, source);
    const ms = eventTimeMs(event);
    if (ms === undefined || !this.#time.put(row, Math.round(ms * 1000))) this.#time.setNull(row);
    const misfits = this.#misfits;
    misfits.length = 0;
    const held = this.#fillRow(event, row, misfits);
    const extra = this.#extraOf(event, held, misfits.length > 0 ? misfits : undefined);
    if (extra === undefined) this.#extra.setNull(row);
    else this.#extra.put(row, JSON.stringify(extra));
    this.#rows = row + 1;
    if (this.#rows === this.#capacity) this.drain();
  }

  /**
   * The `extra` object of an event whose columns hold `held` of its fields: the misfits and the
   * fields the shape does not type (`ev` aside), in the event's key order; undefined when there
   * are none. Counting the keys first is cheaper than looking each one up, and usually enough.
   */
  #extraOf(
    event: WireEvent,
    held: number,
    misfits: readonly string[] | undefined,
  ): Record<string, unknown> | undefined {
    let keys = 0;
    for (const key in event) if (key !== 'ev' || this.#fields.has('ev')) keys++;
    if (misfits === undefined && keys === held) return undefined;
    let extra: Record<string, unknown> | undefined;
    for (const key in event) {
      if (key !== 'ev' && (!this.#fields.has(key) || misfits?.includes(key))) {
        (extra ??= {})[key] = event[key];
      }
    }
    return extra;
  }

  /** Hand the gathered rows to the appender as one data chunk (a no-op with none). */
  drain(): void {
    const n = this.#rows;
    if (n === 0) return;
    this.#rows = 0;
    const chunk: DuckDBDataChunk = this.#duck.DuckDBDataChunk.create(this.#types);
    const buffers = this.#buffers;
    for (let i = 0; i < buffers.length; i++) {
      buffers[i]!.write(this.#native.data_chunk_get_vector(chunk.chunk, i), n);
    }
    chunk.rowCount = n;
    this.appender.appendDataChunk(chunk);
  }
}
