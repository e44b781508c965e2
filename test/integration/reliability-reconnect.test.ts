/**
 * Never lose the stream (README): reconnecting after a dropped socket (re-auth, one resubscribe,
 * gap), the attempt counter (reset after stableAfterMs, exhaustion), and closeStream / subscribe
 * around reconnects, through a real StreamClient against the real simulator on real sockets.
 * Every log line and every error of every test is checked for the API key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import type { Simulator } from '../../src/simulator/index.js';
import {
  FAST_RECONNECT,
  KEY,
  T,
  fresh,
  pause,
  scope,
  sorted,
  streaming,
  subscribes,
  until,
} from '../helpers/reliability.js';

describe('reconnect after a dropped socket', () => {
  test(
    're-authenticates, resubscribes the same set once, data flows again, gap reported',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim({ eventsPerSecond: 400, tickMs: 20 });
      const topics = ['T.AAPL', 'T.MSFT', 'Q.AAPL'];
      const { w, conn } = await streaming(s, sim, topics);
      let trades = 0;
      w.client.on('T', () => trades++);
      await until(() => trades > 0, 'trades before the drop');
      const statesBefore = w.states.length;
      conn.drop();
      const next = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 3);
      assert.equal(next.received[0]?.action, 'auth');
      assert.equal(next.received[0]?.params, KEY);
      assert.equal(subscribes(next).length, 1, 'exactly one subscribe message after a reconnect');
      assert.deepEqual(sorted(subscribes(next)[0] ?? []), sorted(topics));
      assert.deepEqual(sorted(next.subscriptions), sorted(topics));
      const after = trades;
      await until(() => trades > after && w.client.state === 'open', 'trades after the reconnect');
      assert.equal(w.reconnects.length, 1);
      const info = w.reconnects[0]!;
      assert.equal(info.attempt, 1);
      assert.equal(info.delayMs, FAST_RECONNECT.initialDelayMs);
      assert.equal(info.cause.code, ErrorCode.ConnectionClosed);
      assert.equal(w.gaps.length, 1);
      const gap = w.gaps[0]!;
      assert.ok(gap.from <= gap.to, `gap from ${gap.from} <= to ${gap.to}`);
      assert.deepEqual(sorted(gap.topics), sorted(topics));
      assert.deepEqual(sorted(w.resubscribes[0] ?? []), sorted(topics));
      assert.deepEqual(w.states.slice(statesBefore - 1), [
        'open',
        'reconnecting',
        'connecting',
        'authenticating',
        'open',
      ]);
      await until(
        () => [...w.client.subscriptions().values()].every((x) => x.state === 'active'),
        'acks',
      );
      assert.deepEqual(w.errors, [], 'a reconnect that succeeds is not an error');
    },
  );

  test(
    'after the backoff the attempt counter starts over when the connection is stable',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const { w, conn } = await streaming(s, sim, ['T.AAPL']);
      conn.drop();
      const second = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 1);
      await pause(FAST_RECONNECT.stableAfterMs + 50);
      second.drop();
      await sim.waitFor((c) => fresh(conn, second)(c) && c.subscriptions.size === 1);
      assert.deepEqual(
        w.reconnects.map((r) => r.attempt),
        [1, 1],
      );
    },
  );
});

describe('lifecycle around reconnects', () => {
  test('subscribe before startStreamThread goes out once, after auth', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const w = s.watch(sim.url);
    const done = w.client.subscribe(['T.AAPL', 'Q.AAPL']);
    await w.start();
    assert.deepEqual(await done, { topics: ['T.AAPL', 'Q.AAPL'] });
    const conn = await sim.waitFor((c) => c.authenticated);
    assert.deepEqual(conn.received, [
      { action: 'auth', params: KEY },
      { action: 'subscribe', params: 'T.AAPL,Q.AAPL' },
    ]);
  });

  test('closeStream while reconnecting stops for good: no further connection', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const { w, conn } = await streaming(s, sim, ['T.AAPL'], {
      reconnect: { ...FAST_RECONNECT, initialDelayMs: 100 },
    });
    let connections = 0;
    sim.on('connection', () => connections++);
    conn.drop();
    await until(() => w.client.state === 'reconnecting', 'reconnecting');
    await w.client.closeStream();
    assert.equal(w.client.state, 'closed');
    await pause(200);
    assert.equal(connections, 0);
    assert.equal(w.closes.length, 1);
    assert.deepEqual(w.errors, []);
  });
});

describe('attempt counter', () => {
  /** Evict every connection `afterMs` after it authenticates, `times` times. */
  function evictAfterAuth(sim: Simulator, afterMs: number, times: number): { evicted: number } {
    const counter = { evicted: 0 };
    sim.on('authenticated', (conn) => {
      if (counter.evicted >= times) return;
      counter.evicted++;
      setTimeout(() => conn.forceDisconnect('evicted by the test'), afterMs);
    });
    return counter;
  }

  test(
    'resets only after stableAfterMs: large stableAfterMs runs out of attempts',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const counter = evictAfterAuth(sim, 30, 20);
      const w = s.watch(sim.url, {
        reconnect: { ...FAST_RECONNECT, maxAttempts: 3, stableAfterMs: 10_000 },
      });
      await w.start();
      await until(() => w.client.state === 'closed', 'the client to give up');
      assert.deepEqual(
        w.reconnects.map((r) => r.attempt),
        [1, 2, 3],
      );
      assert.equal(counter.evicted, 4, 'authenticated four times, never stable');
      assert.deepEqual(
        w.errors.map((e) => e.code),
        [ErrorCode.ReconnectExhausted],
      );
    },
  );

  test('a connection stable for stableAfterMs resets it: evictions never exhaust', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const counter = evictAfterAuth(sim, 60, 6);
    const w = s.watch(sim.url, {
      reconnect: { ...FAST_RECONNECT, maxAttempts: 3, stableAfterMs: 20 },
    });
    await w.start();
    await until(() => counter.evicted === 6 && w.reconnects.length === 6, 'six evictions');
    await until(() => w.client.state === 'open', 'open again');
    assert.deepEqual(
      w.reconnects.map((r) => r.attempt),
      [1, 1, 1, 1, 1, 1],
    );
    assert.deepEqual(w.errors, []);
  });
});
