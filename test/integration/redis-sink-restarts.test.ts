/**
 * The Redis sink through a redis-server killed with SIGKILL and restarted (test/helpers/redis.ts,
 * real redis-server): without persistence, with AOF `appendfsync always`, and rolled back to an
 * older RDB, at 1 and 3 s outages (10 s ones: test/soak/soak-redis.test.ts). Every event given is
 * held by Redis, reported lost (REDIS_DATA_LOST, with the count) or dropped. And the pipelined
 * window: a connection killed with batches in flight requeues them all, in order.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { WireEvent } from '../../src/protocol/codec.js';
import { ErrorCode, type PolygonStreamError } from '../../src/errors.js';
import { RedisSink } from '../../src/redis/index.js';
import { requireRedis, startRedis } from '../helpers/redis.js';
import { sinkThroughRestart, type RestartResult } from '../helpers/redis-sink-proof.js';
import { streamEvents, waitFor } from '../helpers/redis-stream.js';

const redis = requireRedis();
const T = { timeout: 30_000, skip: redis.skip };

/** Held + lost + dropped is everything given, and `written` is exactly what Redis holds. */
function accountedFor(r: RestartResult): void {
  const { stats } = r;
  assert.equal(stats.buffered, 0);
  assert.equal(stats.written, r.held, 'written = the distinct events Redis holds');
  assert.equal(r.held + stats.lost.restart + stats.dropped, r.given, JSON.stringify(r.stats));
  assert.equal(stats.lost.trimmed, 0);
}

function lossReports(r: RestartResult) {
  return r.reports.filter((e) => e.code === ErrorCode.RedisDataLost);
}

describe('RedisSink through kill -9 and restart', { concurrency: true }, () => {
  for (const outageMs of [1_000, 3_000]) {
    test(
      `no persistence, ${outageMs} ms down: everything before the kill reported lost`,
      T,
      async () => {
        const r = await sinkThroughRestart('none', outageMs);
        accountedFor(r);
        assert.ok(r.stats.lost.restart > 0);
        const [report, ...more] = lossReports(r);
        assert.equal(more.length, 0, 'one report for one restart');
        assert.equal(report?.details.lost, r.stats.lost.restart);
        assert.equal(report?.details.bound, 'exact');
        assert.equal(report?.details.restarted, true);
        assert.equal(r.duplicates, 0);
        assert.ok(r.lowest > 1, 'Redis came back empty: the start is gone');
      },
    );

    test(`AOF appendfsync always, ${outageMs} ms down: nothing lost`, T, async () => {
      const r = await sinkThroughRestart('aof-always', outageMs);
      accountedFor(r);
      assert.equal(r.stats.lost.restart, 0);
      assert.equal(r.stats.dropped, 0);
      assert.equal(r.held, r.given);
      assert.deepEqual(lossReports(r), []);
    });

    test(
      `rolled back to an older RDB, ${outageMs} ms down: what came after it reported lost`,
      T,
      async () => {
        const r = await sinkThroughRestart('rollback', outageMs);
        accountedFor(r);
        assert.ok(r.stats.lost.restart > 0);
        // The RDB held the first half second: the rollback kept the start, lost what followed.
        assert.equal(r.lowest, 1);
        const reports = lossReports(r);
        assert.equal(reports.length, 1);
        assert.equal(reports[0]!.details.lost, r.stats.lost.restart);
        assert.equal(reports[0]!.details.bound, 'exact');
        assert.notEqual(reports[0]!.details.redisLastId, '0-0', 'the stream came back, shorter');
      },
    );
  }
});

test(
  'connection killed with pipelined batches in flight: every one sent again, in order, none lost',
  T,
  async () => {
    const server = await startRedis();
    const admin = new Redis(server.url, { maxRetriesPerRequest: null });
    const reports: PolygonStreamError[] = [];
    const sink = new RedisSink({
      url: server.url,
      streamKey: 'window',
      batchSize: 200,
      entryEvents: 50,
      maxInFlight: 8,
      onError: (err) => reports.push(err),
    });
    try {
      await sink.connect();
      const N = 40_000;
      for (let q = 1; q <= N; q += 10) {
        const frame: WireEvent[] = [];
        for (let k = q; k < q + 10; k++) frame.push({ ev: 'T', sym: 'AAPL', p: 1, s: 1, q: k });
        sink.writeFrame(frame);
      }
      // Some batches confirmed, more in flight (8 × 200 events) and queued behind: cut the line.
      await waitFor('the first batches', () => sink.stats().written > 0);
      assert.ok(sink.stats().buffered > 1_600, `${sink.stats().buffered} buffered`);
      const killed = await admin.client('KILL', 'SKIPME', 'yes', 'TYPE', 'normal');
      assert.equal(killed, 1, 'the sink connection');
      await waitFor('flushed', () => sink.stats().buffered === 0 && sink.stats().connected);
      const s = sink.stats();
      assert.deepEqual([s.written, s.dropped, s.lost.restart], [N, 0, 0]);
      // At least once: a batch applied just before the kill may be there twice; first copies in order.
      const qs = (await streamEvents(admin, 'window')).map((e) => e['q'] as number);
      const seen = new Set<number>();
      const firsts = qs.filter((q) => !seen.has(q) && seen.add(q));
      assert.equal(firsts.length, N);
      assert.ok(
        firsts.every((q, i) => q === i + 1),
        'in order',
      );
      assert.ok(qs.length - N <= 8 * 200, `${qs.length - N} repeated: at most the window`);
      assert.deepEqual(
        reports.map((e) => e.code),
        [ErrorCode.RedisUnavailable],
      );
    } finally {
      await sink.close();
      admin.disconnect();
      await server.dispose();
    }
  },
);
