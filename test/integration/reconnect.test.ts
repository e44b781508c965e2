import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RECONNECT } from '../../src/client/config.js';
import { Backoff } from '../../src/client/connection/backoff.js';

test('backoff grows by factor up to the cap, with jitter, and runs out', () => {
  const policy = {
    ...DEFAULT_RECONNECT,
    initialDelayMs: 100,
    maxDelayMs: 1_000,
    factor: 2,
    jitter: 0.5,
    maxAttempts: 6,
  };
  const noJitter = new Backoff(policy, () => 0);
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(() => noJitter.next()),
    [100, 200, 400, 800, 1000, 1000],
  );
  assert.equal(noJitter.next(), undefined, 'attempts used up');
  assert.equal(noJitter.attempt, 6);
  noJitter.reset();
  assert.equal(noJitter.next(), 100);
  const fullJitter = new Backoff(policy, () => 1);
  assert.deepEqual(
    [1, 2, 3].map(() => fullJitter.next()),
    [50, 100, 200],
    'jitter takes at most half',
  );
});
