/**
 * Soak: readStream through a 10 s Redis outage (kill -9, restarted without persistence), with the
 * group started both ways; the 1 s and 3 s outages are in test/integration/redis-reader-recovery.
 */
import { after, before, test } from 'node:test';
import { requireRedis, startRedis, type RedisServer } from '../helpers/redis.js';
import { readerSurvivesEmptyRestart } from '../helpers/redis-restart.js';

const redis = requireRedis();
let server: RedisServer;

before(async () => {
  if (redis.skip) return;
  server = await startRedis();
});

after(async () => {
  await server?.dispose();
});

for (const start of ['$', '0'] as const) {
  test(
    `group started at '${start}', kill -9 and 10 s without persistence: every entry written since is read, the re-created group reported`,
    { timeout: 60_000, skip: redis.skip },
    () => readerSurvivesEmptyRestart(server, `soak:${process.pid}:${start}`, start, 10_000),
  );
}
