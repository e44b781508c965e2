/**
 * The core client suite over the runtime's standard WebSocket (`transport: 'native'`). Node 20
 * has it only behind --experimental-websocket: without a global WebSocket this file checks the
 * typed error, then runs itself in a child `node --experimental-websocket`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { StreamClient } from '../../src/client/stream-client.js';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import { coreSuite } from './core-suite.js';

if (typeof globalThis.WebSocket === 'function') {
  coreSuite('native');
} else {
  test("without a global WebSocket, transport 'native' is MISSING_DEPENDENCY naming the flag", () => {
    assert.throws(
      () => new StreamClient('k', 'stocks', { transport: 'native' }),
      (err: unknown) =>
        err instanceof PolygonStreamError &&
        err.code === ErrorCode.MissingDependency &&
        /--experimental-websocket/.test(err.message),
    );
  });

  test(
    'the core suite passes under node --experimental-websocket (child process)',
    { timeout: 120_000 },
    () => {
      const file = fileURLToPath(import.meta.url);
      // A child of a test file is a test run of its own only without the parent's test context.
      const env = { ...process.env };
      delete env['NODE_TEST_CONTEXT'];
      const child = spawnSync(
        process.execPath,
        ['--experimental-websocket', '--import', 'tsx', '--test', '--test-reporter=spec', file],
        { encoding: 'utf8', timeout: 110_000, env },
      );
      const output = `${child.stdout}\n${child.stderr}`;
      assert.equal(child.status, 0, `child suite failed:\n${output}`);
      assert.match(output, /core client suite, transport 'native'/);
      assert.match(output, /ℹ pass 6\b/);
      assert.match(output, /ℹ fail 0\b/);
    },
  );
}
