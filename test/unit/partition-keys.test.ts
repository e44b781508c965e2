/**
 * Partition naming and the symbol hash: known FNV-1a vectors (so other languages can check their
 * port), stable routing, cluster hash tags.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  deadLetterKeyOf,
  fnv1a32,
  consumerKeysOf,
  leaseKeyOf,
  partitionKey,
  partitionOf,
} from '../../src/redis/partition-keys.js';

test('fnv1a32 matches the published FNV-1a 32-bit vectors, over UTF-8 bytes', () => {
  assert.equal(fnv1a32(''), 2166136261);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  // Non-ASCII text hashes its UTF-8 bytes, as TextEncoder gives them.
  for (const text of ['é', '€', '😀', 'AAPL€😀', '\ud800x']) {
    let hash = 2166136261;
    for (const b of new TextEncoder().encode(text)) hash = Math.imul(hash ^ b, 16777619) >>> 0;
    assert.equal(fnv1a32(text), hash, text);
  }
});

test('partitionOf: hash modulo partitions, stable, in range; no symbol or one partition → 0', () => {
  assert.equal(partitionOf('a', 8), 0xe40c292c % 8);
  assert.equal(partitionOf(undefined, 8), 0);
  assert.equal(partitionOf('AAPL', 1), 0);
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const p = partitionOf(`SYM${i}`, 8);
    assert.ok(Number.isInteger(p) && p >= 0 && p < 8);
    assert.equal(partitionOf(`SYM${i}`, 8), p);
    seen.add(p);
  }
  assert.equal(seen.size, 8, '200 symbols reach all 8 partitions');
});

test('partition keys: the key itself with one partition, hash-tagged {key:p} otherwise', () => {
  assert.equal(partitionKey('polygon:stocks', 0, 1), 'polygon:stocks');
  assert.equal(partitionKey('polygon:stocks', 3, 8), '{polygon:stocks:3}');
  assert.equal(deadLetterKeyOf('{polygon:stocks:3}'), '{polygon:stocks:3}:dead');
  assert.equal(deadLetterKeyOf('polygon:stocks'), 'polygon:stocks:dead');
  assert.equal(leaseKeyOf('{polygon:stocks:3}', 'g'), '{polygon:stocks:3}:owner:g');
  assert.deepEqual(consumerKeysOf('polygon:stocks', 'g'), {
    live: '{polygon:stocks}:consumers:g',
    owned: '{polygon:stocks}:owned:g',
  });
});
