/** Redis Streams fan-out: one WebSocket per cluster, many workers. */
export {
  RedisSink,
  DEFAULT_MAX_BUFFER,
  DEFAULT_STREAM_KEY,
  type RedisSinkOptions,
  type RedisSinkStats,
} from './sink/sink.js';
export {
  StreamReader,
  readStream,
  type ReadStreamOptions,
  type StreamEntry,
} from './reader/reader.js';
export type { WarnLogger } from './report.js';
