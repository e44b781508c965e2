/**
 * What the Redis sink trims and what it does when Redis is full, against a real redis-server
 * (test/helpers/redis.ts): the scheduled trim never deletes an entry a consumer group has not
 * acknowledged; the `maxLen` ceiling (in entries) reports exactly the unread events it trims
 * (counted by each entry's `n`); a full Redis is one REDIS_MEMORY_FULL episode with its count.
 * Entries hold 10 events here (`entryEvents: 10`, frames of 10 or 100), so entry k holds the
 * events 10k-9 … 10k.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import type { WireEvent } from '../../src/protocol/codec.js';
import { ErrorCode, type PolygonStreamError } from '../../src/errors.js';
import { RedisSink, type RedisSinkOptions } from '../../src/redis/index.js';
import type { RedisServer } from '../helpers/redis.js';
import { privateRedis, streamEvents, waitFor } from '../helpers/redis-stream.js';
import { sleep } from '../helpers/until.js';

let server: RedisServer;
let admin: Redis;
const sinks: RedisSink[] = [];
// Registered first, so it runs first: the sinks close before their Redis does.
after(async () => {
  await Promise.all(sinks.map((s) => s.close()));
});
const { T, freshKey } = privateRedis(
  'trim',
  (s, a) => {
    server = s;
    admin = a;
  },
  { settings: ['--maxmemory-policy', 'noeviction'] },
);

function trades(from: number, n: number, pad = ''): WireEvent[] {
  return Array.from({ length: n }, (_, k) => ({ ev: 'T', sym: 'AAPL', q: from + k, pad }));
}

function open(extra: Partial<RedisSinkOptions>) {
  const key = freshKey();
  const reports: PolygonStreamError[] = [];
  const sink = new RedisSink({
    url: server.url,
    streamKey: key,
    onError: (e) => reports.push(e),
    ...extra,
  });
  sinks.push(sink);
  return { key, sink, reports };
}

/** The `q` of every event in the stream, in order. */
async function qsOf(key: string): Promise<number[]> {
  return (await streamEvents(admin, key)).map((event) => event['q'] as number);
}

/** Events `from`… in frames of 10 (one entry each with `entryEvents: 10`). */
function writeTens(sink: RedisSink, from: number, n: number): void {
  for (let q = from; q < from + n; q += 10) sink.writeFrame(trades(q, 10));
}

/** XREADGROUP `count` new entries for `group` as consumer c; returns their ids. */
async function read(key: string, group: string, count: number): Promise<string[]> {
  const reply = (await admin.xreadgroup(
    'GROUP',
    group,
    'c',
    'COUNT',
    count,
    'STREAMS',
    key,
    '>',
  )) as [string, [string, string[]][]][] | null;
  return reply?.[0]?.[1].map(([id]) => id) ?? [];
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('RedisSink trimming', () => {
  test('the scheduled trim keeps every entry some group has not acknowledged', T, async () => {
    const { key, sink, reports } = open({ trimIntervalMs: 20, entryEvents: 10 });
    await sink.connect();
    writeTens(sink, 1, 100);
    await waitFor('written', () => sink.stats().written === 100);
    assert.equal(await admin.xlen(key), 10);
    await admin.xgroup('CREATE', key, 'fast', '0');
    await admin.xgroup('CREATE', key, 'slow', '0');
    // fast handles all 10 entries; slow reads 3 and acknowledges the first 2 (events 1…20).
    await admin.xack(key, 'fast', ...(await read(key, 'fast', 100)));
    const slow = await read(key, 'slow', 3);
    await admin.xack(key, 'slow', ...slow.slice(0, 2));
    writeTens(sink, 101, 400);
    await waitFor('written', () => sink.stats().written === 500);
    await waitFor('trimmed to what slow needs', async () => (await qsOf(key))[0] === 21);
    // A fixed quiet period of about ten trim passes (one per 20 ms): nothing slow still needs goes
    // (the sink shows no count of its passes to wait for).
    await sleep(200);
    assert.deepEqual(await qsOf(key), range(21, 500));

    // Once both groups have handled everything, only the last entry stays.
    await admin.xack(key, 'slow', ...slow.slice(2), ...(await read(key, 'slow', 1000)));
    await admin.xack(key, 'fast', ...(await read(key, 'fast', 1000)));
    await waitFor('trimmed to the last', async () => (await admin.xlen(key)) === 1);
    assert.deepEqual(await qsOf(key), range(491, 500));
    assert.deepEqual(reports, []);
    assert.deepEqual(sink.stats().lost, { restart: 0, trimmed: 0 });
    assert.equal(sink.stats().written, 500);
  });

  test('with no group the scheduled trim keeps everything', T, async () => {
    const { key, sink } = open({ trimIntervalMs: 20, entryEvents: 10 });
    await sink.connect();
    writeTens(sink, 1, 300);
    await waitFor('written', () => sink.stats().written === 300);
    // A fixed quiet period of about ten trim passes (one per 20 ms): none deletes anything.
    await sleep(200);
    assert.equal(await admin.xlen(key), 30);
    assert.deepEqual(await qsOf(key), range(1, 300));
  });

  test(
    'the maxLen ceiling trims what the group handled first, then reports the unread events it trims',
    T,
    async () => {
      const options = { maxLen: 50, batchSize: 100, entryEvents: 10, trimIntervalMs: 0 };
      const { key, sink, reports } = open(options);
      await sink.connect();
      writeTens(sink, 1, 300);
      await waitFor('written', () => sink.stats().written === 300);
      await admin.xgroup('CREATE', key, 'g', '0');
      const ids = await read(key, 'g', 30);
      await admin.xack(key, 'g', ...ids.slice(0, 20)); // 201…300 pending, 301… not yet delivered
      for (let q = 301; q <= 1000; q += 100) {
        sink.writeFrame(trades(q, 100)); // one batch of 10 entries
        await waitFor('batch', () => sink.stats().buffered === 0);
      }
      // At 60 entries the ceiling trimmed 1…200 (handled); from 80 on, 10 unread entries per batch.
      assert.deepEqual(await qsOf(key), range(501, 1000));
      assert.equal(await admin.xlen(key), 50);
      const trims = reports.filter((e) => e.code === ErrorCode.RedisTrimmedUnread);
      assert.equal(trims.length, 3, 'one report per trim');
      assert.deepEqual(
        trims.map((e) => [e.details.trimmed, e.details.entries, e.details.groups]),
        [
          [100, 10, 1],
          [100, 10, 1],
          [100, 10, 1],
        ],
      );
      const s = sink.stats();
      assert.equal(s.lost.trimmed, 300);
      assert.equal(s.written, 700, 'held (500) or handled by the group (200)');
      assert.equal(s.written + s.lost.trimmed + s.dropped, 1000);
    },
  );
});

describe('RedisSink and a full Redis', () => {
  test(
    'refusals for memory are one episode: one report as it starts, one with the count as it ends',
    T,
    async () => {
      const { key, sink, reports } = open({ batchSize: 50 });
      await sink.connect();
      let given = 0;
      const write = (n: number) => {
        sink.writeFrame(trades(given + 1, n, 'x'.repeat(100)));
        given += n;
      };
      write(100);
      await waitFor('written', () => sink.stats().written === 100);
      await admin.config('SET', 'maxmemory', '1');
      for (let i = 0; i < 10; i++) {
        write(50);
        await waitFor('refused', () => sink.stats().buffered === 0);
      }
      assert.equal(sink.stats().droppedForMemory, 500);
      await admin.config('SET', 'maxmemory', '0');
      write(50);
      await waitFor('accepted again', () => sink.stats().written === 150);
      await sink.close();

      const memory = reports.filter((e) => e.code === ErrorCode.RedisMemoryFull);
      assert.deepEqual(
        memory.map((e) => [e.details.phase, e.details.dropped]),
        [
          ['start', 50],
          ['end', 500],
        ],
      );
      assert.match(
        memory[1]!.message,
        /Redis accepts writes again after \d+ ms .*; 500 events dropped/,
      );
      assert.equal(reports.length, 2, reports.map((e) => e.code).join());
      const s = sink.stats();
      assert.deepEqual([s.written, s.dropped, s.droppedForMemory], [150, 500, 500]);
      assert.equal(s.written + s.dropped, given);
      assert.deepEqual(await qsOf(key), [...range(1, 100), ...range(601, 650)]);
    },
  );
});

describe('RedisSink reports are never silent', () => {
  test('with no onError and no error listener a report is a one-line warning', T, async () => {
    const warnings: string[] = [];
    const key = freshKey();
    const sink = new RedisSink({
      url: server.url,
      streamKey: key,
      maxLen: 10,
      entryEvents: 2,
      logger: { warn: (m) => warnings.push(m) },
    });
    sinks.push(sink);
    await sink.connect();
    sink.writeFrame(trades(1, 30)); // 15 entries of 2
    await waitFor('written', () => sink.stats().written === 20);
    assert.deepEqual(warnings, [
      `polygon-stream [REDIS_TRIMMED_UNREAD] RedisSink: the maxLen ceiling (10 entries) trimmed 10 events (5 entries) of ${key} that nobody had read (the stream has no consumer group)`,
    ]);
  });
});
