/**
 * The store's cost grows with the topics an operation touches, not with everything waiting: many
 * separate one-topic requests and their acks take linear time (they took quadratic time when
 * every ack scanned every request).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SubscriptionStore } from '../../src/client/subscriptions/subscription-store.js';

/**
 * `n` one-topic subscribes while online, each followed by the client's deadline check, then every
 * ack: the CPU milliseconds this process spent until every promise resolved (CPU time, not wall
 * time, so that other processes on a busy machine do not count).
 */
async function run(n: number): Promise<number> {
  const store = new SubscriptionStore('stocks');
  const started = process.cpuUsage();
  const done: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    done.push(store.subscribe([`T.S${i}`], true, 1_000 + i).done);
    store.nextDeadline();
  }
  for (let i = 0; i < n; i++) {
    store.ack('subscribe', `T.S${i}`);
    store.nextDeadline();
    if (i % 100 === 0) store.expire(0);
  }
  await Promise.all(done);
  assert.equal(store.waitingCount, 0);
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

describe('SubscriptionStore scaling', () => {
  test('40k one-topic requests and their acks take linear time (< 8x the time of 10k)', async () => {
    await run(2_000); // warm up the JIT
    // The best of two interleaved runs each, to keep the noise out of the ratio.
    let small = Infinity;
    let large = Infinity;
    for (let i = 0; i < 2; i++) {
      small = Math.min(small, await run(10_000));
      large = Math.min(large, await run(40_000));
    }
    // Linear is 4x, quadratic 16x.
    assert.ok(large < 8 * small, `10k: ${small.toFixed(1)} ms, 40k: ${large.toFixed(1)} ms`);
  });
});
