/**
 * Partition naming and the symbol hash: known FNV-1a vectors (so other languages can check their
 * port), stable routing, cluster hash tags; the README's Python `partition_of` routes the same.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { requireSystemBinary } from '../helpers/system-deps.js';
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

const python = requireSystemBinary('python3', {
  env: 'REQUIRE_PYTHON',
  install: 'apt-get install python3',
  what: "the README's Python examples",
});

test("the README's Python partition_of agrees with partitionOf", { skip: python.skip }, () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /```python\n(def partition_of[\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has the Python partition_of');
  const symbols = ['', 'a', 'AAPL', 'MSFT', 'BTC-USD', 'O:SPY241220P00720000', 'I:SPX', 'é€😀'];
  const script = `${block[1]}\nimport json, sys\nfor s in json.loads(sys.argv[1]):\n    print(partition_of(s, 8), partition_of(s, 7))\n`;
  const out = execFileSync(python.path!, ['-c', script, JSON.stringify(symbols)], {
    encoding: 'utf8',
  });
  const expected = symbols.map((s) => `${partitionOf(s, 8)} ${partitionOf(s, 7)}`);
  assert.deepEqual(out.trim().split('\n'), expected);
});
