/**
 * The type tests in test/types (narrowing of `on` / `events` per cluster, typos as compile
 * errors) compiled under the project's strict settings: a wrong type, or a typo that compiles,
 * fails here as well as in `npm run typecheck`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

test('test/types compiles: every assertion about the public types holds', () => {
  const r = spawnSync(process.execPath, [TSC, '--noEmit', '-p', 'test/types/tsconfig.json'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.stdout + r.stderr, '');
  assert.equal(r.status, 0);
});
