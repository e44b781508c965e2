/**
 * The README's package table (sizes, dependencies, files each entry loads, the browser bundle) is
 * what the built package measures now: `npm run package-cost` rewrites it. Sizes may differ by 2%
 * (the README is itself in the tarball, and small edits should not force a rewrite); every other
 * number and all the words must match. `npm test` builds first.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { factsTable, measureFacts, README, section } from '../../scripts/package-cost.js';

const NUMBER = /\d+(?:\.\d+)?/g;

/** Where `written` and `measured` differ beyond the tolerance, as readable lines. */
export function staleFigures(written: string, measured: string, tolerance = 0.02): string[] {
  const words = (text: string): string => text.replace(NUMBER, '#');
  if (words(written) !== words(measured)) return [`the table's text changed:\n${measured}`];
  const a = written.match(NUMBER) ?? [];
  const b = measured.match(NUMBER) ?? [];
  return a.flatMap((value, i) => {
    const now = b[i]!;
    const close = value.includes('.')
      ? Math.abs(Number(value) - Number(now)) <= tolerance * Number(now)
      : value === now;
    return close ? [] : [`${value} is now ${now}`];
  });
}

test('the README package table matches the build (run `npm run package-cost` to refresh)', async () => {
  const written = section(readFileSync(README, 'utf8'), 'package-facts');
  assert.deepEqual(staleFigures(written, factsTable(await measureFacts())), []);
});

test('staleFigures: sizes within 2% pass, counts must match, changed words fail', () => {
  const table = '| tarball | 267.3 kB (45 files) |';
  assert.deepEqual(staleFigures(table, '| tarball | 270.0 kB (45 files) |'), []);
  assert.deepEqual(staleFigures(table, '| tarball | 280.0 kB (45 files) |'), [
    '267.3 is now 280.0',
  ]);
  assert.deepEqual(staleFigures(table, '| tarball | 267.3 kB (46 files) |'), ['45 is now 46']);
  assert.equal(staleFigures(table, '| tarball | 267.3 kB (45 files, 2 maps) |').length, 1);
});
