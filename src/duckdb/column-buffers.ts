/**
 * The column buffers of a recording's data chunks (table-chunks.ts): one class per column kind
 * (columns.ts), each holding one column's values for the rows being gathered in a JavaScript
 * typed array, with its null mask, and copying them into a DuckDB vector with one native call.
 * Numbers go straight into the arrays — 64-bit integers as two 32-bit halves, no BigInt; strings
 * of up to 12 ASCII characters are written inline in DuckDB's 16-byte string layout
 * (`duckdb_string_t`), longer ones are assigned one by one; lists fill their child vectors in one
 * copy.
 */
import type { Vector } from '@duckdb/node-bindings';
import type { ColumnKind } from './columns.js';
import type { DuckDbNative as NativeBindings } from './open-duckdb.js';

const TWO_32 = 2 ** 32;

/** One column's values for the rows of the chunk being gathered, with its null mask. */
export abstract class ColumnBuffer {
  /** One bit per row, set = valid (DuckDB's validity mask, little-endian 64-bit words). */
  protected readonly validity: Uint32Array;
  protected hasNull = false;

  constructor(
    protected readonly native: NativeBindings,
    protected readonly capacity: number,
  ) {
    this.validity = new Uint32Array(Math.ceil(capacity / 64) * 2).fill(0xffffffff);
  }

  /** Store `v` at `row`; false (nothing stored) when it does not fit the column. */
  abstract put(row: number, v: unknown): boolean;

  /** Copy rows [0, n) into `vector` and start over. */
  protected abstract copy(vector: Vector, n: number): void;

  setNull(row: number): void {
    this.validity[row >>> 5]! &= ~(1 << (row & 31));
    this.hasNull = true;
  }

  write(vector: Vector, n: number): void {
    this.copy(vector, n);
    if (this.hasNull) {
      this.native.vector_ensure_validity_writable(vector);
      const bytes = Math.ceil(n / 64) * 8;
      this.native.copy_data_to_vector_validity(
        vector,
        0,
        this.validity.buffer as ArrayBuffer,
        0,
        bytes,
      );
      this.validity.fill(0xffffffff);
      this.hasNull = false;
    }
  }
}

/** A column of fixed-width values in one typed array, copied into the vector in one call. */
abstract class FixedWidthBuffer extends ColumnBuffer {
  protected abstract readonly values: Int32Array | Float64Array | Uint8Array;
  /** Bytes per row in `values`. */
  protected abstract readonly rowBytes: number;

  protected copy(vector: Vector, n: number): void {
    const buffer = this.values.buffer as ArrayBuffer;
    this.native.copy_data_to_vector(vector, 0, buffer, 0, n * this.rowBytes);
  }
}

/** BIGINT (and TIMESTAMP, µs): safe integers as two 32-bit halves. */
export class Int64Buffer extends FixedWidthBuffer {
  protected readonly values = new Int32Array(this.capacity * 2);
  protected readonly rowBytes = 8;

  put(row: number, v: unknown): boolean {
    if (!Number.isSafeInteger(v)) return false;
    const n = v as number;
    this.values[row * 2] = n >>> 0;
    this.values[row * 2 + 1] = Math.floor(n / TWO_32);
    return true;
  }
}

class DoubleBuffer extends FixedWidthBuffer {
  protected readonly values = new Float64Array(this.capacity);
  protected readonly rowBytes = 8;

  put(row: number, v: unknown): boolean {
    if (typeof v !== 'number' || !Number.isFinite(v)) return false;
    this.values[row] = v;
    return true;
  }
}

class BoolBuffer extends FixedWidthBuffer {
  protected readonly values = new Uint8Array(this.capacity);
  protected readonly rowBytes = 1;

  put(row: number, v: unknown): boolean {
    if (typeof v !== 'boolean') return false;
    this.values[row] = v ? 1 : 0;
    return true;
  }
}

/** Longest string stored inline in a `duckdb_string_t` (length, then up to 12 bytes). */
const INLINE = 12;

/** VARCHAR (and JSON): short ASCII strings inline; others assigned after the copy. */
export class TextBuffer extends ColumnBuffer {
  private readonly slots = new Uint8Array(this.capacity * 16);
  private readonly lengths = new Uint32Array(this.slots.buffer);
  private readonly longRows: number[] = [];
  private readonly longValues: string[] = [];

  put(row: number, v: unknown): boolean {
    if (typeof v !== 'string') return false;
    const at = row * 16;
    const len = v.length;
    let ascii = len <= INLINE;
    for (let i = 0; ascii && i < len; i++) {
      const c = v.charCodeAt(i);
      if (c > 0x7f) ascii = false;
      else this.slots[at + 4 + i] = c;
    }
    if (ascii) {
      this.lengths[row * 4] = len;
      this.slots.fill(0, at + 4 + len, at + 16);
    } else {
      this.slots.fill(0, at, at + 16);
      this.longRows.push(row);
      this.longValues.push(v);
    }
    return true;
  }

  override setNull(row: number): void {
    this.slots.fill(0, row * 16, row * 16 + 16);
    super.setNull(row);
  }

  protected copy(vector: Vector, n: number): void {
    this.native.copy_data_to_vector(vector, 0, this.slots.buffer, 0, n * 16);
    for (let i = 0; i < this.longRows.length; i++) {
      this.native.vector_assign_string_element(vector, this.longRows[i]!, this.longValues[i]!);
    }
    this.longRows.length = 0;
    this.longValues.length = 0;
  }
}

/** `duckdb_list_entry`s (offset, length: two 64-bit words each), growing as lists are added. */
class ListEntries {
  #words: Uint32Array;
  #count = 0;
  /** Items over every list added: the size of the child vector. */
  total = 0;

  constructor(capacity: number) {
    this.#words = new Uint32Array(capacity * 4);
  }

  /** The entry at `index` (the next one, or a list's row): `length` items after the others. */
  set(index: number, length: number): void {
    if (index * 4 >= this.#words.length) {
      const bigger = new Uint32Array(this.#words.length * 2);
      bigger.set(this.#words);
      this.#words = bigger;
    }
    this.#words[index * 4] = this.total;
    this.#words[index * 4 + 2] = length;
    this.total += length;
    this.#count = Math.max(this.#count, index + 1);
  }

  /** The entries into `vector`, its child reserved and sized: the child, to fill next. */
  copy(native: NativeBindings, vector: Vector): Vector {
    native.copy_data_to_vector(vector, 0, this.#words.buffer as ArrayBuffer, 0, this.#count * 16);
    native.list_vector_reserve(vector, this.total);
    native.list_vector_set_size(vector, this.total);
    const child = native.list_vector_get_child(vector);
    this.total = 0;
    this.#count = 0;
    return child;
  }
}

/** A growable typed array of list items. */
class Items<A extends Int32Array | Float64Array> {
  length = 0;
  constructor(public array: A) {}

  push(v: number): void {
    if (this.length === this.array.length) {
      const bigger = new (this.array.constructor as new (n: number) => A)(this.length * 2);
      bigger.set(this.array);
      this.array = bigger;
    }
    this.array[this.length++] = v;
  }
}

const isInt32 = (x: unknown): boolean => Number.isInteger(x) && Math.abs(x as number) < 2 ** 31;
const isLevel = (l: unknown): boolean =>
  Array.isArray(l) && l.every((x) => typeof x === 'number' && Number.isFinite(x));

/** INTEGER[]: condition and indicator codes. */
class IntListBuffer extends ColumnBuffer {
  private readonly entries = new ListEntries(this.capacity);
  private readonly items = new Items(new Int32Array(this.capacity * 2));

  put(row: number, v: unknown): boolean {
    if (!Array.isArray(v) || !v.every(isInt32)) return false;
    this.entries.set(row, v.length);
    for (const x of v as number[]) this.items.push(x);
    return true;
  }

  override setNull(row: number): void {
    this.entries.set(row, 0);
    super.setNull(row);
  }

  protected copy(vector: Vector): void {
    const child = this.entries.copy(this.native, vector);
    this.native.copy_data_to_vector(child, 0, this.items.array.buffer, 0, this.items.length * 4);
    this.items.length = 0;
  }
}

/** DOUBLE[][]: book levels, each a list of numbers. */
class LevelsBuffer extends ColumnBuffer {
  private readonly books = new ListEntries(this.capacity);
  private readonly levels = new ListEntries(this.capacity * 4);
  private levelCount = 0;
  private readonly items = new Items(new Float64Array(this.capacity * 8));

  put(row: number, v: unknown): boolean {
    if (!Array.isArray(v) || !v.every(isLevel)) return false;
    this.books.set(row, v.length);
    for (const level of v as number[][]) {
      this.levels.set(this.levelCount++, level.length);
      for (const x of level) this.items.push(x);
    }
    return true;
  }

  override setNull(row: number): void {
    this.books.set(row, 0);
    super.setNull(row);
  }

  protected copy(vector: Vector): void {
    const levels = this.books.copy(this.native, vector);
    const numbers = this.levels.copy(this.native, levels);
    this.native.copy_data_to_vector(numbers, 0, this.items.array.buffer, 0, this.items.length * 8);
    this.levelCount = 0;
    this.items.length = 0;
  }
}

export const BUFFERS: Record<
  ColumnKind,
  new (native: NativeBindings, capacity: number) => ColumnBuffer
> = {
  int: Int64Buffer,
  num: DoubleBuffer,
  text: TextBuffer,
  bool: BoolBuffer,
  ints: IntListBuffer,
  levels: LevelsBuffer,
};
