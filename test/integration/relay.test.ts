/**
 * The relay between unchanged downstream clients (this package's StreamClient and raw `ws` clients
 * written from the protocol alone) and a simulator upstream: one upstream connection per cluster
 * holding exactly the union of the downstream topics, reference-counted; exact per-client events;
 * refusals to the asker only; recovery from an upstream drop.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { StreamClient } from '../../src/client/stream-client.js';
import type { WireEvent } from '../../src/protocol/codec.js';
import type { SimConnection } from '../../src/simulator/index.js';
import { isAck, isData, isStatus, TestClient } from '../helpers/sim.js';
import { quote, sent, TOKENS, trade, UPSTREAM_KEY, withRelay } from '../helpers/relay.js';

const T = { timeout: 20_000 };

const same = (set: ReadonlySet<string>, topics: string[]): boolean =>
  set.size === topics.length && topics.every((t) => set.has(t));

/** Events a StreamClient hands to a '*' listener, with a wait for the n-th. */
function collect(client: StreamClient<'stocks'>): {
  events: WireEvent[];
  count(n: number): Promise<void>;
} {
  const events: WireEvent[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  client.on('*', (event) => {
    const e = event as WireEvent;
    if (e.ev === 'status') return;
    events.push(e);
    for (const w of [...waiting]) if (events.length >= w.n) w.resolve();
  });
  return {
    events,
    count: (n) =>
      events.length >= n
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push({ n, resolve })),
  };
}

async function unsubscribe(c: TestClient, topics: string): Promise<void> {
  const from = c.events.length;
  c.send({ action: 'unsubscribe', params: topics });
  await Promise.all(topics.split(',').map((t) => c.waitFor(isAck('unsubscribed', t), from)));
}

describe('relay', () => {
  it(
    'shares one upstream connection per cluster holding exactly the union; each client gets exactly its topics, as a direct connection would',
    T,
    () =>
      withRelay(
        { relay: { clusters: ['stocks', 'crypto'] } },
        async ({ sim, relay, open, upstream }) => {
          const stocks = await upstream('stocks');
          await upstream('crypto');
          const sc = new StreamClient(TOKENS[1]!, 'stocks', {
            host: relay.url,
            onMessage: () => undefined,
            onError: () => undefined,
            onClose: () => undefined,
          });
          const got = collect(sc);
          try {
            await sc.startStreamThread();
            await sc.subscribe(['T.AAPL', 'Q.MSFT']);
            const raw = await open();
            await raw.subscribe('T.AAPL,T.MSFT');
            const direct = new TestClient(new WebSocket(`${sim.url}/stocks`));
            await direct.waitFor(isStatus('connected'));
            await direct.auth('direct-key');
            await direct.subscribe('T.AAPL,Q.MSFT');

            await sim.waitFor(
              (c) => c === stocks && same(c.subscriptions, ['T.AAPL', 'Q.MSFT', 'T.MSFT']),
            );
            const relayed = sim.connections().filter((c) => c.apiKey === UPSTREAM_KEY);
            assert.deepEqual(relayed.map((c) => c.cluster).sort(), ['crypto', 'stocks']);
            assert.deepEqual(sent(stocks, 'subscribe').sort(), ['Q.MSFT', 'T.AAPL', 'T.MSFT']);

            sim.publish('stocks', [
              trade('AAPL', 1),
              trade('MSFT', 2),
              quote('MSFT', 3),
              quote('AAPL', 4),
              trade('IBM', 5),
            ]);
            sim.publish('stocks', [trade('AAPL', 6)]);
            const expected = await direct.waitForMany(isData, 3);
            await got.count(3);
            const rawData = await raw.waitForMany(isData, 3);
            assert.deepEqual(got.events, expected);
            assert.deepEqual(rawData, [trade('AAPL', 1), trade('MSFT', 2), trade('AAPL', 6)]);
            // Nothing else arrives: a marker both want comes next.
            sim.publish('stocks', [trade('AAPL', 7)]);
            await got.count(4);
            await raw.waitFor((e) => e.p === 7);
            assert.equal(got.events.length, 4);
            assert.equal(raw.events.filter(isData).length, 4);
            assert.deepEqual(relay.metrics().upstreamTopics, {
              stocks: ['T.AAPL', 'Q.MSFT', 'T.MSFT'],
              crypto: [],
            });
            direct.close();
          } finally {
            await sc.closeStream();
          }
        },
      ),
  );

  it(
    'propagates unsubscribes by reference count, and a wildcard covers single topics upstream',
    T,
    () =>
      withRelay({}, async ({ sim, open, upstream }) => {
        const up = await upstream();
        const a = await open();
        await a.subscribe('T.AAPL,T.MSFT');
        const b = await open(TOKENS[1]);
        await b.subscribe('T.AAPL');
        await unsubscribe(b, 'T.AAPL');
        await unsubscribe(a, 'T.MSFT');
        await sim.waitFor((c) => c === up && same(c.subscriptions, ['T.AAPL']));
        assert.deepEqual(sent(up, 'unsubscribe'), ['T.MSFT']);

        // T.* downstream: upstream swaps T.AAPL for T.* once T.* is confirmed.
        const c = await open();
        await c.subscribe('T.*');
        await sim.waitFor((x) => x === up && same(x.subscriptions, ['T.*']));
        await b.subscribe('T.MSFT'); // covered: acknowledged without a second upstream topic
        assert.deepEqual(sent(up, 'subscribe'), ['T.AAPL', 'T.MSFT', 'T.*']);
        sim.publish('stocks', [trade('IBM', 1), trade('AAPL', 2), trade('MSFT', 3)]);
        await c.waitForMany(isData, 3);
        assert.deepEqual(await a.waitForMany(isData, 1), [trade('AAPL', 2)]);
        assert.deepEqual(await b.waitForMany(isData, 1), [trade('MSFT', 3)]);

        // T.* goes while T.AAPL and T.MSFT are still wanted: they are subscribed upstream again.
        await unsubscribe(c, 'T.*');
        await sim.waitFor((x) => x === up && same(x.subscriptions, ['T.AAPL', 'T.MSFT']));
        sim.publish('stocks', [trade('IBM', 4), trade('AAPL', 5)]);
        assert.deepEqual(await a.waitForMany(isData, 2), [trade('AAPL', 2), trade('AAPL', 5)]);
        assert.equal(c.events.filter(isData).length, 3);

        // Closing the last holder unsubscribes upstream.
        a.close();
        b.close();
        await sim.waitFor((x) => x === up && x.subscriptions.size === 0);
      }),
  );

  it('passes an upstream refusal, in the provider words, only to the client that asked', T, () =>
    withRelay({}, async ({ sim, open, upstream }) => {
      sim.faults.rejectTopics.set('T.NOPE', 'not authorized to access T.NOPE');
      const up = await upstream();
      const a = await open();
      const b = await open(TOKENS[1]);
      await b.subscribe('T.AAPL');
      a.send({ action: 'subscribe', params: 'T.NOPE,T.AAPL' });
      await a.waitFor(isAck('subscribed', 'T.AAPL'));
      await a.waitFor(isStatus('error', 'not authorized to access T.NOPE'));
      await sim.waitFor((c) => c === up && same(c.subscriptions, ['T.AAPL']));
      sim.publish('stocks', [trade('AAPL', 1)]);
      await b.waitFor(isData);
      assert.deepEqual(
        b.events.filter((e) => e.ev === 'status').map((e) => e.status),
        ['connected', 'auth_success', 'success'],
      );
      // The refused topic is not held: asking again asks upstream again.
      b.send({ action: 'subscribe', params: 'T.NOPE' });
      await b.waitFor(isStatus('error', 'not authorized to access T.NOPE'));
      assert.deepEqual(sent(up, 'subscribe'), ['T.AAPL', 'T.NOPE', 'T.NOPE']);
    }),
  );

  it('recovers from an upstream drop for every client, with a gap status', T, () =>
    withRelay({}, async ({ sim, relay, open, upstream }) => {
      const first = await upstream();
      const a = await open();
      await a.subscribe('T.AAPL');
      const b = await open(TOKENS[1]);
      await b.subscribe('T.*');
      await sim.waitFor((c) => c === first && same(c.subscriptions, ['T.*']));
      first.forceDisconnect();
      const second: SimConnection = await sim.waitFor(
        (c) => c !== first && c.apiKey === UPSTREAM_KEY && same(c.subscriptions, ['T.*']),
      );
      assert.equal(sim.connections().filter((c) => c.apiKey === UPSTREAM_KEY).length, 1);
      await a.waitFor(isStatus('gap'));
      await b.waitFor(isStatus('gap'));
      sim.publish('stocks', [trade('AAPL', 1), trade('MSFT', 2)]);
      assert.deepEqual(await a.waitForMany(isData, 1), [trade('AAPL', 1)]);
      assert.deepEqual(await b.waitForMany(isData, 2), [trade('AAPL', 1), trade('MSFT', 2)]);
      assert.equal(relay.metrics().upstreamReconnects, 1);
      assert.ok(second.authenticated);
    }),
  );
});
