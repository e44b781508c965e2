/**
 * `polygon-stream history TOPIC --from … --to …`: one topic's REST history, converted to the events
 * the stream delivers, printed as NDJSON (the shape `stream --format ndjson` prints). With no API
 * key, the embedded simulator's history is asked: a listed ticker asked for by name comes with its
 * past (the last 15 minutes), an unknown one is warned about. No events is not an error (exit 0),
 * but stderr says what was asked and what the source holds.
 */
import type { Cluster } from '../../protocol/streams.js';
import { topicKey } from '../../protocol/symbols.js';
import { eventTime } from '../../protocol/timestamps.js';
import { StreamClient } from '../../client/stream-client.js';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { formatNdjson } from '../output/format.js';
import { apiKeyOf, iso, UsageError } from '../args.js';
import { asUsage } from '../messages.js';
import { unknownTickerNotes } from '../unknown-tickers.js';

export interface HistoryFlags {
  cluster: Cluster;
  from: number;
  to?: number;
  key?: string;
  host?: string;
  maxRows?: number;
}

export async function runHistory(
  topic: string,
  flags: HistoryFlags,
  env: Record<string, string | undefined>,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const to = flags.to ?? Date.now();
  if (flags.from >= to) {
    const end = flags.to === undefined ? `now (${iso(to)}), the default --to` : iso(to);
    throw new UsageError(`--from must be before --to: ${iso(flags.from)} is not before ${end}`);
  }
  const key = apiKeyOf(flags, env);
  if (key === undefined && flags.host !== undefined) {
    throw new UsageError(
      '--host needs an API key: pass --key or set POLYGON_API_KEY (leave out both to ask the embedded simulator)',
    );
  }
  const sim = key === undefined ? await startSimulator() : undefined;
  try {
    const host = sim?.url ?? flags.host;
    let client: StreamClient;
    try {
      client = new StreamClient(key ?? 'simulator', flags.cluster, {
        ...(host === undefined ? {} : { host }),
        onError: () => undefined,
        onClose: () => undefined,
      });
    } catch (err) {
      throw asUsage(flags.host === undefined ? '--cluster' : '--host', err);
    }
    const query = { from: flags.from, to, ...(flags.maxRows ? { maxRows: flags.maxRows } : {}) };
    let pending: ReturnType<StreamClient['history']>;
    try {
      // The topic is checked at the call, before any request: a mistake in it is a usage error.
      pending = client.history(topic, query);
    } catch (err) {
      throw asUsage('<topic>', err);
    }
    const events = await pending;
    if (sim) {
      for (const note of unknownTickerNotes(sim, flags.cluster, [topic])) err.write(`${note}\n`);
    }
    for (const event of events) out.write(`${formatNdjson(event)}\n`);
    if (events.length === 0)
      err.write(`${nothingFound(topic, flags.cluster, flags.from, to, sim)}\n`);
    return 0;
  } finally {
    await sim?.close();
  }
}

/** What was asked and what the source holds, for a query that found nothing. */
function nothingFound(
  topic: string,
  cluster: Cluster,
  from: number,
  to: number,
  sim: Simulator | undefined,
): string {
  const asked = `history: no ${topic} events from ${iso(from)} to ${iso(to)}`;
  if (!sim) return `${asked}: the provider returned no rows for that range`;
  const kept = sim.history(cluster, topicKey(cluster, topic) ?? topic);
  if (kept.length === 0) return `${asked}: the simulator holds no ${topic} history`;
  const first = eventTime(kept[0]!);
  const last = eventTime(kept[kept.length - 1]!);
  return `${asked}: the simulator holds ${topic} from ${iso(first)} to ${iso(last)}`;
}
