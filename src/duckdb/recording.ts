/**
 * Reading a DuckDB recording back as the events recorded, in recording order (`seq` over every
 * table), each exactly as it arrived: typed columns under their wire names plus the `extra` JSON.
 * DuckDB sorts and streams the rows (`to_json` of each row), so a recording larger than memory
 * replays too.
 */
import type { WireEvent } from '../protocol/codec.js';
import { isFuturesCluster, type Cluster } from '../protocol/streams.js';
import { ALL_TABLES, type TableSpec } from './columns.js';
import { openDuckDb, recordingFailed } from './open-duckdb.js';

export interface DuckDbReplaySource {
  /** The clusters with recorded events, in name order. */
  readonly clusters: readonly Cluster[];
  /** Rows with events. */
  readonly events: number;
  /** Every recorded event (statuses left out), in recording order; the file closes at the end. */
  read(): AsyncGenerator<WireEvent>;
}

type Row = Record<string, unknown>;

function eventOf(table: TableSpec, row: Row): WireEvent {
  const event: WireEvent = { ev: table.ev ?? String(row['ev']) };
  for (const [field, , column] of table.columns) {
    const value = row[column];
    if (value !== null && value !== undefined) event[field] = value;
  }
  const extra = row['extra'];
  if (extra !== null && typeof extra === 'object') Object.assign(event, extra);
  return event;
}

/** Open a recording for replay: which clusters it holds and how many events. */
export async function openDuckDbRecording(path: string): Promise<DuckDbReplaySource> {
  const db = await openDuckDb(path, 'read');
  let tables: TableSpec[];
  let events = 0;
  try {
    const reader = await db.connection.runAndReadAll(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name",
    );
    tables = [];
    for (const [name] of reader.getRows()) {
      const table = ALL_TABLES.get(String(name));
      if (!table) continue;
      const count = await db.connection.runAndReadAll(`SELECT count(*) FROM ${table.name}`);
      const n = Number(count.getRows()[0]![0]);
      if (n > 0) tables.push(table);
      events += n;
    }
  } catch (err) {
    db.close();
    throw recordingFailed(`cannot read ${path}`, path, err);
  }
  const clusters = [...new Set(tables.map((t) => t.cluster))].sort();
  async function* read(): AsyncGenerator<WireEvent> {
    try {
      if (tables.length === 0) return;
      const union = tables
        .map((t, i) => `SELECT seq, ${i} AS tbl, to_json(${t.name}) AS row FROM ${t.name}`)
        .join(' UNION ALL ');
      const result = await db.connection.stream(`SELECT tbl, row FROM (${union}) ORDER BY seq`);
      for await (const rows of result.yieldRowsJs()) {
        for (const [tbl, row] of rows) {
          yield eventOf(tables[Number(tbl)]!, JSON.parse(String(row)) as Row);
        }
      }
    } finally {
      db.close();
    }
  }
  return { clusters, events, read };
}

/**
 * The `replay.cluster` a recording needs: a futures cluster when it holds one (futures reuse the
 * stock `ev`s, so their events must be routed by cluster), else undefined (routed by `ev`). A
 * recording that mixes a futures cluster with any other cluster cannot be replayed as one.
 */
export function replayClusterOf(clusters: readonly Cluster[]): Cluster | undefined {
  const futures = clusters.filter(isFuturesCluster);
  if (futures.length === 0) return undefined;
  if (clusters.length === 1) return futures[0];
  throw new Error(
    `it holds events of ${clusters.join(', ')}; a replay serves a futures cluster alone`,
  );
}
