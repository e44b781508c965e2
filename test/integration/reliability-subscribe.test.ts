/**
 * Never lose the stream (README): subscribe results (acks, refusals, timeouts, subscriptions(), no
 * unhandled rejections) and the subscribed set across a reconnect, through a real StreamClient
 * against the real simulator on real sockets. Every log line and every error of every test is
 * checked for the API key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import {
  FAST_RECONNECT,
  KEY,
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

describe('subscribe results', () => {
  test('resolves after the acks; pending until then, active after', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    sim.faults.ackDelayMs = 100;
    const w = s.watch(sim.url);
    await w.start();
    const done = w.client.subscribe(['T.AAPL', 'T.MSFT']);
    let settled = false;
    void done.then(() => (settled = true));
    assert.deepEqual(
      [...w.client.subscriptions().values()].map((x) => x.state),
      ['pending', 'pending'],
    );
    await pause(50);
    assert.equal(settled, false, 'not resolved before the acks');
    assert.deepEqual(await done, { topics: ['T.AAPL', 'T.MSFT'] });
    assert.deepEqual(
      [...w.client.subscriptions().values()].map((x) => x.state),
      ['active', 'active'],
    );
    const conn = await sim.waitFor((c) => c.authenticated);
    assert.deepEqual(sorted(conn.subscriptions), ['T.AAPL', 'T.MSFT']);
  });

  test(
    'refused, silent and acknowledged topics: SUBSCRIBE_FAILED, SUBSCRIBE_TIMEOUT, active',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      sim.faults.rejectTopics.set('T.BAD', 'not entitled to T.BAD');
      sim.faults.rejectTopics.set('T.NOPE', 'not authorized');
      sim.faults.silentTopics.add('T.QUIET');
      const w = s.watch(sim.url, { subscribeTimeoutMs: 200 });
      await w.start();

      const bad = await rejection(w.client.subscribe(['T.BAD']));
      assert.equal(bad.code, ErrorCode.SubscribeFailed);
      assert.match(bad.message, /not entitled to T\.BAD/);
      assert.equal(w.errors.at(-1)?.code, ErrorCode.SubscribeFailed);
      assert.match(w.errors.at(-1)!.message, /not entitled to T\.BAD/);

      // A refusal naming no topic is charged to the oldest request still waiting.
      const nope = w.client.subscribe(['T.NOPE']);
      const good = w.client.subscribe(['T.AAPL']);
      const nopeErr = await rejection(nope);
      assert.equal(nopeErr.code, ErrorCode.SubscribeFailed);
      assert.match(nopeErr.message, /not authorized/);
      assert.deepEqual(nopeErr.details['topics'], ['T.NOPE']);
      assert.deepEqual(await good, { topics: ['T.AAPL'] });

      const startedAt = Date.now();
      const quiet = await rejection(w.client.subscribe(['T.QUIET']), 2_000);
      assert.equal(quiet.code, ErrorCode.SubscribeTimeout);
      assert.ok(Date.now() - startedAt < 1_000, 'the timeout fires, nothing hangs');
      assert.equal(w.errors.at(-1)?.code, ErrorCode.SubscribeTimeout);

      const states = Object.fromEntries(
        [...w.client.subscriptions()].map(([topic, st]) => [topic, st.state]),
      );
      assert.deepEqual(states, {
        'T.BAD': 'failed',
        'T.NOPE': 'failed',
        'T.AAPL': 'active',
        'T.QUIET': 'pending',
      });
      assert.equal(w.client.subscriptions().get('T.NOPE')?.reason, 'not authorized');
      assert.equal(w.client.state, 'open');
    },
  );

  test(
    'a terse refusal charged to a request with several topics: acked topics stay held',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      sim.faults.rejectTopics.set('T.NOPE', 'not authorized');
      const w = s.watch(sim.url);
      await w.start();
      const err = await rejection(w.client.subscribe(['T.NOPE', 'T.AAPL']));
      assert.equal(err.code, ErrorCode.SubscribeFailed);
      const conn = await sim.waitFor((c) => c.authenticated && c.subscriptions.size === 1);
      await pause(50);
      // The server acknowledged and holds T.AAPL: the client must agree, or it drifts from the server
      // (not re-subscribed after a reconnect, a later subscribe met with silence).
      assert.equal(w.client.subscriptions().get('T.AAPL')?.state, 'active');
      assert.equal(w.client.subscriptions().get('T.NOPE')?.state, 'failed');
      conn.drop();
      const next = await sim.waitFor((c) => fresh(conn)(c) && c.received.length >= 2);
      assert.deepEqual(subscribes(next), [['T.AAPL']]);
    },
  );

  test('a subscribe nobody awaits that fails causes no unhandled rejection', T, async (t) => {
    const s = scope(t);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    s.defer(() => process.off('unhandledRejection', onUnhandled));
    const sim = await s.sim();
    sim.faults.rejectTopics.set('T.BAD', 'not entitled');
    sim.faults.silentTopics.add('T.QUIET');
    const w = s.watch(sim.url, { subscribeTimeoutMs: 100 });
    await w.start();
    w.client.subscribe(['T.BAD']);
    w.client.subscribe(['T.QUIET']);
    w.client.unsubscribe(['T.QUIET']);
    w.client.subscribe(['T.QUIET2']);
    sim.faults.silentTopics.add('T.QUIET2');
    await until(
      () => w.errors.filter((e) => e.code === ErrorCode.SubscribeTimeout).length > 0,
      'the timeout',
    );
    await pause(50);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
    assert.ok(w.errors.some((e) => e.code === ErrorCode.SubscribeFailed));
  });

  test(
    'a subscribe still waiting when the stream closes rejects CLIENT_CLOSED, unhandled-safe',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      sim.faults.silentTopics.add('T.QUIET');
      const w = s.watch(sim.url);
      await w.start();
      const waiting = w.client.subscribe(['T.QUIET']);
      await w.client.closeStream();
      const err = await rejection(waiting);
      assert.equal(err.code, ErrorCode.ClientClosed);
    },
  );
});

describe('subscriptions across a reconnect', () => {
  test('an unsubscribed topic is not restored on the new connection', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const { w, conn } = await streaming(s, sim, ['T.AAPL', 'T.MSFT']);
    await w.client.unsubscribe(['T.MSFT']);
    assert.deepEqual(sorted(conn.subscriptions), ['T.AAPL']);
    conn.drop();
    const next = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 1);
    await pause(50);
    assert.deepEqual(subscribes(next), [['T.AAPL']]);
    assert.deepEqual(sorted(next.subscriptions), ['T.AAPL']);
    assert.deepEqual(sorted(w.client.subscriptions().keys()), ['T.AAPL']);
  });

  test(
    'subscribe and unsubscribe while reconnecting go out once, in the resubscribe',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const { w, conn } = await streaming(s, sim, ['T.AAPL', 'T.MSFT'], {
        reconnect: { ...FAST_RECONNECT, initialDelayMs: 150 },
      });
      let during: Promise<unknown> | undefined;
      w.client.on('state', ({ state }) => {
        if (state !== 'reconnecting' || during) return;
        during = Promise.all([w.client.subscribe(['T.NEW']), w.client.unsubscribe(['T.MSFT'])]);
      });
      conn.drop();
      const next = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 2);
      await during;
      await pause(50);
      assert.equal(next.received.length, 2, JSON.stringify(next.received));
      assert.deepEqual(next.received[0], { action: 'auth', params: KEY });
      assert.equal(next.received[1]?.action, 'subscribe');
      assert.deepEqual(sorted(subscribes(next)[0] ?? []), ['T.AAPL', 'T.NEW']);
      assert.deepEqual(sorted(next.subscriptions), ['T.AAPL', 'T.NEW']);
      assert.deepEqual(
        [...w.client.subscriptions().values()].map((x) => x.state),
        ['active', 'active'],
      );
    },
  );
});
