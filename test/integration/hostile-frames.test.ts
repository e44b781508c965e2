/**
 * Hostile input (README): status frames whose fields are any JSON value, short API keys that used
 * to break redaction, and the default handlers printing what the server quotes, through a real
 * StreamClient (in this process, in a child process, and behind the built CLI) against a
 * purpose-built server on loopback.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import { ErrorCode, type PolygonStreamError } from '../../src/errors.js';
import { FAST_RECONNECT, KEY, T, scope, until } from '../helpers/reliability.js';
import { recordingLogger, startScriptedServer } from '../helpers/servers.js';
import { CLI, killAll, spawnNode } from '../helpers/spawn.js';

after(killAll);

const CONNECTED = { status: 'connected', message: 'Connected Successfully' };
const AUTHENTICATED = { status: 'auth_success', message: 'authenticated' };
const TRADE = JSON.stringify([{ ev: 'T', sym: 'AAPL', p: 1.5, s: 10, t: 1_700_000_000_000 }]);

/** Status frames whose `status` or `message` is not a string (or is missing). */
const HOSTILE = [
  { ev: 'status', status: { toString: 1 }, message: 'x' },
  { ev: 'status', status: 'error', message: { toString: 1 } },
  { ev: 'status', status: 'success', message: null },
  { ev: 'status', status: 'error', message: [1, 2] },
  { ev: 'status', status: 7 },
  { ev: 'status', status: null, message: { valueOf: 'x' } },
].map((e) => JSON.stringify([e]));

describe('status frames with fields of any JSON value', () => {
  test('are reported as coded errors; the stream goes on', T, async (t) => {
    const s = scope(t);
    const server = await startScriptedServer({
      connect: CONNECTED,
      auth: AUTHENTICATED,
      afterAuth: () => HOSTILE,
    });
    s.defer(() => server.close());
    const w = s.watch(server.url);
    const statuses: unknown[] = [];
    w.client.on('status', (e) => statuses.push(e));
    await w.start();
    // connected and auth_success, then the hostile ones.
    await until(() => statuses.length === HOSTILE.length + 2, 'every status dispatched');
    assert.deepEqual(await w.client.subscribe(['T.AAPL']), { topics: ['T.AAPL'] });
    assert.deepEqual(
      w.errors.map((e) => [e.code, e.message]),
      [
        [ErrorCode.ServerError, 'Server error: "{"toString":1}"'],
        [ErrorCode.ServerError, 'Server error: "[1,2]"'],
      ],
    );
    assert.equal(w.client.state, 'open');
  });

  test('through the CLI: printed, exit 0, no stack trace', T, async (t) => {
    const server = await startScriptedServer({
      connect: CONNECTED,
      auth: AUTHENTICATED,
      afterAuth: () => [...HOSTILE, TRADE],
    });
    t.after(() => server.close());
    const cli = spawnNode([CLI, 'stream', '--host', server.url, '--key', 'k', '--max-events', '1']);
    const { code, stdout, stderr } = await cli.result;
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /TypeError|internal error|\n\s+at /);
    // The CLI's own subscribes are still waiting: the error statuses are charged to them.
    assert.match(stderr, /error \[SUBSCRIBE_FAILED\]: Server error: "\{"toString":1\}"/);
    assert.match(stderr, /status {2}\{"toString":1\} {2}x/);
    assert.match(stdout, /AAPL/);
  });
});

describe('short API keys', () => {
  for (const key of ['1', '0', ':']) {
    test(
      `key ${JSON.stringify(key)}: start, close, reconnect without a throw or garbled text`,
      T,
      async (t) => {
        const server = await startScriptedServer({
          connect: CONNECTED,
          auth: AUTHENTICATED,
          afterAuth: (k) => [
            JSON.stringify([{ ev: 'status', status: 'error', message: `key ${k} not entitled` }]),
            JSON.stringify([{ ev: 'status', status: 'info', message: `note for ${k}` }]),
          ],
        });
        t.after(() => server.close());
        const lines: string[] = [];
        const errors: PolygonStreamError[] = [];
        const client = new StreamClient(key, 'stocks', {
          host: server.url,
          reconnect: FAST_RECONNECT,
          logger: recordingLogger(lines),
          onMessage: () => undefined,
          onError: (_c, e) => errors.push(e as PolygonStreamError),
          onClose: () => undefined,
        });
        t.after(() => client.closeStream());
        let reconnected = false;
        client.on('resubscribe', () => (reconnected = true));
        await client.startStreamThread({ pingInterval: 0 });
        await until(() => server.connections.length === 1 && errors.length === 1, 'the refusal');
        server.connections[0]!.ws.close(4000, `bye ${key}`);
        await until(() => reconnected, 'the reconnect');
        await client.closeStream();
        const text = lines.join('\n');
        assert.match(text, /server status info \{"message":"note for \*\*\*"\}/);
        assert.match(text, /socket closed \{"code":4000,"reason":"bye \*\*\*"/);
        assert.match(text, /closed \{"code":1000,"reason":"closed by client"\}/);
        assert.match(text, /connecting \{"url":"ws:\/\/127\.0\.0\.1:\d+\/stocks"\}/);
        assert.equal(errors[0]!.message, 'Server error: "key *** not entitled"');
        assert.doesNotMatch(text, /\*\*\*(ocks|tocks|000)|sto\*|SyntaxError/);
      },
    );
  }
});

test('with no handlers of its own, a client prints frames with the key masked', T, async (t) => {
  const server = await startScriptedServer({
    connect: CONNECTED,
    auth: AUTHENTICATED,
    afterAuth: (k) => [
      JSON.stringify([{ ev: 'status', status: 'error', message: `key ${k} not entitled` }]),
    ],
  });
  t.after(() => server.close());
  const script = `
    import { StreamClient } from './dist/index.js';
    const client = new StreamClient(process.env.KEY, 'stocks', { host: process.env.HOST, reconnect: false });
    await client.startStreamThread({ pingInterval: 0 });`;
  const child = spawnNode(['--input-type=module', '-e', script], {
    env: { KEY, HOST: server.url },
  });
  await child.waitFor(/not entitled/);
  server.connections[0]!.ws.close(1000, 'done');
  const { code, stdout, stderr } = await child.result;
  assert.equal(code, 0, stderr);
  assert.ok(!`${stdout}${stderr}`.includes(KEY), `${stdout}${stderr}`);
  assert.match(
    stdout,
    /status: \[\{"ev":"status","status":"error","message":"key \*\*\* not entitled"\}\]/,
  );
  assert.match(stderr, /error \[SERVER_ERROR\]: Server error: "key \*\*\* not entitled"/);
});
