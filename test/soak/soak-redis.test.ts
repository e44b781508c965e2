/**
 * Soak: the Redis sink through a redis-server killed with SIGKILL and down for 10 s (the 1 and 3 s
 * outages are in test/integration/redis-sink-restarts.test.ts): without persistence, with AOF
 * `appendfsync always` and rolled back to an older RDB, every event given is held, reported lost
 * with its count, or dropped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import { requireRedis } from '../helpers/redis.js';
import { sinkThroughRestart, type Persistence } from '../helpers/redis-sink-proof.js';

const redis = requireRedis();
const OUTAGE_MS = 10_000;

for (const persistence of ['none', 'aof-always', 'rollback'] as Persistence[]) {
  test(
    `RedisSink, ${persistence}, 10 s down: held + lost + dropped = given`,
    { timeout: 60_000, skip: redis.skip },
    async () => {
      const r = await sinkThroughRestart(persistence, OUTAGE_MS);
      const { stats } = r;
      assert.equal(stats.written, r.held);
      assert.equal(r.held + stats.lost.restart + stats.dropped, r.given);
      const lost = r.reports.filter((e) => e.code === ErrorCode.RedisDataLost);
      if (persistence === 'aof-always') {
        assert.equal(stats.lost.restart, 0);
        assert.deepEqual(lost, []);
      } else {
        assert.ok(stats.lost.restart > 0);
        assert.equal(lost.length, 1);
        assert.equal(lost[0]!.details.lost, stats.lost.restart);
      }
    },
  );
}
