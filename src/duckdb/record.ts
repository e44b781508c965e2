/**
 * `recordToDuckDb(client, path)`: a DuckDbSink fed by a StreamClient — every frame's events in
 * order (statuses included; gap-fill's history marked `backfill`), and the client's `gap` and
 * `backfill` reports in the `lifecycle` table, next to the data they concern.
 */
import type { StreamClient } from '../client/stream-client.js';
import type { Cluster } from '../protocol/streams.js';
import { DuckDbSink, type DuckDbSinkOptions } from './sink.js';
import { eventSource } from './event-source.js';

export interface DuckDbRecording {
  readonly sink: DuckDbSink;
  /** Stop listening, commit what is left and close the file. */
  stop(): Promise<void>;
}

/** Open `path` and record everything `client` delivers until `stop()`. */
export async function recordToDuckDb<C extends Cluster>(
  client: StreamClient<C>,
  path: string,
  options: Omit<DuckDbSinkOptions, 'cluster'> = {},
): Promise<DuckDbRecording> {
  const sink = await DuckDbSink.open(path, { ...options, cluster: client.cluster });
  const removers = [
    client.on('frame', (events) => sink.write(events, (event) => eventSource(client, event))),
    client.on('gap', (gap) => sink.note('gap', gap, gap.topics)),
    client.on('backfill', (report) => sink.note('backfill', report, [report.topic])),
    client.on('caughtUp', (report) => sink.note('caughtUp', report, [report.topic])),
    client.on('snapshot', (report) => sink.note('snapshot', report, [report.topic])),
  ];
  return {
    sink,
    stop: async () => {
      for (const remove of removers) remove();
      await sink.close();
    },
  };
}
