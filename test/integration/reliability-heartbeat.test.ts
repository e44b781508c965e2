/**
 * Never lose the stream (README): the heartbeat (unanswered pings, a half-open peer, a busy event
 * loop, data as proof of liveness) and the idle timeout, through a real StreamClient against the
 * real simulator (or a half-open server) on real sockets. Every log line and every error of every
 * test is checked for the API key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import {
  FAST_RECONNECT,
  HEARTBEAT,
  QUIET,
  T,
  fresh,
  pause,
  scope,
  sorted,
  streaming,
  until,
} from '../helpers/reliability.js';
import { startBlackHoleServer, startWorkerSimulator } from '../helpers/servers.js';

describe('heartbeat', () => {
  test(
    'a server that stops answering pings (no data flowing) is noticed and left',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const { w, conn } = await streaming(s, sim, []);
      const stalledAt = Date.now();
      conn.stallPongs();
      await until(() => w.reconnects.length > 0, 'a reconnect', 2_000);
      const noticedAfter = Date.now() - stalledAt;
      const budget = (HEARTBEAT.pingInterval + HEARTBEAT.pingTimeout) * 1000;
      assert.ok(
        noticedAfter <= budget + 200,
        `noticed after ${noticedAfter} ms (budget ${budget})`,
      );
      assert.equal(w.reconnects[0]!.cause.code, ErrorCode.HeartbeatTimeout);
      await sim.waitFor(fresh(conn));
      await until(() => w.client.state === 'open', 'open again');
    },
  );

  test(
    'a half-open peer (no pong, no close frame, TCP up) is noticed within the budget',
    T,
    async (t) => {
      const s = scope(t);
      const server = await startBlackHoleServer();
      s.defer(() => server.close());
      const w = s.watch(server.url, {
        reconnect: { ...FAST_RECONNECT, maxAttempts: 1, stableAfterMs: 10_000 },
      });
      await w.start();
      const openedAt = Date.now();
      await until(() => w.reconnects.length > 0, 'a reconnect', 2_000);
      const noticedAfter = Date.now() - openedAt;
      const budget = (HEARTBEAT.pingInterval + HEARTBEAT.pingTimeout) * 1000;
      assert.ok(
        noticedAfter <= budget + 200,
        `noticed after ${noticedAfter} ms (budget ${budget})`,
      );
      assert.equal(w.reconnects[0]!.cause.code, ErrorCode.HeartbeatTimeout);
      await until(() => w.client.state === 'closed', 'the second dead connection to end it', 2_000);
      assert.equal(server.accepted, 2);
      assert.deepEqual(
        w.errors.map((e) => e.code),
        [ErrorCode.ReconnectExhausted],
      );
    },
  );

  test('pingTimeout a multiple of pingInterval: answered pings never time out', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const w = s.watch(sim.url);
    await w.client.startStreamThread({ pingInterval: 0.05, pingTimeout: 0.1 });
    await pause(1_200);
    assert.deepEqual(
      w.reconnects.map((r) => r.cause.message),
      [],
    );
    assert.equal(w.client.state, 'open');
  });

  test(
    'a busy event loop is not a dead connection: a pong waiting to be read counts',
    T,
    async (t) => {
      const s = scope(t);
      // The server runs on its own thread, so it answers pings while this thread is blocked.
      const sim = await startWorkerSimulator(QUIET);
      s.defer(() => sim.close());
      const w = s.watch(sim.url);
      await w.start();
      // Block this thread longer than pingTimeout, again and again, outside the timers phase (as a
      // busy I/O callback would): some blocks start right after a ping, when its pong is on the
      // way; once unblocked, the next loop turn runs the due pong timer before it reads the socket.
      const block = (ms: number): void => {
        const end = Date.now() + ms;
        while (Date.now() < end);
      };
      const blocker = setInterval(() => setImmediate(() => block(150)), 30);
      try {
        await pause(1_500);
      } finally {
        clearInterval(blocker);
      }
      assert.deepEqual(
        w.reconnects.map((r) => r.cause.message),
        [],
      );
      assert.equal(w.client.state, 'open');
    },
  );

  test('data flowing while pongs are stalled proves liveness: no reconnect', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim({ eventsPerSecond: 500, tickMs: 20 });
    const { w, conn } = await streaming(s, sim, ['T.*']);
    conn.stallPongs();
    await pause(800);
    assert.deepEqual(w.reconnects, []);
    assert.equal(w.client.state, 'open');
    assert.equal(sim.connections().length, 1);
  });
});

describe('idle timeout', () => {
  test('no data while subscribed for idleTimeoutMs reconnects with IDLE_TIMEOUT', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim({ eventsPerSecond: 400, tickMs: 20 });
    // 600 ms: long enough that a loaded machine (test files run four at a time) never stalls
    // the flowing stream that long, so only the paused data can trip it.
    const { w, conn } = await streaming(s, sim, ['T.AAPL'], { idleTimeoutMs: 600 });
    await pause(800);
    assert.equal(w.reconnects.length, 0, 'data flowing: not idle');
    conn.pauseData();
    await until(() => w.reconnects.length > 0, 'an idle reconnect', 3_000);
    assert.equal(w.reconnects[0]!.cause.code, ErrorCode.IdleTimeout);
    const next = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 1);
    assert.deepEqual(sorted(next.subscriptions), ['T.AAPL']);
  });

  test('off by default: paused data (pongs still answered) does not reconnect', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim({ eventsPerSecond: 400, tickMs: 20 });
    const { w, conn } = await streaming(s, sim, ['T.AAPL']);
    conn.pauseData();
    await pause(700);
    assert.deepEqual(w.reconnects, []);
    assert.equal(w.client.state, 'open');
  });
});
