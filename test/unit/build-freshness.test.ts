/**
 * scripts/build.mjs decides whether `npm start`, `npm run example:browser`, `npm test` and
 * `npm install` rebuild dist/: a stamp per build kind holding the hash of the sources. Checked on
 * a temporary tree: an edit, a new file and a removed file make every kind stale; a partial build
 * is never taken for the full one; a full build stands for all three.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { inputFiles, isFresh, sourceHash, writeStamp } from '../../scripts/build.mjs';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'polygon-stream-build-'));
  mkdirSync(join(root, 'src', 'client'), { recursive: true });
  writeFileSync(join(root, 'src', 'index.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'src', 'client', 'b.ts'), 'export const b = 2;\n');
  writeFileSync(join(root, 'package.json'), '{}\n');
  writeFileSync(join(root, 'README.md'), 'not an input\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const stampNow = (kind: 'full' | 'cli' | 'browser') => writeStamp(root, kind, sourceHash(root));

test('the inputs: everything under src/ and the build configuration, not the README', () => {
  assert.deepEqual(inputFiles(root), ['package.json', 'src/client/b.ts', 'src/index.ts']);
});

test('no stamp: stale', () => {
  for (const kind of ['full', 'cli', 'browser'] as const) assert.equal(isFresh(root, kind), false);
});

test('a full build stands for all three kinds, until a source changes', () => {
  stampNow('full');
  for (const kind of ['full', 'cli', 'browser'] as const) assert.equal(isFresh(root, kind), true);
  writeFileSync(join(root, 'src', 'index.ts'), 'export const a = 2;\n');
  for (const kind of ['full', 'cli', 'browser'] as const) assert.equal(isFresh(root, kind), false);
});

test('a touched file with the same content stays fresh; a file outside the inputs changes nothing', () => {
  stampNow('cli');
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(root, 'src', 'index.ts'), later, later);
  writeFileSync(join(root, 'README.md'), 'edited\n');
  assert.equal(isFresh(root, 'cli'), true);
});

test('adding a source file makes it stale', () => {
  stampNow('cli');
  writeFileSync(join(root, 'src', 'client', 'c.ts'), 'export const c = 3;\n');
  assert.equal(isFresh(root, 'cli'), false);
});

test('removing a source file makes it stale', () => {
  stampNow('cli');
  rmSync(join(root, 'src', 'client', 'b.ts'));
  assert.equal(isFresh(root, 'cli'), false);
});

test('renaming a source file (same content) makes it stale', () => {
  stampNow('browser');
  rmSync(join(root, 'src', 'client', 'b.ts'));
  writeFileSync(join(root, 'src', 'client', 'renamed.ts'), 'export const b = 2;\n');
  assert.equal(isFresh(root, 'browser'), false);
});

test('a partial build is never taken for the full one, and removes the full stamp', () => {
  stampNow('full');
  stampNow('cli');
  assert.equal(isFresh(root, 'cli'), true);
  assert.equal(isFresh(root, 'full'), false, 'dist/ now holds a CLI the full build did not make');
  assert.equal(isFresh(root, 'browser'), true, 'the standard build from the full one still holds');
});
