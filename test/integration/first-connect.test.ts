/**
 * A client that has never been connected is most likely misconfigured (wrong host, port or key):
 * its first failure is reported at once, in plain words, and startStreamThread rejects within
 * firstConnectTimeoutMs. A client that was streaming keeps the long reconnect budget.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import { startSimulator } from '../../src/simulator/index.js';
import { ErrorCode, type PolygonStreamError } from '../../src/errors.js';
import {
  FAST_RECONNECT,
  T,
  pause,
  rejection,
  scope,
  streaming,
  until,
} from '../helpers/reliability.js';
import { closedPort, startHttpStatusServer, startSilentServer } from '../helpers/servers.js';

/** Retry fast and for long, so only firstConnectTimeoutMs can end the first connect. */
const PATIENT = { ...FAST_RECONNECT, maxAttempts: 1_000 };

/**
 * Start a never-connected client against `host`: the first error must arrive within `firstMs`
 * and the rejection (CONNECTION_FAILED, naming the bound) within `boundMs` plus a little.
 */
async function failsFast(
  t: Parameters<typeof scope>[0],
  host: string,
  options: { firstMs: number; boundMs: number; authTimeoutMs?: number },
): Promise<{ first: PolygonStreamError; final: PolygonStreamError; reconnects: number }> {
  const s = scope(t);
  const w = s.watch(host, {
    reconnect: PATIENT,
    firstConnectTimeoutMs: options.boundMs,
    ...(options.authTimeoutMs === undefined ? {} : { authTimeoutMs: options.authTimeoutMs }),
  });
  const started = Date.now();
  const ready = w.start();
  await until(() => w.errors.length > 0, 'the first error', options.firstMs);
  const first = w.errors[0]!;
  const final = await rejection(ready, options.boundMs + 1_000);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= options.boundMs - 50, `rejected after ${elapsed} ms, before the bound`);
  assert.ok(elapsed < options.boundMs + 1_000, `rejected after ${elapsed} ms`);
  assert.equal(first.code, ErrorCode.ConnectionFailed);
  assert.equal(final.code, ErrorCode.ConnectionFailed);
  assert.match(
    final.message,
    new RegExp(
      `^Could not connect to ${host.replace(/\./g, '\\.')}/stocks within ${options.boundMs} ms \\(firstConnectTimeoutMs, \\d+ attempts?\\); last cause: Connection to `,
    ),
  );
  assert.equal((final.cause as PolygonStreamError).code, ErrorCode.ConnectionFailed);
  // The first failure, then the final one: not one error per attempt.
  assert.deepEqual(w.errors, [first, final]);
  assert.equal(w.client.state, 'closed');
  assert.equal(w.closes.length, 1);
  return { first, final, reconnects: w.reconnects.length };
}

describe('a client never connected: the first failure at once, a rejection within the bound', () => {
  test('connection refused', T, async (t) => {
    const port = await closedPort();
    const { first, reconnects } = await failsFast(t, `ws://127.0.0.1:${port}`, {
      firstMs: 300,
      boundMs: 500,
    });
    assert.equal(
      first.message,
      `Connection to ws://127.0.0.1:${port}/stocks failed: connection refused: nothing is listening at 127.0.0.1:${port} (ECONNREFUSED)`,
    );
    assert.deepEqual(first.details, {
      url: `ws://127.0.0.1:${port}/stocks`,
      errno: 'ECONNREFUSED',
    });
    assert.ok(reconnects > 2, 'it kept trying until the bound');
  });

  for (const [status, words] of [
    [
      404,
      'HTTP 404 Not Found (no WebSocket endpoint at this path: check the host and the cluster)',
    ],
    [401, 'HTTP 401 Unauthorized (the server refused the upgrade: check the key and the host)'],
  ] as const) {
    test(`the upgrade answered with HTTP ${status}`, T, async (t) => {
      const server = await startHttpStatusServer(status);
      t.after(() => server.close());
      const { first } = await failsFast(t, server.url, { firstMs: 300, boundMs: 500 });
      assert.equal(
        first.message,
        `Connection to ${server.url}/stocks failed: the server answered the WebSocket upgrade with ${words}`,
      );
      assert.equal(first.details['httpStatus'], status);
    });
  }

  test('a server that never answers the handshake', T, async (t) => {
    const server = await startSilentServer();
    t.after(() => server.close());
    const { first } = await failsFast(t, server.url, {
      firstMs: 600,
      boundMs: 1_000,
      authTimeoutMs: 200,
    });
    assert.equal(
      first.message,
      `Connection to ${server.url}/stocks failed: no answer to the WebSocket handshake within 200 ms`,
    );
    assert.ok(server.accepted >= 2, 'it retried');
  });

  test('a host name that does not resolve', T, async (t) => {
    const { first } = await failsFast(t, 'ws://no-such-host.invalid:1', {
      firstMs: 5_000,
      boundMs: 6_000,
    });
    assert.match(
      first.message,
      /^Connection to ws:\/\/no-such-host\.invalid:1\/stocks failed: DNS lookup failed(: no such host | for )"no-such-host\.invalid"/,
    );
  });

  test('the default error handler prints the first failure at once', T, async (t) => {
    const port = await closedPort();
    const printed = t.mock.method(console, 'error', () => undefined);
    const client = new StreamClient('not-a-real-key', 'stocks', {
      host: `ws://127.0.0.1:${port}`,
      onClose: () => undefined,
    });
    t.after(() => client.closeStream());
    const ready = client.startStreamThread();
    ready.catch(() => undefined);
    await until(() => printed.mock.callCount() > 0, 'a printed error', 1_000);
    assert.deepEqual(printed.mock.calls[0]!.arguments, [
      `error [CONNECTION_FAILED]: Connection to ws://127.0.0.1:${port}/stocks failed: connection refused: nothing is listening at 127.0.0.1:${port} (ECONNREFUSED)`,
    ]);
    assert.equal(client.state, 'reconnecting');
  });

  test('firstConnectTimeoutMs: Infinity keeps trying under the reconnect policy', T, async (t) => {
    const s = scope(t);
    const port = await closedPort();
    const w = s.watch(`ws://127.0.0.1:${port}`, {
      reconnect: { ...FAST_RECONNECT, maxAttempts: 6 },
      firstConnectTimeoutMs: Infinity,
    });
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.ReconnectExhausted);
    assert.equal(w.reconnects.length, 6);
  });
});

test(
  'a client that was streaming reconnects through an outage longer than the bound',
  T,
  async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const { w } = await streaming(s, sim, ['T.AAPL'], {
      firstConnectTimeoutMs: 200,
      reconnect: PATIENT,
    });
    const port = sim.port;
    await sim.close();
    await until(() => w.reconnects.length >= 3, 'reconnect attempts');
    await pause(600);
    assert.equal(w.client.state === 'reconnecting' || w.client.state === 'connecting', true);
    const back = await startSimulator({ port, eventsPerSecond: 0 });
    s.defer(() => back.close());
    await back.waitFor((c) => c.authenticated && c.subscriptions.size === 1);
    await until(() => w.client.state === 'open', 'open again');
    assert.deepEqual(w.resubscribes, [['T.AAPL']]);
    assert.deepEqual(w.errors, [], 'reconnect causes of a streaming client are not errors');
  },
);
