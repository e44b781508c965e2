/**
 * The DuckDB tables of a recording, derived from the stream table (src/protocol/streams.ts): one
 * table per stream of each cluster (`stocks_t`, `futures_cme_t`, `crypto_xl2` …), whose typed
 * columns are the wire fields of the stream's event shape, under their wire names. The shapes
 * below are the one place the column types are written (test/unit/duckdb-columns.test.ts checks
 * them against the provider's websocket.json). Pure: no DuckDB here.
 *
 * Every event table starts with `seq` (the recording's order, over all tables), `received` (when
 * the event reached the recorder), `source` (`live`, or `backfill` for events gap-fill delivered
 * from REST history) and `time` (the event's own time as a TIMESTAMP: `t`, else the bar's start
 * `s`, read by magnitude, so µs and ns times land right too, at µs precision), and ends with
 * `extra`: a JSON object of every field the shape does not type, or whose value does not fit its
 * column (a field sent as null, a fractional size). The raw wire values stay in their columns, so a
 * row gives back exactly the event recorded.
 */
import { CLUSTERS, isFuturesCluster, streamsOfCluster, type Cluster } from '../protocol/streams.js';

/** Column kinds: BIGINT, DOUBLE, VARCHAR, BOOLEAN, INTEGER[], DOUBLE[][] (book levels). */
export type ColumnKind = 'int' | 'num' | 'text' | 'bool' | 'ints' | 'levels';

export const SQL_TYPE: Record<ColumnKind, string> = {
  int: 'BIGINT',
  num: 'DOUBLE',
  text: 'VARCHAR',
  bool: 'BOOLEAN',
  ints: 'INTEGER[]',
  levels: 'DOUBLE[][]',
};

/** A wire field, its column kind, and its column name (the field's, unless renamed). */
export type Column = readonly [field: string, kind: ColumnKind, column: string];

/**
 * Parses `'sym:text x:int p:num'` into columns; `T@ticker:text` stores field `T` in column
 * `ticker` (SQL names ignore case: the symbol `T` of LULD, NOI and V would clash with `t`).
 */
function shape(spec: string): readonly Column[] {
  return spec.split(' ').map((part) => {
    const [name, kind] = part.split(':') as [string, ColumnKind];
    const [field, column = field] = name.split('@') as [string, string?];
    return [field, kind, column] as const;
  });
}

const SESSION_BAR =
  'sym:text v:int av:int op:num vw:num o:num c:num h:num l:num a:num z:int s:int e:int otc:bool';
const FX_BAR = 'pair:text o:num c:num h:num l:num v:num s:int e:int';

/** The event shapes (see src/protocol/events.ts), by cluster kind and `ev`. */
const SHAPES = {
  stocks: {
    T: 'sym:text x:int i:text z:int p:num s:int c:ints t:int q:int trfi:int trft:int',
    Q: 'sym:text bx:int bp:num bs:int ax:int ap:num as:int c:int i:ints t:int q:int z:int',
    A: SESSION_BAR,
    AM: SESSION_BAR,
    LULD: 'T@ticker:text h:num l:num i:ints z:int t:int q:int',
    NOI: 'T@ticker:text t:int at:int a:text i:int x:int o:int p:int b:num',
  },
  options: {
    T: 'sym:text x:int p:num s:int c:ints t:int q:int',
    Q: 'sym:text bx:int ax:int bp:num ap:num bs:int as:int t:int q:int',
    A: SESSION_BAR,
    AM: SESSION_BAR,
  },
  forex: {
    C: 'p:text x:int a:num b:num t:int',
    CA: FX_BAR,
    CAS: FX_BAR,
    AM: SESSION_BAR,
  },
  crypto: {
    XT: 'pair:text p:num t:int s:num c:ints i:int x:int r:int',
    XQ: 'pair:text bp:num bs:num ap:num as:num t:int x:int r:int',
    XL2: 'pair:text b:levels a:levels t:int x:int r:int',
    XA: `${FX_BAR} vw:num z:num`,
    XAS: `${FX_BAR} vw:num z:num`,
    AM: SESSION_BAR,
  },
  indices: {
    A: 'sym:text op:num o:num c:num h:num l:num s:int e:int',
    AM: 'sym:text op:num o:num c:num h:num l:num s:int e:int',
    V: 'T@ticker:text val:num t:int',
  },
  futures: {
    T: 'sym:text p:num s:int t:int q:int',
    Q: 'sym:text bp:num bs:int bt:int ap:num as:int at:int t:int',
    A: 'sym:text v:int dv:num o:num h:num l:num c:num n:int s:int e:int',
    AM: 'sym:text v:int dv:num o:num h:num l:num c:num n:int s:int e:int',
  },
  /** The business and launchpad feeds, on every cluster that has them. */
  any: {
    FMV: 'sym:text fmv:num t:int',
    LV: 'sym:text val:num t:int',
  },
} as const satisfies Record<string, Record<string, string>>;

/** The columns every event table starts with, before the shape's. */
export const META_COLUMNS = ['seq', 'received', 'source', 'time'] as const;

export interface TableSpec {
  /** `stocks_t`, `futures_cme_q` …; `stocks_unknown` holds the events of an `ev` not listed. */
  readonly name: string;
  readonly cluster: Cluster;
  /** The `ev` of the table's events; undefined for the unknown table (it has an `ev` column). */
  readonly ev: string | undefined;
  /** The shape's columns (for the unknown table: `ev` alone). */
  readonly columns: readonly Column[];
}

export function tableName(cluster: string, ev: string): string {
  return `${cluster.replace('/', '_')}_${ev.toLowerCase()}`;
}

function shapeOf(cluster: Cluster, ev: string): readonly Column[] {
  const kind = isFuturesCluster(cluster) ? 'futures' : cluster;
  const own = (SHAPES[kind] as Record<string, string | undefined>)[ev];
  const spec = own ?? (SHAPES.any as Record<string, string | undefined>)[ev];
  if (spec === undefined) throw new Error(`no DuckDB shape for ${ev} on ${cluster}`);
  return shape(spec);
}

/** The tables of one cluster: one per stream it serves (streamsOfCluster), then its unknown table. */
export function tablesOf(cluster: Cluster): TableSpec[] {
  const tables: TableSpec[] = streamsOfCluster(cluster).map((s) => ({
    name: tableName(cluster, s.ev),
    cluster,
    ev: s.ev,
    columns: shapeOf(cluster, s.ev),
  }));
  tables.push({
    name: tableName(cluster, 'unknown'),
    cluster,
    ev: undefined,
    columns: [['ev', 'text', 'ev']],
  });
  return tables;
}

/** Every event table any cluster can have, by name. */
export const ALL_TABLES: ReadonlyMap<string, TableSpec> = new Map(
  CLUSTERS.flatMap((c) => tablesOf(c)).map((t) => [t.name, t]),
);

/** `CREATE TABLE IF NOT EXISTS` for an event table. */
export function createTableSql(table: TableSpec): string {
  const columns = [
    'seq BIGINT NOT NULL',
    'received TIMESTAMP NOT NULL',
    'source VARCHAR NOT NULL',
    'time TIMESTAMP',
    ...table.columns.map(([, kind, column]) => `${quoteIdent(column)} ${SQL_TYPE[kind]}`),
    'extra JSON',
  ];
  return `CREATE TABLE IF NOT EXISTS ${table.name} (${columns.join(', ')})`;
}

/** The statuses the server sent, and the client's lifecycle reports (gaps, backfill reports). */
export const STATUS_TABLE = 'statuses';
export const LIFECYCLE_TABLE = 'lifecycle';

export const SIDE_TABLES_SQL = [
  `CREATE TABLE IF NOT EXISTS ${STATUS_TABLE} (seq BIGINT NOT NULL, received TIMESTAMP NOT NULL, cluster VARCHAR NOT NULL, status VARCHAR, message VARCHAR, extra JSON)`,
  `CREATE TABLE IF NOT EXISTS ${LIFECYCLE_TABLE} (seq BIGINT NOT NULL, received TIMESTAMP NOT NULL, cluster VARCHAR NOT NULL, kind VARCHAR NOT NULL, topics VARCHAR[], data JSON)`,
];

/** A field name as a SQL identifier (`as`, `at` and `from` are keywords). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
