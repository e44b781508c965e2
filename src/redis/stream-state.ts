/**
 * What the sink checks after every (re)connect, before writing again: the server's run id (it
 * changes when Redis restarts) and the stream's last-generated id ('0-0' when the stream is missing:
 * Redis came back empty, or the stream was deleted or re-created empty).
 */
import type { Redis } from 'ioredis';

export interface StreamState {
  runId: string;
  lastId: string;
  length: number;
}

export async function readStreamState(client: Redis, key: string): Promise<StreamState> {
  const [info, stream] = await Promise.all([
    client.info('server'),
    client.call('XINFO', 'STREAM', key).catch((err: unknown) => {
      if (err instanceof Error && /no such key/i.test(err.message)) return undefined;
      throw err;
    }),
  ]);
  const runId = /^run_id:(\S+)/m.exec(info)?.[1] ?? '';
  if (!Array.isArray(stream)) return { runId, lastId: '0-0', length: 0 };
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < stream.length; i += 2) fields.set(String(stream[i]), stream[i + 1]);
  return {
    runId,
    lastId: String(fields.get('last-generated-id') ?? '0-0'),
    length: Number(fields.get('length') ?? 0),
  };
}
