/**
 * Typed listeners, scoped async iteration, unknown events, slow consumers and stats, against the
 * simulator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import { ErrorCode, type PolygonStreamError } from '../../src/errors.js';
import type { StockQuote, StockTrade, StreamEvent } from '../../src/protocol/events.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { symbolOf } from '../../src/protocol/symbols.js';
import { sleep, until } from '../helpers/until.js';

const quiet = { onMessage: () => {}, onError: () => {}, onClose: () => {} };

describe('typed events', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ eventsPerSecond: 2_000, tickMs: 10 });
  });
  after(() => sim.close());

  test("on('T') gets stock trades as objects; raw mode still gets strings", async () => {
    const raws: string[] = [];
    await using c = new StreamClient('k1', 'stocks', {
      host: sim.url,
      ...quiet,
      onMessage: (_c, raw) => raws.push(raw),
    });
    const trades: StockTrade[] = [];
    const quotes: StockQuote[] = [];
    c.on('T', (t) => trades.push(t));
    c.on('Q', (q) => quotes.push(q));
    await c.startStreamThread();
    await c.subscribeStockTrades(['AAPL']);
    await c.subscribeStockQuotes(['MSFT']);
    await until(() => trades.length >= 5 && quotes.length >= 5, 'five trades and quotes');
    for (const t of trades) {
      assert.equal(t.ev, 'T');
      assert.equal(t.sym, 'AAPL');
      assert.equal(typeof t.p, 'number');
      assert.equal(typeof t.s, 'number');
    }
    assert.ok(quotes.every((q) => q.ev === 'Q' && q.sym === 'MSFT' && q.bp <= q.ap));
    assert.ok(raws.some((r) => r.includes('"ev":"T"')));
  });

  test('events({ ev, symbols, signal }) yields only matching events and ends on abort', async () => {
    await using c = new StreamClient('k2', 'crypto', { host: sim.url, ...quiet });
    await c.startStreamThread();
    await c.subscribeCryptoTrades(); // XT.*
    await c.subscribeCryptoQuotes(['ETH-USD']);
    const controller = new AbortController();
    const seen: StreamEvent<'crypto'>[] = [];
    for await (const e of c.events({
      ev: 'XT',
      symbols: ['X:BTC-USD'],
      signal: controller.signal,
    })) {
      seen.push(e);
      if (seen.length === 10) controller.abort();
    }
    assert.equal(seen.length, 10);
    assert.ok(seen.every((e) => e.ev === 'XT' && symbolOf(e) === 'BTC-USD'));
    // A second iterator with a break: return() releases its queue.
    let n = 0;
    for await (const e of c.events({ ev: ['XQ'] })) {
      assert.equal(e.ev, 'XQ');
      if (++n === 3) break;
    }
    assert.equal(c.stats().queueDepth, 0, 'ended iterators leave no queue behind');
  });

  test('unknown event types pass through untyped, never dropped; { unknown } names one', async () => {
    await using c = new StreamClient('k3', 'indices', { host: sim.url, ...quiet });
    const any: unknown[] = [];
    const zz: unknown[] = [];
    c.on('*', (e) => any.push(e));
    c.on({ unknown: 'ZZ' }, (e) => zz.push(e));
    const iterated = c.events({ unknown: 'ZZ' });
    await c.startStreamThread();
    const conn = await sim.waitFor((x) => x.cluster === 'indices' && x.authenticated);
    conn.sendRaw('[{"ev":"ZZ","sym":"I:NEW","x":1},{"ev":"V","T":"I:SPX","val":1,"t":2}]');
    await until(() => zz.length === 1 && any.length >= 2, 'the unknown event');
    assert.deepEqual(zz, [{ ev: 'ZZ', sym: 'I:NEW', x: 1 }]);
    assert.equal(symbolOf(zz[0] as { ev: string }), 'I:NEW');
    assert.deepEqual((await iterated.next()).value, { ev: 'ZZ', sym: 'I:NEW', x: 1 });
    await iterated.return?.();
  });

  test('a handler 10x slower than the feed: bounded memory, counted drops, no slow_consumer', async () => {
    const errors: PolygonStreamError[] = [];
    await using c = new StreamClient('k4', 'stocks', {
      host: sim.url,
      ...quiet,
      onError: (_c, e) => errors.push(e as PolygonStreamError),
    });
    // The rate is the cluster's, over every stream of the symbols on the tape: trades are 1/3 of it.
    sim.setEventsPerSecond(6_000);
    let handled = 0;
    // 2 ms per event = 500 events/s against a 2 000 (±) trades/s feed.
    c.on(
      'T',
      async () => {
        await sleep(2);
        handled++;
      },
      { queue: { capacity: 200, overflow: 'drop-oldest' } },
    );
    const states: string[] = [];
    c.on('state', (s) => states.push(s.state));
    await c.startStreamThread();
    await c.subscribeStockTrades();
    let peakDepth = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    // A fixed 1.5 s observation window, the queue depth sampled every 75 ms: long enough for an
    // unbounded queue to outgrow 200 and for the heap to show it (nothing to wait for instead).
    for (let i = 0; i < 20; i++) {
      await sleep(75);
      peakDepth = Math.max(peakDepth, c.stats().queueDepth);
    }
    const s = c.stats();
    assert.ok(s.events > handled * 3, `feed (${s.events}) outpaces the handler (${handled})`);
    assert.ok(peakDepth <= 200, `queue bounded: ${peakDepth}`);
    assert.ok(s.dropped > 0 && s.drops['oldest'] === s.dropped, 'every drop is counted');
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 50 * 1024 * 1024);
    assert.equal(c.state, 'open');
    assert.deepEqual(states, ['connecting', 'authenticating', 'open'], 'never disconnected');
    assert.equal(errors.filter((e) => e.code === ErrorCode.SlowConsumer).length, 0);
  });

  test("overflow 'error' ends that iterator with QUEUE_OVERFLOW; the stream goes on", async () => {
    await using c = new StreamClient('k5', 'stocks', { host: sim.url, ...quiet });
    await c.startStreamThread();
    await c.subscribeStockQuotes();
    await assert.rejects(
      (async () => {
        // A consumer taking 50 ms per event: its 5-event queue overflows.
        for await (const _e of c.events({ capacity: 5, overflow: 'error' })) await sleep(50);
      })(),
      (e: PolygonStreamError) => e.code === ErrorCode.QueueOverflow,
    );
    assert.equal(c.state, 'open');
  });

  test('stats: frames, events, bytes, rate and latency', async () => {
    await using c = new StreamClient('k6', 'options', { host: sim.url, ...quiet });
    c.on('*', () => {});
    await c.startStreamThread();
    await c.subscribeOptionTrades();
    await until(() => c.stats().events > 50, '50 events');
    const s = c.stats();
    assert.ok(s.frames > 0 && s.bytes > s.frames && s.events >= s.frames);
    assert.ok(s.eventsPerSecond > 0);
    assert.ok(
      s.latencyMs !== null && s.latencyMs.p99 >= s.latencyMs.p50 && s.latencyMs.p99 < 1_000,
    );
    assert.equal(s.reconnects, 0);
  });
});

describe('queued listeners when their queue fails', () => {
  test('overflow or a fatal close is reported, never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const sim = await startSimulator({ eventsPerSecond: 5_000, tickMs: 5 });
    try {
      const errors: PolygonStreamError[] = [];
      const c = new StreamClient('q1', 'stocks', {
        host: sim.url,
        ...quiet,
        reconnect: false,
        onError: (_c, e) => errors.push(e as PolygonStreamError),
      });
      // Handlers taking 20 ms per event: T's queue of 3 overflows, Q's still holds events at the drop.
      c.on('T', () => sleep(20), { queue: { capacity: 3, overflow: 'error' } });
      c.on('Q', () => sleep(20), { queue: { capacity: 1000 } });
      await c.startStreamThread();
      await c.subscribe(['T.*', 'Q.*']);
      await until(() => errors.some((e) => e.code === ErrorCode.QueueOverflow), 'a queue overflow');
      (await sim.waitFor((x) => x.apiKey === 'q1' && x.authenticated)).drop();
      await until(() => c.state === 'closed', 'the client closed');
      // A fixed quiet period: a rejection left unhandled by the close would be reported within it.
      await sleep(50);
      assert.deepEqual(unhandled, []);
      assert.ok(errors.some((e) => e.code === ErrorCode.ConnectionClosed));
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await sim.close();
    }
  });
});
