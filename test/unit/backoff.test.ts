import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, totalDelayMs } from '../../src/client/connection/backoff.js';
import { DEFAULT_RECONNECT } from '../../src/client/config.js';

/** Every delay a Backoff hands out until it gives up, summed. */
function spent(random: () => number): number {
  const backoff = new Backoff(DEFAULT_RECONNECT, random);
  let total = 0;
  for (let delay = backoff.next(); delay !== undefined; delay = backoff.next()) total += delay;
  return total;
}

test('totalDelayMs: the least, mean and most a Backoff with the defaults waits in all', () => {
  const total = totalDelayMs(DEFAULT_RECONNECT);
  assert.deepEqual(total, { min: 240_500, mean: 360_750, max: 481_000 });
  assert.equal(
    spent(() => 0),
    total.max,
  );
  assert.equal(
    spent(() => 1),
    total.min,
  );
  assert.equal(
    spent(() => 0.5),
    total.mean,
  );
});

test('totalDelayMs: unbounded attempts wait forever', () => {
  assert.equal(totalDelayMs({ ...DEFAULT_RECONNECT, maxAttempts: Infinity }).max, Infinity);
});
