/**
 * test/helpers/system-deps.ts in a child node whose PATH holds only a directory we control: a
 * missing program skips with one line naming what to install, or fails under CI / REQUIRE_*.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HELPER = new URL('../helpers/system-deps.ts', import.meta.url).href;
const bin = mkdtempSync(join(tmpdir(), 'polygon-stream-path-'));
after(() => {
  rmSync(bin, { recursive: true, force: true });
  // The marker the 'once per run' case left, named for this process (it stood for the runner).
  rmSync(join(tmpdir(), 'polygon-stream-missing-programs', `${process.pid}-fake-service`), {
    force: true,
  });
});

const SCRIPT = `
  import { requireSystemBinary } from ${JSON.stringify(HELPER)};
  const found = requireSystemBinary('fake-service', {
    env: 'REQUIRE_FAKE', install: 'apt-get install fake-service', what: 'the fake tests',
  });
  console.log(JSON.stringify(found));
`;

const REASON = 'fake-service not found (install: apt-get install fake-service)';

function run(env: NodeJS.ProcessEnv) {
  const base = { ...process.env };
  delete base['CI'];
  delete base['REQUIRE_FAKE'];
  // Each run below stands alone unless it says it is a file of a `node --test` run.
  delete base['NODE_TEST_CONTEXT'];
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    cwd: ROOT,
    env: { ...base, PATH: bin, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('missing program: one stderr line naming it and how to install it; the tests skip', () => {
  const r = run({});
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.stdout), { skip: REASON });
  assert.equal(
    r.stderr,
    'fake-service not found: skipping the fake tests (install: apt-get install fake-service; set REQUIRE_FAKE=1 to make this a failure)\n',
  );
});

test('several files of one test run: the line is said once', () => {
  // This process stands for the runner: the children below are all its files.
  const files = [1, 2, 3].map(() => run({ NODE_TEST_CONTEXT: 'child-v8' }));
  for (const r of files) {
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), { skip: REASON });
  }
  assert.deepEqual(
    files.map((r) => r.stderr.split('\n').filter(Boolean).length),
    [1, 0, 0],
  );
});

for (const env of [{ CI: 'true' }, { REQUIRE_FAKE: '1' }]) {
  test(`missing program with ${Object.keys(env)[0]} set: the file fails, naming the program`, () => {
    const r = run(env);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /Error: fake-service not found on PATH.*install it \(apt-get install fake-service\)/,
    );
  });
}

test('program on PATH: found, not skipped, nothing printed (even under CI)', () => {
  const program = join(bin, 'fake-service');
  writeFileSync(program, '#!/bin/sh\n');
  chmodSync(program, 0o755);
  try {
    for (const env of [{}, { CI: 'true' }]) {
      const r = run(env);
      assert.equal(r.code, 0);
      assert.deepEqual(JSON.parse(r.stdout), { path: program, skip: false });
      assert.equal(r.stderr, '');
    }
  } finally {
    rmSync(program);
  }
});

test('missing program in a node --test run: each of its tests counted as skipped, with the reason', () => {
  const file = join(bin, 'needs-fake.test.ts');
  writeFileSync(
    file,
    `import { describe, test } from 'node:test';
     import { requireSystemBinary } from ${JSON.stringify(HELPER)};
     const fake = requireSystemBinary('fake-service', {
       env: 'REQUIRE_FAKE', install: 'apt-get install fake-service', what: 'the fake tests',
     });
     describe('fake things', () => {
       test('one', { skip: fake.skip }, () => { throw new Error('ran'); });
       test('two', { skip: fake.skip }, () => { throw new Error('ran'); });
     });
     test('needs nothing', () => {});`,
  );
  const base = { ...process.env };
  for (const name of ['CI', 'REQUIRE_FAKE', 'NODE_TEST_CONTEXT']) delete base[name];
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=tap', file],
    { cwd: ROOT, env: { ...base, PATH: bin }, encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^# skipped 2$/m);
  assert.match(r.stdout, /^# pass 1$/m);
  assert.equal(r.stdout.split(`# SKIP ${REASON}`).length - 1, 2, r.stdout);
});
