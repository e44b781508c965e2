/**
 * Topics meet their data and the server's refusals by canonical key, through a real StreamClient
 * against the real simulator: a per-symbol crypto, forex, options or index subscription whose ack
 * never comes is proven by its own data (no SUBSCRIBE_TIMEOUT), a refusal of `T.AAPL` leaves a
 * waiting `T.A` alone, and thousands of separate subscribe calls all resolve.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import { ErrorCode, type PolygonStreamError } from '../../src/errors.js';
import type { Cluster } from '../../src/protocol/streams.js';
import { startSimulator } from '../../src/simulator/index.js';
import { T, rejection } from '../helpers/reliability.js';

interface Case {
  cluster: Cluster;
  subscribe: (client: StreamClient) => Promise<unknown>;
  /** The topic as the client spells it on the wire (and in subscriptions()). */
  topic: string;
}

const CASES: Case[] = [
  {
    cluster: 'crypto',
    subscribe: (c) => c.subscribeCryptoTrades(['BTC-USD']),
    topic: 'XT.X:BTC-USD',
  },
  { cluster: 'forex', subscribe: (c) => c.subscribeForexQuotes(['EUR-USD']), topic: 'C.C:EUR-USD' },
  {
    cluster: 'options',
    subscribe: (c) => c.subscribeOptionTrades(['SPY251219C00600000']),
    topic: 'T.O:SPY251219C00600000',
  },
  { cluster: 'indices', subscribe: (c) => c.subscribeIndexValue(['SPX']), topic: 'V.I:SPX' },
];

describe('subscriptions proven by their own data (acks silenced)', () => {
  for (const { cluster, subscribe, topic } of CASES) {
    test(`${cluster}: ${topic} resolves from data, no SUBSCRIBE_TIMEOUT`, T, async (t) => {
      const sim = await startSimulator({ eventsPerSecond: 400, tickMs: 20 });
      t.after(() => sim.close());
      sim.faults.silentTopics.add(topic);
      const errors: PolygonStreamError[] = [];
      const client = new StreamClient('key', cluster, {
        host: sim.url,
        subscribeTimeoutMs: 3_000,
        onMessage: () => undefined,
        onError: (_c, e) => errors.push(e as PolygonStreamError),
      });
      t.after(() => client.closeStream());
      const data: unknown[] = [];
      client.on('*', (e) => void (e.ev !== 'status' && data.push(e)));
      await client.startStreamThread();
      assert.deepEqual(await subscribe(client), { topics: [topic] });
      assert.ok(data.length > 0, 'resolved by data, not by a timer');
      assert.deepEqual(Object.fromEntries(client.subscriptions()), {
        [topic]: { state: 'active' },
      });
      const conn = await sim.waitFor((c) => c.authenticated);
      assert.deepEqual([...conn.subscriptions], [topic]);
      assert.deepEqual(errors, []);
    });
  }
});

describe('refusals', () => {
  test('a refusal of T.AAPL fails T.AAPL only; a waiting T.A stays pending', T, async (t) => {
    const sim = await startSimulator({ eventsPerSecond: 0 });
    t.after(() => sim.close());
    sim.faults.silentTopics.add('T.A');
    sim.faults.rejectTopics.set('T.AAPL', 'not entitled to T.AAPL');
    const errors: PolygonStreamError[] = [];
    const client = new StreamClient('key', 'stocks', {
      host: sim.url,
      subscribeTimeoutMs: 5_000,
      onMessage: () => undefined,
      onError: (_c, e) => errors.push(e as PolygonStreamError),
    });
    t.after(() => client.closeStream());
    await client.startStreamThread();
    let shortSettled = false;
    const short = client.subscribeStockTrades(['A']);
    void short.then(
      () => (shortSettled = true),
      () => (shortSettled = true),
    );
    const refused = await rejection(client.subscribeStockTrades(['AAPL']));
    assert.equal(refused.code, ErrorCode.SubscribeFailed);
    assert.deepEqual(refused.details['topics'], ['T.AAPL']);
    assert.deepEqual(
      errors.map((e) => [e.code, e.details['topics']]),
      [[ErrorCode.SubscribeFailed, ['T.AAPL']]],
    );
    assert.equal(shortSettled, false, 'T.A is still waiting');
    assert.deepEqual(Object.fromEntries(client.subscriptions()), {
      'T.A': { state: 'pending' },
      'T.AAPL': { state: 'failed', reason: 'not entitled to T.AAPL' },
    });
    // Its data then proves it.
    sim.publish('stocks', [{ ev: 'T', sym: 'A', p: 120, s: 100, t: Date.now() }]);
    assert.deepEqual(await short, { topics: ['T.A'] });
  });
});

describe('many separate subscribe calls', () => {
  test(
    '5k one-symbol subscribe calls all resolve, each topic active and held once',
    T,
    async (t) => {
      const sim = await startSimulator({ eventsPerSecond: 0 });
      t.after(() => sim.close());
      const errors: PolygonStreamError[] = [];
      const client = new StreamClient('key', 'stocks', {
        host: sim.url,
        subscribeTimeoutMs: 8_000,
        onMessage: () => undefined,
        onError: (_c, e) => errors.push(e as PolygonStreamError),
      });
      t.after(() => client.closeStream());
      await client.startStreamThread();
      const symbols = Array.from({ length: 5_000 }, (_, i) => `S${i}`);
      const results = await Promise.all(symbols.map((s) => client.subscribeStockTrades([s])));
      assert.deepEqual(
        results.map((r) => r.topics),
        symbols.map((s) => [`T.${s}`]),
      );
      const states = [...client.subscriptions().values()].map((s) => s.state);
      assert.equal(states.length, 5_000);
      assert.ok(states.every((s) => s === 'active'));
      const conn = await sim.waitFor((c) => c.authenticated);
      assert.equal(conn.subscriptions.size, 5_000);
      assert.deepEqual(errors, []);
    },
  );
});
