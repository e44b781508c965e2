/**
 * Never lose the stream (README): bad input from the server (malformed and oversized frames) and
 * bad servers and networks (hang-up mid-handshake, connection refused, DNS failure, TLS to plain ws),
 * through a real StreamClient. Every log line and every error of every test is checked for the
 * API key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import {
  FAST_RECONNECT,
  T,
  fresh,
  pause,
  rejection,
  scope,
  streaming,
  subscribes,
  until,
} from '../helpers/reliability.js';
import { closedPort, startHangupServer } from '../helpers/servers.js';

describe('bad input from the server', () => {
  test(
    'malformed frames: typed errors or counted skips, unknown ev passes through',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim({ eventsPerSecond: 200, tickMs: 20 });
      const { w, conn } = await streaming(s, sim, ['T.AAPL']);
      let trades = 0;
      const all: { ev: string }[] = [];
      w.client.on('T', () => trades++);
      w.client.on('*', (e) => {
        if (e.ev !== 'T') all.push(e);
      });
      conn.sendRaw('not json');
      conn.sendRaw('{"ev":"T"}');
      conn.sendRaw('[1,2,{"no":"ev"}]');
      conn.sendRaw('[{"ev":"ZZ","sym":"X"}]');
      conn.sendRaw('');
      conn.sendRaw('null');
      await until(() => all.length === 1, 'the unknown event');
      assert.deepEqual(all, [{ ev: 'ZZ', sym: 'X' }]);
      const malformed = w.errors.filter((e) => e.code === ErrorCode.MalformedFrame);
      assert.equal(malformed.length, 4, w.errors.map((e) => e.message).join('\n'));
      assert.deepEqual(
        w.errors.filter((e) => e.code !== ErrorCode.MalformedFrame),
        [],
      );
      assert.equal(w.client.stats().drops['malformed'], 4 + 3);
      const before = trades;
      await until(() => trades > before, 'trades after the garbage');
      assert.equal(w.client.state, 'open');
      assert.deepEqual(w.reconnects, []);
    },
  );

  test(
    'a frame larger than maxFrameBytes closes the connection, which reconnects',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const { w, conn } = await streaming(s, sim, ['T.AAPL'], { maxFrameBytes: 1024 });
      w.client.on('*', () => undefined);
      conn.sendRaw(JSON.stringify([{ ev: 'T', sym: 'AAPL', pad: 'x'.repeat(2_000) }]));
      const next = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 1);
      assert.deepEqual(subscribes(next), [['T.AAPL']]);
      const cause = w.reconnects[0]!.cause;
      assert.match(cause.message, /larger than maxFrameBytes, 1024 bytes/);
    },
  );
});

describe('bad servers and networks', () => {
  test('a server that hangs up mid-handshake: CONNECTION_FAILED', T, async (t) => {
    const s = scope(t);
    const server = await startHangupServer();
    s.defer(() => server.close());
    const w = s.watch(server.url, { reconnect: false });
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.ConnectionFailed);
    assert.equal(server.accepted, 1);
    assert.equal(w.client.state, 'closed');
    assert.equal(w.closes.length, 1);
  });

  test('connection refused, reconnect false: CONNECTION_FAILED at once', T, async (t) => {
    const s = scope(t);
    const port = await closedPort();
    const w = s.watch(`ws://127.0.0.1:${port}`, { reconnect: false });
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.ConnectionFailed);
    assert.match(err.message, /ECONNREFUSED/);
    assert.equal(w.closes.length, 1);
    assert.equal(w.closes[0]!.code, 1006);
    assert.match(w.closes[0]!.reason, /ECONNREFUSED/);
    assert.deepEqual(w.reconnects, []);
    assert.equal(w.client.state, 'closed');
    assert.deepEqual(
      w.errors.map((e) => e.code),
      [ErrorCode.ConnectionFailed],
    );
  });

  test(
    'connection refused, maxAttempts 2: RECONNECT_EXHAUSTED after exactly 2 attempts',
    T,
    async (t) => {
      const s = scope(t);
      const port = await closedPort();
      const w = s.watch(`ws://127.0.0.1:${port}`, {
        reconnect: { ...FAST_RECONNECT, maxAttempts: 2 },
      });
      const err = await rejection(w.start());
      assert.equal(err.code, ErrorCode.ReconnectExhausted);
      assert.equal((err.cause as PolygonStreamError).code, ErrorCode.ConnectionFailed);
      assert.deepEqual(
        w.reconnects.map((r) => [r.attempt, r.delayMs, r.cause.code]),
        [
          [1, 10, ErrorCode.ConnectionFailed],
          [2, 20, ErrorCode.ConnectionFailed],
        ],
      );
      await pause(150);
      assert.equal(w.reconnects.length, 2, 'no endless loop');
      assert.equal(w.client.state, 'closed');
      assert.deepEqual(
        w.errors.map((e) => e.code),
        [ErrorCode.ConnectionFailed, ErrorCode.ReconnectExhausted],
      );
      assert.equal(w.closes.length, 1);
    },
  );

  test('an unresolvable host: CONNECTION_FAILED', T, async (t) => {
    const s = scope(t);
    const w = s.watch('ws://no-such-host.invalid:1', { reconnect: false });
    const err = await rejection(w.start(), 8_000);
    assert.equal(err.code, ErrorCode.ConnectionFailed);
    assert.match(err.message, /DNS lookup failed.*"no-such-host\.invalid"/);
  });

  test('TLS to a plain-ws port: CONNECTION_FAILED', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const w = s.watch(`wss://127.0.0.1:${sim.port}`, { reconnect: false });
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.ConnectionFailed);
    assert.match(
      err.message,
      /^Connection to wss:\/\/127\.0\.0\.1:\d+\/stocks failed: (TLS failure: |.*ECONNRESET; with wss:\/\/, likely a TLS failure)/,
    );
    assert.equal(w.client.state, 'closed');
  });
});
