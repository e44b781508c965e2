/**
 * Redis Streams fan-out against a real, private redis-server (test/helpers/redis.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { WireEvent } from '../../src/protocol/codec.js';
import { ErrorCode, isPolygonStreamError } from '../../src/errors.js';
import { RedisSink, StreamReader, readStream, type StreamEntry } from '../../src/redis/index.js';
import { freePort, type RedisServer } from '../helpers/redis.js';
import { EXAMPLES } from '../fixtures/event-examples.js';
import { fieldsOf, privateRedis, streamEvents, waitFor } from '../helpers/redis-stream.js';

let server: RedisServer;
let admin: Redis;
/** Closed at the end whatever happened, so a failed test cannot keep the process alive. */
const sinks: RedisSink[] = [];
after(() => Promise.all(sinks.map((s) => s.close())));
/** `everything` is aborted at the end: every reader gets a signal from it. */
const { T, everything, freshKey } = privateRedis('test', (s, a) => {
  server = s;
  admin = a;
});
function signal(own?: AbortController): AbortSignal {
  return own ? AbortSignal.any([own.signal, everything]) : everything;
}

function trade(q: number): WireEvent {
  const syms = ['AAPL', 'MSFT', 'NVDA'];
  return {
    ev: 'T',
    sym: syms[q % syms.length],
    x: 4,
    i: String(q),
    z: 3,
    p: 100 + (q % 97) / 8,
    s: 100,
    c: [0, 12],
    t: 1536036818784 + q,
    q,
  };
}

function trades(from: number, n: number): WireEvent[] {
  return Array.from({ length: n }, (_, k) => trade(from + k));
}

function sinkFor(key: string, extra: Partial<ConstructorParameters<typeof RedisSink>[0]> = {}) {
  const sink = new RedisSink({ url: server.url, streamKey: key, ...extra });
  sinks.push(sink);
  return sink;
}

/** All entries of a stream as { n, events } (entry format v2: events = parsed data). */
async function entriesOf(key: string) {
  const raw = await admin.xrange(key, '-', '+');
  return raw.map(([, fields]) => {
    const f = fieldsOf(fields);
    return { n: f['n'], events: JSON.parse(f['data']!) as WireEvent[] };
  });
}

async function collect<E>(iterable: AsyncIterable<E>, n: number): Promise<E[]> {
  const out: E[] = [];
  for await (const e of iterable) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

describe('RedisSink', () => {
  test(
    'every field round-trips with its JSON type; status events are not published',
    T,
    async () => {
      const key = freshKey();
      const sink = new RedisSink({ url: server.url, cluster: key, streamKey: '{cluster}' });
      sinks.push(sink);
      await sink.connect();
      const stockTrade = trade(1);
      // The provider's examples, as the file has them (forex `x` is the string "44").
      const book = EXAMPLES['/crypto/XL2']!.event as WireEvent;
      const fxExample = EXAMPLES['/forex/C']!;
      const fx: WireEvent = { ...(fxExample.event as WireEvent), ...fxExample.quirks };
      const odd: WireEvent = { ev: 'X', flag: true, none: null, nested: { deep: [{ k: 'v' }] } };
      const frame = [{ ev: 'status', status: 'success', message: 'x' }, stockTrade, book, fx, odd];
      sink.writeFrame(frame);
      sink.writeFrame([null as unknown as WireEvent]); // never throws; counted as dropped
      await waitFor('written', () => sink.stats().written === 4);
      await sink.close();
      assert.deepEqual(sink.stats(), {
        written: 4,
        lost: { restart: 0, trimmed: 0 },
        buffered: 0,
        dropped: 1,
        droppedForMemory: 0,
        errors: 0,
        connected: false,
      });

      // One entry for the frame: n and the events as a JSON array, in order.
      assert.deepEqual(await entriesOf(key), [{ n: '4', events: [stockTrade, book, fx, odd] }]);
      // The reader hands back the same objects.
      const read = await collect(
        readStream({
          url: server.url,
          key,
          group: 'g',
          consumer: 'c',
          start: '0',
          signal: signal(),
        }),
        4,
      );
      assert.deepEqual(read, [stockTrade, book, fx, odd]);
    },
  );

  test(
    'the maxLen ceiling bounds the stream; with no group its trims are reported',
    T,
    async () => {
      const key = freshKey();
      const trims: number[] = [];
      // Entries of 50 events (one per frame, never merged): the ceiling of 10 entries keeps 500.
      const sink = sinkFor(key, { maxLen: 10, entryEvents: 50 });
      sink.on('error', (err: { code: string; details: { trimmed: number } }) => {
        if (err.code === ErrorCode.RedisTrimmedUnread) trims.push(err.details.trimmed);
      });
      await sink.connect();
      for (let q = 1; q <= 5000; q += 50) sink.writeFrame(trades(q, 50));
      await waitFor('written', () => sink.stats().written + sink.stats().lost.trimmed === 5000);
      await sink.close();
      assert.equal(await admin.xlen(key), 10);
      assert.equal(sink.stats().lost.trimmed, 4500);
      assert.equal(sink.stats().written, 500);
      assert.equal(
        trims.reduce((a, b) => a + b, 0),
        4500,
      );
      const held = (await streamEvents(admin, key)).map((e) => e.q);
      assert.deepEqual(
        held,
        Array.from({ length: 500 }, (_, i) => 4501 + i),
      );
    },
  );

  test('Redis not reachable at start → REDIS_UNAVAILABLE, no password shown', T, async () => {
    const port = await freePort();
    const url = `redis://:hunter2@127.0.0.1:${port}`;
    const sink = new RedisSink({ url, streamKey: 'k' });
    sink.writeFrame(trades(1, 3));
    await assert.rejects(sink.connect(), (err: unknown) => {
      assert.ok(isPolygonStreamError(err, ErrorCode.RedisUnavailable));
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.doesNotMatch(err.message, /hunter2/);
      assert.doesNotMatch(JSON.stringify(err.details), /hunter2/);
      return true;
    });
    await sink.close();
    assert.equal(sink.stats().dropped, 3);

    const reader = readStream({ url, key: 'k', group: 'g', consumer: 'c' });
    await assert.rejects(collect(reader, 1), (err: unknown) => {
      assert.ok(isPolygonStreamError(err, ErrorCode.RedisUnavailable));
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
  });

  /** Write `before` events, restart Redis while writing `during`, then write `afterward`. */
  async function restartMidStream(maxBuffer: number, during: number) {
    const key = freshKey();
    const errors: string[] = [];
    const sink = sinkFor(key, { maxBuffer, batchSize: 100 });
    sink.on('error', (err: { code: string }) => errors.push(err.code));
    await sink.connect();
    let q = 1;
    /** `paced`: wait for room in the buffer before each frame (Redis is up, nothing may drop). */
    const write = async (n: number, paced: boolean) => {
      for (let end = q + n; q < end;) {
        const size = Math.min(10, end - q);
        if (paced) await waitFor('room', () => sink.stats().buffered + size <= maxBuffer);
        sink.writeFrame(trades(q, size));
        q += size;
        await new Promise((r) => setImmediate(r));
      }
    };
    await write(1000, true);
    await waitFor('first part written', () => sink.stats().written === 1000);

    await server.stop({ save: true });
    await write(during, false);
    await waitFor('disconnect seen', () => !sink.stats().connected);
    assert.ok(sink.stats().buffered <= maxBuffer);
    await server.start();
    await write(200, true);
    const total = q - 1;
    await waitFor('flushed', () => {
      const s = sink.stats();
      return s.connected && s.buffered === 0 && s.written + s.dropped === total;
    });
    await sink.close();
    const stats = sink.stats();
    assert.equal(stats.written + stats.dropped, total);
    assert.ok(errors.includes(ErrorCode.RedisUnavailable), `errors: ${errors.join(',')}`);

    // At least once: a batch whose reply was lost may be there twice; never out of order.
    const qs = (await streamEvents(admin, key)).map((e) => e.q as number);
    for (let i = 1; i < qs.length; i++) assert.ok(qs[i]! >= qs[i - 1]!, 'entries in order');
    const distinct = [...new Set(qs)];
    assert.equal(distinct.length, stats.written);
    return { stats, distinct, errors, total };
  }

  test('Redis restarted mid-stream, big buffer: everything arrives', T, async () => {
    const { stats, distinct, total } = await restartMidStream(100_000, 3000);
    assert.equal(stats.dropped, 0);
    assert.equal(stats.written, total);
    assert.deepEqual(
      distinct,
      Array.from({ length: total }, (_, i) => i + 1),
    );
  });

  test('Redis restarted mid-stream, tiny buffer: drops counted exactly', T, async () => {
    const { stats, distinct, errors } = await restartMidStream(50, 500);
    // Nothing was in flight at the stop, so the outage kept exactly the first 50 of 500.
    assert.equal(stats.dropped, 450);
    assert.equal(stats.written, 1000 + 50 + 200);
    const expected = [
      ...Array.from({ length: 1050 }, (_, i) => i + 1),
      ...Array.from({ length: 200 }, (_, i) => 1501 + i),
    ];
    assert.deepEqual(distinct, expected);
    assert.ok(errors.includes(ErrorCode.SinkOverflow));
  });
});

describe('readStream', () => {
  test('a group of 3 consumers receives each event exactly once', T, async () => {
    const key = freshKey();
    const N = 3000;
    const ac = new AbortController();
    const seen: number[][] = [[], [], []];
    let total = 0;
    const loops = seen.map(async (mine, i) => {
      const reader = readStream({
        url: server.url,
        key,
        group: 'workers',
        consumer: `c${i}`,
        count: 10,
        blockMs: 200,
        start: '0',
        signal: signal(ac),
      });
      for await (const ev of reader) {
        mine.push(ev.q as number);
        if (++total === N) ac.abort();
      }
    });
    const sink = sinkFor(key, { batchSize: 50 });
    await sink.connect();
    for (let q = 1; q <= N; q += 30) {
      sink.writeFrame(trades(q, 30));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(loops);
    await sink.close();
    const all = seen.flat().sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: N }, (_, i) => i + 1),
    );
    for (const mine of seen) assert.ok(mine.length > 0, `counts ${seen.map((s) => s.length)}`);
    const pending = (await admin.xpending(key, 'workers')) as [number, ...unknown[]];
    assert.equal(pending[0], 0, 'everything acknowledged');
  });

  test('a consumer that dies without acking has its entries claimed by another', T, async () => {
    const key = freshKey();
    const sink = sinkFor(key, { entryEvents: 10 });
    await sink.connect();
    for (let q = 1; q <= 50; q += 10) sink.writeFrame(trades(q, 10)); // 5 entries of 10
    await waitFor('written', () => sink.stats().written === 50);
    await sink.close();

    const handled: number[] = [];
    await assert.rejects(async () => {
      for await (const ev of readStream({
        url: server.url,
        key,
        group: 'g',
        consumer: 'dies',
        start: '0',
        signal: signal(),
      })) {
        if (handled.length === 4) throw new Error('worker crashed');
        handled.push(ev.q as number);
      }
    }, /worker crashed/);
    assert.deepEqual(handled, [1, 2, 3, 4]);
    const before = (await admin.xpending(key, 'g')) as [number, ...unknown[]];
    assert.equal(before[0], 5, 'the crashed batch stays pending: the 5 entries it read');

    const ac = new AbortController();
    const reader = new StreamReader({
      url: server.url,
      key,
      group: 'g',
      consumer: 'rescuer',
      claimIdleMs: 200,
      claimIntervalMs: 50,
      blockMs: 50,
      signal: signal(ac),
    });
    const rescued: StreamEntry[] = [];
    for await (const entry of reader.entries()) {
      rescued.push(entry);
      if (rescued.length === 50) ac.abort();
    }
    // At least once, per entry: the first entry's 1…4 were handled, not acknowledged: again.
    assert.deepEqual(
      rescued.map((e) => e.event.q),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      rescued.map((e) => e.index),
      Array.from({ length: 50 }, (_, i) => i % 10),
    );
    assert.equal(new Set(rescued.map((e) => e.id)).size, 5);
    assert.ok(rescued.every((e) => e.claimed));
    const left = (await admin.xpending(key, 'g')) as [number, ...unknown[]];
    assert.equal(left[0], 0);
  });

  test('abort ends a reader blocked on an empty stream', T, async () => {
    const key = freshKey();
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 200);
    const got = await collect(
      readStream({
        url: server.url,
        key,
        group: 'g',
        consumer: 'c',
        blockMs: 10_000,
        signal: signal(ac),
      }),
      1,
    );
    assert.deepEqual(got, []);
    assert.ok(Date.now() - started < 2_000, 'ended well before the 10 s block');

    // Already aborted: ends at once.
    const none = await collect(
      readStream({ url: server.url, key, group: 'g', consumer: 'c', signal: AbortSignal.abort() }),
      1,
    );
    assert.deepEqual(none, []);
  });
});
