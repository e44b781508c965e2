/**
 * The sink through a Redis killed with SIGKILL and restarted, for the restart tests and the soak
 * suite: a synthetic sequence of numbered trades written every 5 ms while Redis is up, down for
 * `outageMs` and up again; afterwards, what Redis holds is read back and set against what the sink
 * says it wrote, lost and dropped.
 */
import { Redis } from 'ioredis';
import type { WireEvent } from '../../src/protocol/codec.js';
import type { PolygonStreamError } from '../../src/errors.js';
import { RedisSink, type RedisSinkStats } from '../../src/redis/index.js';
import { rawCommand, startRedis } from './redis.js';
import { streamEvents } from './redis-stream.js';

/** none: no persistence; aof-always: appendfsync always; rollback: an older RDB comes back. */
export type Persistence = 'none' | 'aof-always' | 'rollback';

export interface RestartResult {
  /** Events handed to the sink. */
  given: number;
  /** Distinct events Redis holds at the end. */
  held: number;
  /** The smallest event number Redis holds (1: the start survived). */
  lowest: number;
  /** Events Redis holds twice (a batch resent after its reply was lost: at least once). */
  duplicates: number;
  stats: RedisSinkStats;
  reports: PolygonStreamError[];
}

const AOF_ALWAYS = ['--appendonly', 'yes', '--appendfsync', 'always'];
const STEP_MS = 5;
const PER_STEP = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function sinkThroughRestart(
  persistence: Persistence,
  outageMs: number,
): Promise<RestartResult> {
  const settings = persistence === 'aof-always' ? AOF_ALWAYS : [];
  const server = await startRedis(settings);
  const reports: PolygonStreamError[] = [];
  const sink = new RedisSink({
    url: server.url,
    streamKey: 'proof',
    batchSize: 200,
    onError: (err) => reports.push(err),
  });
  let q = 0;
  const writer = setInterval(() => {
    const frame: WireEvent[] = [];
    for (let k = 0; k < PER_STEP; k++) frame.push({ ev: 'T', sym: 'AAPL', p: 1, s: 1, q: ++q });
    sink.writeFrame(frame);
  }, STEP_MS);
  const admin = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await sink.connect();
    await sleep(500);
    if (persistence === 'rollback') {
      const saved = await rawCommand(server.port, 'SAVE', 5_000);
      if (saved !== '+OK') throw new Error(`SAVE answered ${saved}`);
    }
    await sleep(500);
    await server.stop({ save: false });
    await sleep(outageMs);
    await server.start(settings);
    await sleep(500);
    clearInterval(writer);
    await sink.close();
    await admin.connect();
    const qs = (await streamEvents(admin, 'proof')).map((event) => event['q'] as number);
    const held = new Set(qs).size;
    const lowest = Math.min(...qs);
    return { given: q, held, lowest, duplicates: qs.length - held, stats: sink.stats(), reports };
  } finally {
    clearInterval(writer);
    await sink.close();
    admin.disconnect();
    await server.dispose();
  }
}
