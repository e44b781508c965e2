/**
 * `polygon-stream history TOPIC --from … --to …`: one topic's REST history, converted to the events
 * the stream delivers, printed as NDJSON (the shape `stream --format ndjson` prints). With no API
 * key, the embedded simulator's history is asked (its tape starts when the symbol is first asked
 * for, so a fresh simulator has little to give).
 */
import type { Cluster } from '../../protocol/streams.js';
import { StreamClient } from '../../client/stream-client.js';
import { startSimulator } from '../../simulator/index.js';
import { formatNdjson } from '../output/format.js';
import { apiKeyOf, iso, UsageError } from '../args.js';
import { asUsage } from '../messages.js';

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
    for (const event of events) out.write(`${formatNdjson(event)}\n`);
    return 0;
  } finally {
    await sim?.close();
  }
}
