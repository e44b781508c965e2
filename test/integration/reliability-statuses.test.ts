/**
 * Never lose the stream (README): server statuses (auth_failed, max_connections and reclaim, old
 * spellings, force_disconnect, slow_consumer, unknown statuses) and redaction of the API key the
 * server echoes back, through a real StreamClient against the real simulator or a scripted server.
 * Every log line and every error of every test is checked for the API key.
 */
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import { DEFAULT_MAX_CONNECTIONS_MESSAGE } from '../../src/simulator/index.js';
import {
  KEY,
  QUIET,
  T,
  fresh,
  pause,
  rejection,
  scope,
  sorted,
  streaming,
  subscribes,
  until,
} from '../helpers/reliability.js';
import { startScriptedServer } from '../helpers/servers.js';
import { connect } from '../helpers/sim.js';

describe('server statuses', () => {
  test(
    'auth_failed: start rejects AUTH_FAILED, no reconnect, closed, onClose once',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim({ ...QUIET, apiKeys: ['good'] });
      let connections = 0;
      sim.on('connection', () => connections++);
      const w = s.watch(sim.url);
      const err = await rejection(w.start());
      assert.equal(err.code, ErrorCode.AuthFailed);
      assert.match(err.message, /authentication failed/);
      await pause(150);
      assert.equal(connections, 1, 'the server saw exactly one connection');
      assert.deepEqual(w.reconnects, []);
      assert.equal(w.client.state, 'closed');
      assert.equal(w.closes.length, 1);
      assert.deepEqual(
        w.errors.map((e) => e.code),
        [ErrorCode.AuthFailed],
      );
      assert.throws(() => w.client.subscribe(['T.AAPL']), { code: ErrorCode.ClientClosed });
    },
  );

  test('auth_failed text echoing the key is redacted everywhere', T, async (t) => {
    const s = scope(t);
    const server = await startScriptedServer({
      connect: { status: 'connected', message: 'Connected Successfully' },
      auth: (key) => ({ status: 'auth_failed', message: `key ${key} is not valid` }),
    });
    s.defer(() => server.close());
    const w = s.watch(server.url);
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.AuthFailed);
    assert.match(err.message, /key \*\*\* is not valid/);
  });

  test('a subscribe refusal echoing the key is redacted everywhere', T, async (t) => {
    const s = scope(t);
    const server = await startScriptedServer({
      connect: { status: 'connected', message: 'Connected Successfully' },
      auth: { status: 'auth_success', message: 'authenticated' },
      onSubscribe: (topics, key) => [
        { status: 'error', message: `${topics.join(',')} not allowed for key ${key}` },
      ],
    });
    s.defer(() => server.close());
    const w = s.watch(server.url);
    await w.start();
    const err = await rejection(w.client.subscribe(['T.AAPL']));
    assert.equal(err.code, ErrorCode.SubscribeFailed);
    assert.match(err.message, /T\.AAPL not allowed for key \*\*\*/);
    assert.equal(w.client.subscriptions().get('T.AAPL')?.state, 'failed');
  });

  test('a close reason echoing the key is redacted in the error and onClose', T, async (t) => {
    const s = scope(t);
    const server = await startScriptedServer({
      connect: { status: 'connected', message: 'Connected Successfully' },
      auth: { status: 'auth_success', message: 'authenticated' },
    });
    s.defer(() => server.close());
    const w = s.watch(server.url, { reconnect: false });
    await w.start();
    server.connections[0]!.ws.close(4001, `bye ${KEY}`);
    await until(() => w.client.state === 'closed', 'closed');
    assert.equal(w.errors[0]?.code, ErrorCode.ConnectionClosed);
    assert.match(w.errors[0]!.message, /bye \*\*\*/);
    assert.deepEqual(w.closes, [{ code: 4001, reason: 'bye ***' }]);
  });

  test(
    'max_connections: MAX_CONNECTIONS quoting the server, stops, no reconnect fight',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const { w, conn } = await streaming(s, sim, ['T.AAPL']);
      const other = await connect(sim, 'stocks');
      s.defer(() => other.close());
      await other.auth(KEY);
      await until(() => w.client.state === 'closed', 'the evicted client to stop');
      assert.equal(w.errors.length, 1);
      const err = w.errors[0]!;
      assert.equal(err.code, ErrorCode.MaxConnections);
      assert.ok(err.message.includes(`"${DEFAULT_MAX_CONNECTIONS_MESSAGE}"`), err.message);
      assert.match(err.message, /Stopping/);
      assert.equal(err.details['serverMessage'], DEFAULT_MAX_CONNECTIONS_MESSAGE);
      await pause(150);
      assert.deepEqual(w.reconnects, []);
      assert.equal(w.closes.length, 1);
      const open = sim.connections();
      assert.equal(open.length, 1, 'only the newer connection is left');
      assert.notEqual(open[0]!.id, conn.id);
    },
  );

  test(
    'max_connections between two clients (allowDuplicateClient): the older one stops',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const { w: first } = await streaming(s, sim, ['T.AAPL']);
      assert.throws(() => s.watch(sim.url).start(), { code: ErrorCode.DuplicateClient });
      const second = s.watch(sim.url, { allowDuplicateClient: true });
      await second.start();
      await until(() => first.client.state === 'closed', 'the older client to stop');
      assert.equal(first.errors[0]?.code, ErrorCode.MaxConnections);
      assert.deepEqual(first.reconnects, []);
      await pause(150);
      assert.equal(second.client.state, 'open');
      assert.deepEqual(second.reconnects, []);
    },
  );

  test('reclaimAfterMs below 60 s is rejected by the config', () => {
    assert.throws(
      () => new StreamClient(KEY, 'stocks', { onMaxConnections: 'reclaim', reclaimAfterMs: 0 }),
      { code: ErrorCode.InvalidOption },
    );
    for (const reclaimAfterMs of [1_000, 59_999]) {
      assert.throws(
        () => new StreamClient(KEY, 'stocks', { onMaxConnections: 'reclaim', reclaimAfterMs }),
        (e: unknown) =>
          e instanceof PolygonStreamError &&
          e.code === ErrorCode.InvalidOption &&
          /reclaimAfterMs must be a duration in ms from 60000 /.test(e.message) &&
          !e.message.includes(KEY),
      );
    }
    assert.doesNotThrow(() => {
      const c = new StreamClient(KEY, 'stocks', {
        onMaxConnections: 'reclaim',
        reclaimAfterMs: 60_000,
      });
      assert.equal(c.state, 'idle');
    });
    assert.throws(() => new StreamClient(KEY, 'stocks', { onMaxConnections: 'fight' as 'stop' }), {
      code: ErrorCode.InvalidOption,
    });
  });

  test("onMaxConnections 'reclaim' reconnects after reclaimAfterMs (mock timers)", T, async (t) => {
    // setTimeout is fake for the whole test (a real timer cleared by the fake clearTimeout would
    // keep the process alive), so the 60 s reclaim delay passes on tick(). Reset inside the test:
    // node:test clears its own (real) timeout timer when the body ends.
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const s = scope(t);
      const sim = await s.sim();
      const { w, conn } = await streaming(s, sim, ['T.AAPL'], {
        onMaxConnections: 'reclaim',
        reclaimAfterMs: 60_000,
      });
      const other = await connect(sim, 'stocks');
      s.defer(() => other.close());
      await other.auth(KEY);
      await until(() => w.client.state === 'reconnecting', 'reconnecting', 3_000);
      assert.equal(w.reconnects.length, 1);
      assert.equal(w.reconnects[0]!.delayMs, 60_000);
      assert.equal(w.reconnects[0]!.cause.code, ErrorCode.MaxConnections);
      assert.equal(w.errors[0]?.code, ErrorCode.MaxConnections);
      assert.match(w.errors[0]!.message, /Reclaiming the connection in 60 s/);
      mock.timers.tick(59_000);
      await pause(20);
      assert.equal(w.client.state, 'reconnecting', 'not before reclaimAfterMs');
      mock.timers.tick(1_000);
      const reclaimed = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 1);
      assert.deepEqual(sorted(reclaimed.subscriptions), ['T.AAPL']);
      const closed = await other.closed;
      assert.equal(closed.code, 1008, 'the other connection is the one evicted now');
    } finally {
      mock.timers.reset();
    }
  });

  test(
    'old spellings: success/"Connected Successfully" then success/"authenticated"',
    T,
    async (t) => {
      const s = scope(t);
      const server = await startScriptedServer({
        connect: { status: 'success', message: 'Connected Successfully' },
        auth: { status: 'success', message: 'authenticated' },
      });
      s.defer(() => server.close());
      const w = s.watch(server.url);
      await w.start();
      assert.equal(w.client.state, 'open');
      const result = await w.client.subscribe(['T.AAPL']);
      assert.deepEqual(result.topics, ['T.AAPL']);
      assert.deepEqual(server.connections[0]?.received, [
        { action: 'auth', params: KEY },
        { action: 'subscribe', params: 'T.AAPL' },
      ]);
      assert.deepEqual(w.errors, []);
    },
  );

  test('success/"Connected Successfully" alone is not taken for auth success', T, async (t) => {
    const s = scope(t);
    const server = await startScriptedServer({
      connect: { status: 'success', message: 'Connected Successfully' },
    });
    s.defer(() => server.close());
    const w = s.watch(server.url, { reconnect: false, authTimeoutMs: 200 });
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.AuthTimeout);
    assert.ok(!w.states.includes('open'), `states: ${w.states.join(',')}`);
  });

  test('an old server answering auth with error fails auth', T, async (t) => {
    const s = scope(t);
    const server = await startScriptedServer({
      connect: { status: 'connected', message: 'Connected Successfully' },
      auth: { status: 'error', message: 'not authorized' },
    });
    s.defer(() => server.close());
    const w = s.watch(server.url);
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.AuthFailed);
    assert.match(err.message, /not authorized/);
    await pause(100);
    assert.equal(server.connections.length, 1);
  });

  test('force_disconnect: reconnects and resubscribes', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const { w, conn } = await streaming(s, sim, ['T.AAPL', 'Q.MSFT']);
    conn.forceDisconnect('maintenance');
    const next = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 2);
    assert.deepEqual(sorted(subscribes(next)[0] ?? []), ['Q.MSFT', 'T.AAPL']);
    assert.equal(subscribes(next).length, 1);
    assert.equal(w.reconnects[0]?.cause.code, ErrorCode.ForceDisconnect);
    assert.match(w.reconnects[0]!.cause.message, /maintenance/);
    assert.deepEqual(sorted(w.resubscribes[0] ?? []), ['Q.MSFT', 'T.AAPL']);
  });

  test('slow_consumer: SLOW_CONSUMER with figures, reported, then reconnect', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim({ eventsPerSecond: 400, tickMs: 20 });
    const { w, conn } = await streaming(s, sim, ['T.AAPL']);
    w.client.on('T', () => undefined);
    await pause(100);
    conn.sendStatus('slow_consumer', 'consumer too slow', { code: 1008 });
    await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 1);
    const cause = w.reconnects[0]?.cause;
    assert.equal(cause?.code, ErrorCode.SlowConsumer);
    for (const figure of ['eventsPerSecond', 'queueDepth', 'dropped', 'socketBufferedBytes']) {
      assert.ok(figure in cause.details, `details has ${figure}`);
      assert.ok(cause.message.includes(figure), `message quotes ${figure}`);
    }
    assert.equal(cause.details['serverMessage'], 'consumer too slow');
    assert.match(cause.message, /consumer too slow/);
    const reported = w.errors.find((e) => e.code === ErrorCode.SlowConsumer);
    assert.ok(reported, 'the user is told (onError), not only the reconnect event');
  });

  test('an unknown status is passed to status listeners and changes nothing', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const { w, conn } = await streaming(s, sim, ['T.AAPL']);
    const statuses: unknown[] = [];
    w.client.on('status', (e) => statuses.push(e));
    conn.sendRaw('[{"ev":"status","status":"weird"}]');
    conn.sendRaw('[{"ev":"status","status":"weird","message":"something new"}]');
    await until(() => statuses.length === 2, 'the unknown statuses');
    assert.deepEqual(statuses[0], { ev: 'status', status: 'weird' });
    await pause(50);
    assert.equal(w.client.state, 'open');
    assert.deepEqual(w.reconnects, []);
    assert.deepEqual(w.errors, []);
  });
});
