/**
 * `polygon-stream query FILE.duckdb "SELECT …"`: one SQL statement over a recording, read-only.
 * Output: an aligned table on a TTY, NDJSON otherwise (one object per row), or CSV (--format csv).
 * BIGINTs print as numbers when exact (else as strings), TIMESTAMPs as ISO times, lists as JSON.
 */
import { statSync } from 'node:fs';
import { UsageError } from '../args.js';

export const QUERY_FORMATS = ['table', 'ndjson', 'csv'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

export interface QueryFlags {
  format?: QueryFormat;
}

/** A JS value from DuckDB as plain JSON-able data. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function cell(value: unknown): string {
  const v = plain(value);
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function csvCell(value: unknown): string {
  const text = cell(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatRows(
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
  format: QueryFormat,
): string {
  if (format === 'ndjson') {
    return rows.map((r) => `${JSON.stringify(plain(r))}\n`).join('');
  }
  if (format === 'csv') {
    const lines = [columns.map(csvCell), ...rows.map((r) => columns.map((c) => csvCell(r[c])))];
    return lines.map((l) => `${l.join(',')}\n`).join('');
  }
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (parts: readonly string[]): string =>
    `${parts
      .map((p, i) => p.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()}\n`;
  const rule = line(widths.map((w) => '─'.repeat(w)));
  const count = `(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
  return line(columns) + rule + cells.map(line).join('') + count;
}

export async function runQuery(
  file: string,
  sql: string,
  flags: QueryFlags,
  stdout: NodeJS.WriteStream = process.stdout,
): Promise<number> {
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new UsageError(`query: file not found: ${file}`);
  }
  if (!isFile) throw new UsageError(`query: not a file: ${file}`);
  const format = flags.format ?? (stdout.isTTY === true ? 'table' : 'ndjson');
  const { queryDuckDb } = await import('../../duckdb/query.js');
  const { columns, rows } = await queryDuckDb(file, sql);
  stdout.write(formatRows(columns, rows, format));
  return 0;
}
