/**
 * Where an event came from, as a recording's `source` column says: `snapshot` (its topic's latest
 * state from REST on subscribe), `backfill` (REST history: a reconnect's gap or a `from`
 * catch-up), else `live`. Light on purpose: the CLI imports it without loading DuckDB.
 */
import type { StreamClient } from '../client/stream-client.js';

export type EventSource = 'live' | 'backfill' | 'snapshot' | (string & Record<never, never>);

export function eventSource(
  client: Pick<StreamClient, 'isBackfilled' | 'isSnapshot'>,
  event: object,
): EventSource {
  if (client.isSnapshot(event)) return 'snapshot';
  return client.isBackfilled(event) ? 'backfill' : 'live';
}
