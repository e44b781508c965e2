/**
 * The client's core behaviours, run once per transport (`ws` and the runtime's standard
 * WebSocket) against the simulator: connect and auth, exact subscribe/unsubscribe payloads,
 * typed events, reconnect + resubscribe after a dropped socket, idle-timeout liveness, close.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import type { ClientOptions } from '../../src/client/config.js';
import type { TransportName } from '../../src/client/transport/transport.js';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import type { StockTrade } from '../../src/protocol/events.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { trade } from '../helpers/sim.js';
import { until } from '../helpers/until.js';

const KEY = 'CORE-KEY-42';
const T = { timeout: 15_000 };

export function coreSuite(transport: TransportName): void {
  describe(`core client suite, transport '${transport}'`, () => {
    let sim: Simulator;
    before(async () => {
      sim = await startSimulator({ eventsPerSecond: 0, apiKeys: [KEY] });
    });
    after(() => sim.close());

    const client = (options: ClientOptions<StreamClient<'stocks'>> = {}) =>
      new StreamClient(KEY, 'stocks', {
        host: sim.url,
        transport,
        onMessage: () => {},
        onError: () => {},
        onClose: () => {},
        reconnect: { initialDelayMs: 20, maxDelayMs: 50, jitter: 0 },
        ...options,
      });

    test('auth, exact subscribe payloads, typed events, unsubscribe, close', T, async () => {
      const closes: [number, string][] = [];
      const c = client({ onClose: (_c, code, reason) => closes.push([code, reason]) });
      const trades: StockTrade[] = [];
      c.on('T', (t) => void trades.push(t));
      await c.startStreamThread();
      assert.equal(c.state, 'open');
      assert.deepEqual(await c.subscribeStockTrades(['AAPL', 'msft']), {
        topics: ['T.AAPL', 'T.MSFT'],
      });
      const conn = await sim.waitFor((x) => x.authenticated && x.subscriptions.size === 2);
      assert.deepEqual(conn.received, [
        { action: 'auth', params: KEY },
        { action: 'subscribe', params: 'T.AAPL,T.MSFT' },
      ]);
      const sent = [trade('AAPL', 1_700_000_000_001), trade('MSFT', 1_700_000_000_002, { p: 7 })];
      sim.publish('stocks', sent);
      await until(() => trades.length === 2, 'two trades');
      assert.deepEqual(trades, sent);
      assert.equal(typeof trades[1]!.p, 'number');

      assert.deepEqual(await c.unsubscribeStockTrades(['MSFT']), { topics: ['T.MSFT'] });
      assert.deepEqual(conn.received.at(-1), { action: 'unsubscribe', params: 'T.MSFT' });
      assert.deepEqual([...conn.subscriptions], ['T.AAPL']);
      sim.publish('stocks', [trade('MSFT', 3), trade('AAPL', 4)]);
      await until(() => trades.length === 3, 'the AAPL trade');
      assert.equal(trades[2]!.sym, 'AAPL', 'nothing for the unsubscribed topic');

      await c.closeStream();
      assert.equal(c.state, 'closed');
      assert.deepEqual(closes, [[1000, 'closed by client']]);
      await until(() => !sim.connections().includes(conn), 'the server saw the close');
    });

    test('a dropped socket reconnects, re-authenticates and resubscribes', T, async () => {
      const c = client();
      const states: string[] = [];
      const resubscribed: string[][] = [];
      const trades: StockTrade[] = [];
      c.on('state', ({ state }) => void states.push(state));
      c.on('resubscribe', ({ topics }) => void resubscribed.push(topics));
      c.on('T', (t) => void trades.push(t));
      await c.startStreamThread();
      await c.subscribe(['T.AAPL', 'Q.AAPL']);
      const first = await sim.waitFor((x) => x.authenticated && x.subscriptions.size === 2);
      first.drop();
      const second = await sim.waitFor(
        (x) => x !== first && x.authenticated && x.subscriptions.size === 2,
      );
      assert.deepEqual(second.received, [
        { action: 'auth', params: KEY },
        { action: 'subscribe', params: 'T.AAPL,Q.AAPL' },
      ]);
      await until(() => c.state === 'open' && resubscribed.length === 1, 'resubscribed');
      assert.deepEqual(resubscribed, [['T.AAPL', 'Q.AAPL']]);
      assert.deepEqual(states.slice(0, 6), [
        'connecting',
        'authenticating',
        'open',
        'reconnecting',
        'connecting',
        'authenticating',
      ]);
      sim.publish('stocks', [trade('AAPL', 5)]);
      await until(() => trades.length === 1, 'a trade after the reconnect');
      await c.closeStream();
    });

    test('no data while subscribed for idleTimeoutMs: IDLE_TIMEOUT, a reconnect', T, async () => {
      const causes: PolygonStreamError[] = [];
      const c = client({ idleTimeoutMs: 150 });
      c.on('reconnect', ({ cause }) => void causes.push(cause));
      try {
        // The heartbeat cannot see this (the simulator answers pings): only the data watchdog can.
        await c.startStreamThread({ pingInterval: 0.05, pingTimeout: 1 });
        await c.subscribe(['T.AAPL']);
        const first = await sim.waitFor((x) => x.authenticated && x.subscriptions.size === 1);
        await sim.waitFor((x) => x !== first && x.authenticated && x.subscriptions.size === 1);
        assert.equal(causes[0]?.code, ErrorCode.IdleTimeout);
      } finally {
        await c.closeStream();
      }
    });

    test('connection refused: CONNECTION_FAILED when never connected', T, async () => {
      const c = new StreamClient(KEY, 'stocks', {
        host: 'ws://127.0.0.1:1',
        transport,
        onError: () => {},
        onClose: () => {},
        reconnect: false,
      });
      await assert.rejects(c.startStreamThread(), (err: unknown) => {
        assert.ok(err instanceof PolygonStreamError);
        assert.equal(err.code, ErrorCode.ConnectionFailed);
        assert.match(err.message, /^Connection to ws:\/\/127\.0\.0\.1:1\/stocks failed: /);
        return true;
      });
      assert.equal(c.state, 'closed');
    });

    test(
      'no answer to the opening handshake within authTimeoutMs: CONNECTION_FAILED',
      T,
      async () => {
        // Accepts TCP and never answers the upgrade request.
        const sockets = new Set<Socket>();
        const silent = createServer((socket) => void sockets.add(socket));
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
        const { port } = silent.address() as AddressInfo;
        try {
          const c = new StreamClient(KEY, 'stocks', {
            host: `ws://127.0.0.1:${port}`,
            transport,
            authTimeoutMs: 200,
            reconnect: false,
            onError: () => {},
            onClose: () => {},
          });
          await assert.rejects(c.startStreamThread(), (err: unknown) => {
            assert.ok(err instanceof PolygonStreamError);
            assert.equal(err.code, ErrorCode.ConnectionFailed);
            assert.match(err.message, /no answer to the WebSocket handshake within 200 ms/);
            return true;
          });
        } finally {
          for (const socket of sockets) socket.destroy();
          await new Promise<void>((resolve) => silent.close(() => resolve()));
        }
      },
    );

    test('a frame larger than maxFrameBytes fails the socket, which reconnects', T, async () => {
      const causes: PolygonStreamError[] = [];
      const c = client({ maxFrameBytes: 2_000 });
      c.on('reconnect', ({ cause }) => void causes.push(cause));
      await c.startStreamThread();
      await c.subscribe(['T.AAPL']);
      const first = await sim.waitFor((x) => x.authenticated && x.subscriptions.size === 1);
      first.sendRaw(JSON.stringify([trade('AAPL', 1, { i: 'x'.repeat(3_000) })]));
      await sim.waitFor((x) => x !== first && x.authenticated && x.subscriptions.size === 1);
      assert.equal(causes[0]?.code, ErrorCode.ConnectionFailed);
      assert.match(causes[0]!.message, /larger than maxFrameBytes, 2000 bytes/);
      await c.closeStream();
    });
  });
}
