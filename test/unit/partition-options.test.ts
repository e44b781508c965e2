/**
 * The partition options of RedisSink and readStream, checked at the call: INVALID_OPTION naming the
 * option and what is allowed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isPolygonStreamError } from '../../src/errors.js';
import { readerSettings, type ReadStreamOptions } from '../../src/redis/reader/reader-options.js';
import { sinkSettings } from '../../src/redis/sink/sink-options.js';

const url = 'redis://127.0.0.1:1';
const reader = (extra: Partial<ReadStreamOptions>): ReadStreamOptions => ({
  url,
  key: 'k',
  group: 'g',
  consumer: 'c',
  ...extra,
});

function refused(fn: () => unknown, option: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isPolygonStreamError(err, ErrorCode.InvalidOption));
    assert.equal(err.details['option'], option);
    assert.match(err.message, pattern);
    return true;
  });
}

test('defaults: one partition, 3 s leases', () => {
  assert.equal(readerSettings(reader({})).partitions, 1);
  assert.equal(readerSettings(reader({})).leaseMs, 3_000);
  assert.equal(sinkSettings({ url, streamKey: 'k' }).partitions, 1);
});

test('partitions must be a positive integer; leaseMs an integer of at least 30 ms', () => {
  for (const bad of [0, -1, 1.5, '8', Number.NaN]) {
    refused(() => readerSettings(reader({ partitions: bad as number })), 'partitions', /integer/);
    refused(
      () => sinkSettings({ url, streamKey: 'k', partitions: bad as number }),
      'partitions',
      /integer/,
    );
  }
  refused(() => readerSettings(reader({ partitions: 8, leaseMs: 10 })), 'leaseMs', /30/);
  refused(() => readerSettings(reader({ partitions: 8, leaseMs: 100.5 })), 'leaseMs', /integer/);
});

test("with partitions > 1 a deadLetterKey is refused: each partition's dead letters are its own", () => {
  refused(
    () => readerSettings(reader({ partitions: 8, deadLetterKey: 'dead' })),
    'deadLetterKey',
    /\{key:p\}:dead/,
  );
  assert.equal(readerSettings(reader({ deadLetterKey: 'dead' })).deadLetterKey, 'dead');
});
