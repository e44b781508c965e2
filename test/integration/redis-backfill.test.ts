/**
 * Gap-fill reaches the Redis fan-out: a StreamClient with `backfill`, its frames written to a real
 * redis-server by RedisSink (`client.on('frame', …)`, as the README shows), an outage of the
 * simulated market's server; the stream in Redis then holds every event of the tape for the
 * topic, once, in order, filled events included (before, 'frame' listeners saw live frames only
 * and every gap was lost to Redis consumers).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { StreamClient, type Gap } from '../../src/index.js';
import { RedisSink } from '../../src/redis/index.js';
import { startSimulator } from '../../src/simulator/index.js';
import type { RedisServer } from '../helpers/redis.js';
import { privateRedis, streamEvents } from '../helpers/redis-stream.js';
import { until } from '../helpers/until.js';

let server: RedisServer;
let admin: Redis;
const { T, freshKey } = privateRedis('backfill', (s, a) => {
  server = s;
  admin = a;
});

test("a gap's filled events reach Redis in order, through 'frame'", T, async () => {
  const sim = await startSimulator({ eventsPerSecond: 2_000, tickMs: 10 });
  const key = freshKey();
  const sink = new RedisSink({ url: server.url, streamKey: key });
  const client = new StreamClient('k', 'stocks', {
    host: sim.url,
    backfill: { liveWaitMs: 100, requestsPerSecond: 1_000 },
    reconnect: { initialDelayMs: 10, maxDelayMs: 50, factor: 2, jitter: 0, maxAttempts: 100 },
    onError: () => undefined,
    onClose: () => undefined,
  });
  const gaps: Gap[] = [];
  client.on('gap', (g) => gaps.push(g));
  client.on('frame', (events) => sink.writeFrame(events));
  try {
    await sink.connect();
    await client.startStreamThread();
    await client.subscribe(['T.AAPL']);
    await until(() => sink.stats().written >= 10, 'live events in Redis before the outage');
    sim.outage(500);
    await until(() => gaps.length > 0, 'the gap', 15_000);
    assert.ok(gaps[0]!.filled!['T.AAPL']! > 0, JSON.stringify(gaps[0]));
    // Live again after the fill: events past the seam reach Redis too.
    const written = sink.stats().written;
    await until(() => sink.stats().written >= written + 10, 'live events in Redis after the gap');
    await client.closeStream();
    await sink.close();
    const got = (await streamEvents(admin, key)).map((event) => event['q']);
    const tape = sim.history('stocks', 'T.AAPL').map((e) => e['q']);
    const start = tape.indexOf(got[0]);
    assert.ok(start >= 0 && got.length > 20, `${got.length} events`);
    assert.deepEqual(got, tape.slice(start, start + got.length), 'every event once, in order');
  } finally {
    await client.closeStream();
    await sink.close();
    await sim.close();
  }
});
