/**
 * Recording to DuckDB (`polygon-stream/duckdb`): the sink, reading a recording back for replay,
 * SQL over it, and the Parquet export. Needs the optional peer `@duckdb/node-api`.
 */
export {
  DuckDbSink,
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_FLUSH_ROWS,
  type DuckDbSinkOptions,
  type DuckDbSinkStats,
  type EventSource,
} from './sink.js';
export { recordToDuckDb, type DuckDbRecording } from './record.js';
export { openDuckDbRecording, replayClusterOf, type DuckDbReplaySource } from './recording.js';
export { queryDuckDb, exportParquet, type QueryResult } from './query.js';
export { tablesOf, tableName, type TableSpec, type Column, type ColumnKind } from './columns.js';
