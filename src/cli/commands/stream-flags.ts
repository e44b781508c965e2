/**
 * The stream flags of `stream` and `record`: one per stream method of the Python polygon
 * library's StreamClient (`--stock-trades [symbols]` → subscribeStockTrades), the request each
 * given flag makes, and what a cluster subscribes when no flag is given.
 */
import {
  type Cluster,
  STREAM_METHODS,
  type StreamMethod,
  STREAMS,
} from '../../protocol/streams.js';

/** One flag per stream method: `--stock-trades [symbols]` → subscribeStockTrades. */
interface StreamFlag {
  /** Flag name without dashes: the Python library's name kebab-cased (`stock-trades`). */
  readonly flag: string;
  readonly method: StreamMethod;
  readonly title: string;
  readonly clusters: readonly Cluster[];
}

function kebab(method: string): string {
  return method.replace(/(?<=[a-z0-9])([A-Z])/g, '-$1').toLowerCase();
}

export const STREAM_FLAGS: readonly StreamFlag[] = STREAM_METHODS.map((method) => {
  const rows = STREAMS.filter((s) => s.method === method);
  const pythonName = rows[0]?.pythonName;
  return {
    flag: pythonName ? pythonName.replace(/_/g, '-') : kebab(method),
    method,
    title: rows[0]?.title ?? method,
    clusters: rows.map((s) => s.cluster),
  };
});

/** A stream flag as given: its symbols (`['*']` when the value was left off). */
export interface StreamRequest {
  readonly flag: string;
  readonly method: StreamMethod;
  readonly symbols: readonly string[];
}

/** The default subscription of a cluster: its first two market-feed streams, every symbol. */
export function defaultStreams(cluster: Cluster): StreamMethod[] {
  return STREAMS.filter((s) => s.cluster === cluster && s.feed === 'market')
    .slice(0, 2)
    .map((s) => s.method);
}
