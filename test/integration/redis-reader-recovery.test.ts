/**
 * readStream when Redis loses what the group relies on, against a real redis-server: the group gone
 * after a kill -9 and a restart without persistence (10 s outages: test/soak), entries trimmed before the group read them,
 * consumers that died long ago.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { ErrorCode, type PolygonStreamError } from '../../src/errors.js';
import { StreamReader } from '../../src/redis/index.js';
import { readerSurvivesEmptyRestart } from '../helpers/redis-restart.js';
import type { RedisServer } from '../helpers/redis.js';
import { privateRedis, trades, waitFor, writeEvents } from '../helpers/redis-stream.js';
import { sleep } from '../helpers/until.js';

let server: RedisServer;
let admin: Redis;
const { T, everything, freshKey } = privateRedis('recovery', (s, a) => {
  server = s;
  admin = a;
});

function reader(
  key: string,
  consumer: string,
  onError: (err: PolygonStreamError) => void,
  extra: Partial<ConstructorParameters<typeof StreamReader>[0]> = {},
  own?: AbortController,
): StreamReader {
  return new StreamReader({
    url: server.url,
    key,
    group: 'g',
    consumer,
    blockMs: 50,
    onError,
    signal: own ? AbortSignal.any([own.signal, everything]) : everything,
    ...extra,
  });
}

describe('readStream: Redis restarted empty', () => {
  for (const start of ['$', '0'] as const) {
    for (const outageMs of [1_000, 3_000]) {
      test(
        `group started at '${start}', kill -9 and ${outageMs / 1000} s without persistence: re-created at 0, every entry written since is read, reported`,
        T,
        () => readerSurvivesEmptyRestart(server, freshKey(), start, outageMs),
      );
    }
  }
});

describe('readStream: Redis restarted with its data', () => {
  test(
    'rolled back to a snapshot (SAVE, kill -9, restart): the group survives, nothing reported, new entries read',
    T,
    async () => {
      const key = freshKey();
      const reports: PolygonStreamError[] = [];
      const handled: number[] = [];
      const ac = new AbortController();
      const r = reader(key, 'c', (e) => reports.push(e), { start: '0' }, ac);
      const loop = (async () => {
        for await (const ev of r) handled.push(ev.q as number);
      })();
      await writeEvents(admin, key, trades(1, 100));
      await waitFor('the first 100', () => handled.length === 100);
      await admin.save(); // the snapshot: 100 entries, the group at the 100th
      await writeEvents(admin, key, trades(101, 50));
      await waitFor('50 more', () => handled.length === 150);
      await server.stop({ save: false }); // kill -9: Redis comes back from the snapshot
      await server.start();
      assert.equal(await admin.xlen(key), 100, 'rolled back');
      await writeEvents(admin, key, trades(151, 50));
      await waitFor('the entries written after the restart', () => handled.length === 200);
      ac.abort();
      await loop;
      assert.deepEqual(
        handled,
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      assert.deepEqual(reports, []);
    },
  );
});

describe('readStream: missed entries', () => {
  test('a trim past a lagging group: counted at start, the rest read', T, async () => {
    const key = freshKey();
    await writeEvents(admin, key, trades(1, 100));
    const ac = new AbortController();
    const seen: number[] = [];
    const none = (err: PolygonStreamError): void => assert.fail(err.message);
    for await (const ev of reader(key, 'slow', none, { start: '0', count: 10 }, ac)) {
      seen.push(ev.q as number);
      if (seen.length === 10) ac.abort();
    }
    await admin.xtrim(key, 'MAXLEN', 50); // 40 unread entries gone

    const reports: PolygonStreamError[] = [];
    const ac2 = new AbortController();
    for await (const ev of reader(key, 'next', (e) => reports.push(e), { start: '0' }, ac2)) {
      seen.push(ev.q as number);
      if (seen.length === 60) ac2.abort();
    }
    assert.deepEqual(seen, [
      ...Array.from({ length: 10 }, (_, i) => i + 1),
      ...Array.from({ length: 50 }, (_, i) => i + 51),
    ]);
    assert.deepEqual(
      reports.map((e) => [e.code, e.details['missed']]),
      [[ErrorCode.RedisMissedEntries, 40]],
    );
    assert.match(
      reports[0]!.message,
      /missed 40 entries: trimmed or deleted before the group read them/,
    );
  });

  test('entries trimmed while the reader runs: found by the scheduled check', T, async () => {
    const key = freshKey();
    const reports: PolygonStreamError[] = [];
    const handled: number[] = [];
    const ac = new AbortController();
    const r = reader(key, 'c', (e) => reports.push(e), { start: '0', checkIntervalMs: 100 }, ac);
    const loop = (async () => {
      for await (const ev of r) handled.push(ev.q as number);
    })();
    await writeEvents(admin, key, trades(1, 5));
    await waitFor('the first 5', () => handled.length === 5);
    // 100 entries and a trim to 10 in one transaction: the reader never sees the 90.
    const multi = admin.multi();
    for (const e of trades(6, 100)) multi.xadd(key, '*', 'data', JSON.stringify(e));
    await multi.xtrim(key, 'MAXLEN', 10).exec();
    await waitFor('the report', () => reports.length > 0, 5_000);
    await waitFor('the 10 left', () => handled.length === 15);
    ac.abort();
    await loop;
    assert.deepEqual(
      handled.slice(5),
      Array.from({ length: 10 }, (_, i) => i + 96),
    );
    assert.deepEqual(
      reports.map((e) => [e.code, e.details['missed']]),
      [[ErrorCode.RedisMissedEntries, 90]],
    );
  });
});

describe('readStream: dead consumers', () => {
  test(
    'consumers idle past deadConsumerIdleMs with nothing pending are removed; others kept',
    T,
    async () => {
      const key = freshKey();
      await writeEvents(admin, key, trades(1, 20));
      await admin.xgroup('CREATE', key, 'g', '0');
      await admin.call('XGROUP', 'CREATECONSUMER', key, 'g', 'ghost');
      // 'holder' takes 5 entries and never acknowledges them: it keeps them until they are claimed.
      await admin.xreadgroup('GROUP', 'g', 'holder', 'COUNT', 5, 'STREAMS', key, '>');
      const names = async (): Promise<string[]> =>
        ((await admin.call('XINFO', 'CONSUMERS', key, 'g')) as string[][]).map((c) => c[1]!).sort();
      assert.deepEqual(await names(), ['ghost', 'holder']);

      const ac = new AbortController();
      const extra = { deadConsumerIdleMs: 300, checkIntervalMs: 50, claimIdleMs: 60_000 };
      const handled: number[] = [];
      const r = reader(key, 'live', (e) => assert.fail(e.message), extra, ac);
      const loop = (async () => {
        for await (const ev of r) handled.push(ev.q as number);
      })();
      await waitFor('the ghost removed', async () => !(await names()).includes('ghost'));
      // A fixed quiet period, well past the threshold (eight checks): the holder of pending
      // entries, idle about as long as the ghost was, is never removed.
      await sleep(400);
      assert.deepEqual(await names(), ['holder', 'live']);
      assert.equal(handled.length, 15);
      ac.abort();
      await loop;
    },
  );
});
