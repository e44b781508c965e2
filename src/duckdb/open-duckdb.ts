/**
 * Opening a DuckDB file with @duckdb/node-api, an optional peer dependency loaded on first use
 * (dynamic import): a user who never records to DuckDB never installs or loads it, and one who does
 * without it gets MISSING_DEPENDENCY with the install command. A file that cannot be opened (held by
 * another process, not a DuckDB file) is RECORDING_FAILED naming the path.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ErrorCode, PolygonStreamError } from '../errors.js';

export type DuckDbModule = typeof import('@duckdb/node-api');
/** The C API underneath (@duckdb/node-api's own dependency): the sink fills data chunks with it. */
export type DuckDbNative = typeof import('@duckdb/node-bindings');

let loading: Promise<{ duckdb: DuckDbModule; native: DuckDbNative }> | undefined;

/**
 * `import('@duckdb/node-api')` and its `@duckdb/node-bindings`, once; MISSING_DEPENDENCY naming
 * the package when it is absent.
 */
export function loadDuckDb(): Promise<{ duckdb: DuckDbModule; native: DuckDbNative }> {
  loading ??= Promise.all([import('@duckdb/node-api'), import('@duckdb/node-bindings')]).then(
    ([duckdb, native]) => ({
      duckdb,
      native: (native as { default?: DuckDbNative }).default ?? native,
    }),
    (err: unknown) => {
      loading = undefined;
      throw new PolygonStreamError(
        ErrorCode.MissingDependency,
        "DuckDB recordings need the '@duckdb/node-api' package, an optional peer dependency of polygon-stream: npm install @duckdb/node-api",
        { package: '@duckdb/node-api' },
        { cause: err },
      );
    },
  );
  return loading;
}

export interface OpenDb {
  duckdb: DuckDbModule;
  native: DuckDbNative;
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  /** Close the connection and the database (the file is checkpointed). Never throws. */
  close(): void;
}

/** Open (or create, unless read-only) a DuckDB file. */
export async function openDuckDb(path: string, mode: 'write' | 'read'): Promise<OpenDb> {
  const { duckdb, native } = await loadDuckDb();
  let instance: DuckDBInstance;
  try {
    instance = await duckdb.DuckDBInstance.create(
      path,
      mode === 'read' ? { access_mode: 'READ_ONLY' } : {},
    );
  } catch (err) {
    throw recordingFailed(`cannot open ${path}`, path, err);
  }
  const connection = await instance.connect();
  return {
    duckdb,
    native,
    instance,
    connection,
    close: () => {
      try {
        connection.closeSync();
      } finally {
        instance.closeSync();
      }
    },
  };
}

/** RECORDING_FAILED: `what` (`cannot open ticks.duckdb`) and DuckDB's own words. */
export function recordingFailed(what: string, path: string, err: unknown): PolygonStreamError {
  const reason = err instanceof Error ? err.message : String(err);
  return new PolygonStreamError(
    ErrorCode.RecordingFailed,
    `DuckDB: ${what}: ${reason}`,
    { path },
    { cause: err },
  );
}
