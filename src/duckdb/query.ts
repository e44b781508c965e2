/**
 * SQL over a DuckDB recording, read-only (a file a recorder holds open cannot be opened: DuckDB
 * locks it), and the Parquet export: one file per non-empty table with DuckDB's COPY.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_TABLES, LIFECYCLE_TABLE, STATUS_TABLE } from './columns.js';
import { openDuckDb, recordingFailed } from './open-duckdb.js';

export interface QueryResult {
  columns: string[];
  /** Rows as JS values: BIGINT as bigint, TIMESTAMP as Date, lists as arrays, JSON as text. */
  rows: Record<string, unknown>[];
}

/** Run one SQL statement on a recording, read-only. */
export async function queryDuckDb(path: string, sql: string): Promise<QueryResult> {
  const db = await openDuckDb(path, 'read');
  try {
    const reader = await db.connection.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJS() };
  } catch (err) {
    throw recordingFailed(`query failed on ${path}`, path, err);
  } finally {
    db.close();
  }
}

/** Export every non-empty table of the recording to `dir/<table>.parquet`; the files written. */
export async function exportParquet(path: string, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const db = await openDuckDb(path, 'read');
  const files: string[] = [];
  try {
    const reader = await db.connection.runAndReadAll(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name",
    );
    for (const [value] of reader.getRows()) {
      const name = String(value);
      if (!ALL_TABLES.has(name) && name !== STATUS_TABLE && name !== LIFECYCLE_TABLE) continue;
      const count = await db.connection.runAndReadAll(`SELECT count(*) FROM ${name}`);
      if (Number(count.getRows()[0]![0]) === 0) continue;
      const file = join(dir, `${name}.parquet`);
      await db.connection.run(
        `COPY (SELECT * FROM ${name} ORDER BY seq) TO '${file.replace(/'/g, "''")}' (FORMAT PARQUET)`,
      );
      files.push(file);
    }
  } catch (err) {
    throw recordingFailed(`Parquet export of ${path} to ${dir} failed`, path, err);
  } finally {
    db.close();
  }
  return files;
}
