/**
 * WrittenLog: counting which of the sink's entries a rolled-back or emptied Redis no longer holds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WrittenLog } from '../../src/redis/sink/written-log.js';
import { compareStreamIds } from '../../src/redis/stream-id.js';

/** Batches of `size` entries, ids `<ms>-0 … <ms>-(size-1)` at ms 1000, 1001, … */
function filled(batches: number, size: number, maxBatches?: number): WrittenLog {
  const log = new WrittenLog(maxBatches);
  for (let b = 0; b < batches; b++) log.record(`${1000 + b}-0`, `${1000 + b}-${size - 1}`, size);
  return log;
}

test('stream ids compare by milliseconds, then sequence, beyond 2^53', () => {
  assert.ok(compareStreamIds('9-1', '10-0') < 0);
  assert.ok(compareStreamIds('10-2', '10-10') < 0);
  assert.equal(compareStreamIds('5-5', '5-5'), 0);
  assert.ok(compareStreamIds('1-18446744073709551615', '1-18446744073709551614') > 0);
  assert.ok(compareStreamIds('0-0', '1-0') < 0);
});

test('a rollback counts exactly the batches above Redis last id, once', () => {
  const log = filled(10, 5);
  assert.deepEqual(log.rolledBackTo('1009-4'), { lost: 0, bound: 'exact' });
  assert.deepEqual(log.rolledBackTo('1006-4'), { lost: 15, bound: 'exact' });
  assert.equal(log.lastId, '1006-4');
  // Counted once: the same position again loses nothing more.
  assert.deepEqual(log.rolledBackTo('1006-4'), { lost: 0, bound: 'exact' });
  assert.deepEqual(log.rolledBackTo('0-0'), { lost: 35, bound: 'exact' });
  assert.equal(log.lastId, undefined);
});

test('a batch straddling Redis last id is counted whole, as "at most"', () => {
  const log = filled(4, 5);
  assert.deepEqual(log.rolledBackTo('1002-2'), { lost: 10, bound: 'at most' });
});

test('trimmed batches are not counted lost when Redis comes back empty', () => {
  const log = filled(10, 5);
  log.trimmedBefore('1004-0');
  assert.deepEqual(log.rolledBackTo('0-0'), { lost: 30, bound: 'exact' });
});

test('past maxBatches the oldest are forgotten: a rollback behind them is "at least"', () => {
  const log = filled(10, 5, 4);
  assert.deepEqual(log.rolledBackTo('1007-4'), { lost: 10, bound: 'exact' });
  assert.deepEqual(log.rolledBackTo('0-0'), { lost: 10, bound: 'at least' });
});
