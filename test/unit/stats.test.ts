import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, isPolygonStreamError } from '../../src/errors.js';
import { Stats } from '../../src/client/delivery/stats.js';
import { eventTimeMs, timestampToMs } from '../../src/protocol/timestamps.js';

/** A clock the test moves by hand. */
function fakeClock(start: number): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const T0 = 1_700_000_000_000; // a whole second, Unix ms

describe('Stats', () => {
  test('counters: frames, events, bytes, reconnects, drops by reason, queue depth', () => {
    const clock = fakeClock(T0);
    let depth = 7;
    const stats = new Stats({ now: clock.now, queueDepth: () => depth });
    stats.recordFrame(100, 3);
    stats.recordFrame(50, 1);
    stats.recordReconnect();
    stats.recordDrop('oldest');
    stats.recordDrop('oldest', 4);
    stats.recordDrop('malformed');
    clock.advance(1234);
    const s = stats.snapshot();
    assert.equal(s.frames, 2);
    assert.equal(s.events, 4);
    assert.equal(s.bytes, 150);
    assert.equal(s.reconnects, 1);
    assert.equal(s.dropped, 6);
    assert.deepEqual(s.drops, { oldest: 5, malformed: 1 });
    assert.equal(s.queueDepth, 7);
    assert.equal(s.startedAt, T0);
    assert.equal(s.uptimeMs, 1234);
    assert.equal(s.lastFrameAt, T0);
    assert.equal(s.latencyMs, null);
    depth = 0;
    stats.setQueueDepth(undefined);
    assert.equal(stats.snapshot().queueDepth, 0);
    // A snapshot is a plain, JSON-safe copy.
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  });

  test('events per second over the recent window, with an injected clock', () => {
    const clock = fakeClock(T0);
    const stats = new Stats({ now: clock.now, rateWindowMs: 10_000, rateBuckets: 10 });
    // Since start (shorter than the window): 2,000 events over 2 s.
    stats.recordFrame(10, 1000);
    clock.advance(1000);
    stats.recordFrame(10, 1000);
    clock.advance(1000);
    assert.equal(stats.snapshot().eventsPerSecond, 1000);
    // 100 events a second for 20 s: the window forgets the early burst.
    for (let i = 0; i < 20; i++) {
      stats.recordFrame(10, 100);
      clock.advance(1000);
    }
    assert.equal(stats.snapshot().eventsPerSecond, 100);
    assert.equal(stats.snapshot().rateWindowMs, 10_000);
    // Silence longer than the window: the rate falls to zero.
    clock.advance(30_000);
    assert.equal(stats.snapshot().eventsPerSecond, 0);
    // Half a window of silence halves the rate.
    for (let i = 0; i < 10; i++) {
      stats.recordFrame(10, 100);
      clock.advance(1000);
    }
    clock.advance(5000);
    assert.equal(stats.snapshot().eventsPerSecond, 50);
    assert.equal(stats.snapshot().events, 2000 + 2000 + 1000);
  });

  test('a clock stepping back keeps counting', () => {
    const clock = fakeClock(T0 + 5000);
    const stats = new Stats({ now: clock.now });
    clock.advance(-3000);
    stats.recordFrame(1, 10);
    assert.equal(stats.snapshot().events, 10);
  });

  test('latency percentiles on a known distribution (nearest rank)', () => {
    const clock = fakeClock(T0);
    const stats = new Stats({ now: clock.now, latencySamples: 1000 });
    // Latencies 1..100 ms, shuffled.
    const latencies = Array.from({ length: 100 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    for (const ms of latencies) stats.recordFrame(10, 1, T0 - ms);
    const l = stats.snapshot().latencyMs;
    assert.ok(l);
    assert.equal(l.samples, 100);
    assert.equal(l.p50, 50);
    assert.equal(l.p99, 99);
    assert.equal(l.min, 1);
    assert.equal(l.max, 100);
    assert.equal(l.last, latencies[latencies.length - 1]);
  });

  test('latency keeps only the most recent samples', () => {
    const clock = fakeClock(T0);
    const stats = new Stats({ now: clock.now, latencySamples: 10 });
    for (let i = 0; i < 100; i++) stats.recordFrame(1, 1, T0 - 1000); // old: 1 s
    for (let i = 0; i < 10; i++) stats.recordFrame(1, 1, T0 - 5); // recent: 5 ms
    const l = stats.snapshot().latencyMs!;
    assert.equal(l.samples, 10);
    assert.equal(l.p50, 5);
    assert.equal(l.max, 5);
  });

  test('timestamps in s, ms, µs and ns are normalised by magnitude', () => {
    const ms = 1_601_316_752_683;
    assert.equal(timestampToMs(ms), ms);
    assert.equal(timestampToMs(ms * 1000 + 746), ms + 0.746); // LULD example: µs
    assert.ok(Math.abs(timestampToMs(1601318039223013600) - 1601318039223.013) < 0.01); // NOI: ns
    assert.equal(timestampToMs(1_601_316_752), 1_601_316_752_000); // seconds
    // An event's time: `t`, else a bar's `s`, in any unit; none without a finite number.
    assert.equal(eventTimeMs({ ev: 'NOI', t: 1601318039223000000 }), 1601318039223);
    assert.equal(eventTimeMs({ ev: 'AM', s: ms, e: ms + 60_000 }), ms);
    assert.equal(eventTimeMs({ ev: 'T', t: 'x', s: ms }), ms);
    assert.equal(eventTimeMs({ ev: 'status', t: NaN }), undefined);

    const clock = fakeClock(T0);
    const stats = new Stats({ now: clock.now });
    stats.recordFrame(1, 1, (T0 - 20) * 1e6); // ns
    stats.recordFrame(1, 1, (T0 - 20) * 1e3); // µs
    stats.recordFrame(1, 1, T0 - 20); // ms
    const l = stats.snapshot().latencyMs!;
    assert.equal(l.samples, 3);
    assert.ok(Math.abs(l.min - 20) < 0.01 && Math.abs(l.max - 20) < 0.01, JSON.stringify(l));
  });

  test('non-numeric or missing timestamps record no latency sample', () => {
    const stats = new Stats({ now: () => T0 });
    stats.recordFrame(1, 1);
    stats.recordFrame(1, 1, 'soon');
    stats.recordFrame(1, 1, 0);
    stats.recordFrame(1, 1, Number.NaN);
    stats.recordFrame(1, 1, Infinity);
    assert.equal(stats.snapshot().latencyMs, null);
    assert.equal(stats.snapshot().frames, 5);
  });

  test('bad options are refused with INVALID_OPTION', () => {
    for (const options of [{ rateWindowMs: 0 }, { rateBuckets: 1.5 }, { latencySamples: -1 }]) {
      assert.throws(
        () => new Stats(options),
        (err: unknown) => isPolygonStreamError(err, ErrorCode.InvalidOption),
      );
    }
  });
});
