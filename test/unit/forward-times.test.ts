/**
 * The relay's forward-time histogram (src/relay/forward-times.ts): quantiles are the upper bounds
 * of the buckets holding them (never below the truth), the max is exact, and the window forgets a
 * second once it has rotated past it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FORWARD_BUCKETS_MS, ForwardTimes } from '../../src/relay/forward-times.js';

describe('ForwardTimes', () => {
  it('reports nothing before the first frame', () => {
    const f = new ForwardTimes(3);
    assert.deepEqual(f.read(), {
      frames: 0,
      windowSeconds: 3,
      windowFrames: 0,
      p50Ms: null,
      p99Ms: null,
      maxMs: null,
    });
  });

  it('gives each quantile as the upper bound of its bucket, and the exact max', () => {
    const f = new ForwardTimes(60);
    for (let i = 0; i < 98; i++) f.record(0.03); // bucket ≤ 0.05 ms
    f.record(0.7); // bucket ≤ 1 ms
    f.record(3); // bucket ≤ 4 ms
    const r = f.read();
    assert.equal(r.windowFrames, 100);
    assert.equal(r.p50Ms, 0.05);
    // The 99th of 100 frames is the 0.7 ms one.
    assert.equal(r.p99Ms, 1);
    assert.equal(r.maxMs, 3);
  });

  it('puts a time on a bucket boundary in that bucket, and beyond the last one at Infinity', () => {
    const f = new ForwardTimes(1);
    f.record(1);
    assert.equal(f.read().p99Ms, 1);
    const g = new ForwardTimes(1);
    g.record(10_000);
    assert.equal(g.read().p99Ms, Infinity);
    assert.equal(g.read().maxMs, 10_000);
  });

  it('forgets a second once the window has rotated past it; the total stays', () => {
    const f = new ForwardTimes(2);
    f.record(100);
    f.rotate();
    f.record(0.01);
    assert.equal(f.read().maxMs, 100, 'both seconds are in a 2-second window');
    f.rotate();
    const r = f.read();
    assert.equal(r.windowFrames, 1);
    assert.equal(r.maxMs, 0.01);
    assert.equal(r.p99Ms, 0.025);
    assert.equal(r.frames, 2);
  });

  it('never reports a quantile below the true one (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 5000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0.5, 0.99),
        (times, q) => {
          const f = new ForwardTimes(5);
          for (const t of times) f.record(t);
          const r = f.read();
          const sorted = [...times].sort((a, b) => a - b);
          const truth = sorted[Math.ceil(q * sorted.length) - 1]!;
          const reported = q === 0.5 ? r.p50Ms! : r.p99Ms!;
          assert.ok(reported >= truth, `q ${q}: reported ${reported} < true ${truth}`);
          // …and no coarser than one bucket: the bucket below it lies under the truth.
          const below = FORWARD_BUCKETS_MS[FORWARD_BUCKETS_MS.indexOf(reported) - 1];
          if (below !== undefined) assert.ok(below < truth, `q ${q}: ${below} would do`);
          assert.equal(r.maxMs, sorted[sorted.length - 1]);
        },
      ),
    );
  });
});
