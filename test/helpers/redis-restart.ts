/**
 * The reader's restart scenario, shared by the integration tests (1 s and 3 s outages) and the soak
 * suite (10 s): a reader in group 'g' of `key` and a RedisSink writing to it; Redis killed (kill -9,
 * no persistence) after 300 events, 300 more written during the outage, restarted empty, 300 more.
 * Asserts the reader handled every entry Redis holds after the restart and reported the re-created
 * group once, with Redis's restart recognised.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { ErrorCode, type PolygonStreamError } from '../../src/errors.js';
import { RedisSink, StreamReader } from '../../src/redis/index.js';
import type { RedisServer } from './redis.js';
import { pendingCount, streamEvents, trades, waitFor } from './redis-stream.js';

export async function readerSurvivesEmptyRestart(
  server: RedisServer,
  key: string,
  start: '$' | '0',
  outageMs: number,
): Promise<void> {
  const admin = new Redis(server.url, { maxRetriesPerRequest: null });
  const sink = new RedisSink({ url: server.url, streamKey: key });
  sink.on('error', () => {}); // the outage is the sink side's to report
  const reports: PolygonStreamError[] = [];
  const handled = new Set<number>();
  const ac = new AbortController();
  const reader = new StreamReader({
    url: server.url,
    key,
    group: 'g',
    consumer: 'c',
    start,
    blockMs: 50,
    onError: (err) => reports.push(err),
    signal: ac.signal,
  });
  const loop = (async () => {
    for await (const ev of reader) handled.add(ev.q as number);
  })();
  try {
    // The group exists (with its stream) once the reader is reading.
    await waitFor('the group', async () => (await admin.exists(key)) === 1);
    await sink.connect();
    sink.writeFrame(trades(1, 300));
    await waitFor('the first 300', () => handled.size === 300);

    await server.stop({ save: false }); // kill -9: nothing persisted
    sink.writeFrame(trades(301, 300)); // buffered by the sink through the outage
    await new Promise((resolve) => setTimeout(resolve, outageMs));
    await server.start();
    sink.writeFrame(trades(601, 300));
    await waitFor(
      'the sink flushed',
      // The sink counts the 300 written before the restart as lost by Redis (REDIS_DATA_LOST),
      // whether or not a consumer had read them.
      () => {
        const st = sink.stats();
        return st.written + st.lost.restart === 900 && st.buffered === 0;
      },
      outageMs + 10_000,
    );

    // Redis holds what was written since the restart; the reader must handle all of it.
    const since = (await streamEvents(admin, key)).map((event) => event['q'] as number);
    assert.equal(since.length, 600);
    await waitFor('every event written since the restart', () =>
      since.every((q) => handled.has(q)),
    );
    ac.abort();
    await loop;
    assert.deepEqual(
      reports.map((e) => [e.code, e.details['redisRestarted']]),
      [[ErrorCode.RedisGroupRecreated, true]],
    );
    assert.match(reports[0]!.message, /was gone \(Redis restarted .*re-created at 0/);
    assert.equal(await pendingCount(admin, key, 'g'), 0);
  } finally {
    ac.abort();
    await loop.catch(() => {});
    await sink.close();
    admin.disconnect();
  }
}
