import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import { SubscriptionStore } from '../../src/client/subscriptions/subscription-store.js';

const T0 = 1_000;

function stateOf(store: SubscriptionStore): Record<string, string> {
  return Object.fromEntries([...store.snapshot()].map(([t, s]) => [t, s.state]));
}

describe('SubscriptionStore (no socket)', () => {
  test('online subscribe sends new topics once and resolves when every topic is acked', async () => {
    const store = new SubscriptionStore('stocks');
    const a = store.subscribe(['T.AAPL', 'T.MSFT'], true, T0);
    assert.deepEqual(a.send, ['T.AAPL', 'T.MSFT']);
    const b = store.subscribe(['T.AAPL'], true, T0);
    assert.deepEqual(b.send, [], 'a pending topic is not sent twice');
    store.ack('subscribe', 'T.AAPL');
    assert.deepEqual(await b.done, { topics: ['T.AAPL'] });
    assert.equal(store.waitingCount, 1);
    store.ack('subscribe', 'T.MSFT');
    assert.deepEqual(await a.done, { topics: ['T.AAPL', 'T.MSFT'] });
    assert.deepEqual(stateOf(store), { 'T.AAPL': 'active', 'T.MSFT': 'active' });
    const c = store.subscribe(['T.AAPL'], true, T0);
    assert.deepEqual(c.send, [], 'an active topic is not re-sent (the server would stay silent)');
    assert.deepEqual(await c.done, { topics: ['T.AAPL'] });
  });

  test('offline subscribes queue without a deadline; sent() starts it', async () => {
    const store = new SubscriptionStore('stocks');
    const a = store.subscribe(['Q.*'], false, T0);
    assert.deepEqual(a.send, []);
    assert.equal(store.nextDeadline(), undefined);
    assert.deepEqual(store.expire(T0 * 100), [], 'queued requests never time out');
    store.sent(T0 + 50);
    assert.equal(store.nextDeadline(), T0 + 50);
    const [err] = store.expire(T0 + 50);
    assert.equal(err?.code, ErrorCode.SubscribeTimeout);
    await assert.rejects(a.done, (e: PolygonStreamError) => e.code === ErrorCode.SubscribeTimeout);
    assert.deepEqual(store.intended(), ['Q.*'], 'a timed-out topic stays in the set');
  });

  test('intended set = every subscribe minus every unsubscribe, no duplicates', async () => {
    const store = new SubscriptionStore('stocks');
    store.subscribe(['T.A', 'T.B', 'T.C'], false, T0);
    store.subscribe(['T.B', 'T.D'], false, T0);
    const u = store.unsubscribe(['T.B', 'T.Z'], false, T0);
    assert.deepEqual(u.send, [], 'offline: nothing to send');
    assert.deepEqual(await u.done, { topics: ['T.B', 'T.Z'] });
    assert.deepEqual(store.intended(), ['T.A', 'T.C', 'T.D']);
  });

  test('online unsubscribe waits for its ack; disconnect settles it', async () => {
    const store = new SubscriptionStore('stocks');
    store.subscribe(['T.A'], true, T0);
    store.ack('subscribe', 'T.A');
    const u = store.unsubscribe(['T.A'], true, T0);
    assert.deepEqual(u.send, ['T.A']);
    assert.equal(store.waitingCount, 1);
    store.disconnected();
    assert.deepEqual(await u.done, { topics: ['T.A'] });
  });

  test('a refusal naming a topic fails that topic; one naming none fails the oldest request on the wire', async () => {
    const store = new SubscriptionStore('stocks');
    const a = store.subscribe(['T.A'], true, T0);
    const b = store.subscribe(['T.B', 'T.C'], true, T0);
    assert.deepEqual(store.refuse('not authorized: T.C'), ['T.C']);
    await assert.rejects(
      b.done,
      (e: PolygonStreamError) => e.code === ErrorCode.SubscribeFailed && /T\.C/.test(e.message),
    );
    assert.deepEqual(store.refuse('not authorized'), ['T.A']);
    await assert.rejects(
      a.done,
      (e: PolygonStreamError) => e.details['serverMessage'] === 'not authorized',
    );
    assert.deepEqual(stateOf(store), { 'T.A': 'failed', 'T.B': 'pending', 'T.C': 'failed' });
    assert.deepEqual(store.intended(), ['T.B'], 'refused topics are not re-subscribed');
  });

  test('disconnect makes every topic pending and re-arms waiting subscribes', () => {
    const store = new SubscriptionStore('stocks');
    store.subscribe(['T.A'], true, T0);
    store.ack('subscribe', 'T.A');
    store.subscribe(['T.B'], true, T0);
    store.disconnected();
    assert.deepEqual(stateOf(store), { 'T.A': 'pending', 'T.B': 'pending' });
    assert.equal(store.nextDeadline(), undefined);
  });

  test('data for a pending topic proves it active', async () => {
    const store = new SubscriptionStore('stocks');
    const a = store.subscribe(['T.*'], true, T0);
    store.sawData({ ev: 'T', sym: 'AAPL', p: 1, s: 1, t: T0 });
    assert.deepEqual(await a.done, { topics: ['T.*'] });
    assert.deepEqual(stateOf(store), { 'T.*': 'active' });
  });

  test('abort rejects everything waiting; nothing is left unhandled', async () => {
    const store = new SubscriptionStore('stocks');
    const a = store.subscribe(['T.A'], true, T0);
    store.subscribe(['T.B'], true, T0); // not awaited: must not become an unhandled rejection
    store.abort(new PolygonStreamError(ErrorCode.ClientClosed, 'closed'));
    await assert.rejects(a.done, (e: PolygonStreamError) => e.code === ErrorCode.ClientClosed);
  });

  test('data proves a topic under any spelling; topics stay as the user spelled them', async () => {
    const crypto = new SubscriptionStore('crypto');
    const trades = crypto.subscribe(['XT.X:BTC-USD'], true, T0);
    crypto.sawData({ ev: 'XT', pair: 'BTC-USD', p: 30_000, s: 1, t: T0 });
    assert.deepEqual(await trades.done, { topics: ['XT.X:BTC-USD'] });
    assert.deepEqual(stateOf(crypto), { 'XT.X:BTC-USD': 'active' });

    const forex = new SubscriptionStore('forex');
    const quotes = forex.subscribe(['C.C:EUR-USD'], true, T0);
    const fmv = forex.subscribe(['FMV.C:EURUSD'], true, T0);
    forex.sawData({ ev: 'C', p: 'EUR/USD', a: 1.1, b: 1.1, x: 48, t: T0 });
    forex.sawData({ ev: 'FMV', sym: 'C:EURUSD', fmv: 1.1, t: T0 });
    assert.deepEqual(await quotes.done, { topics: ['C.C:EUR-USD'] });
    assert.deepEqual(await fmv.done, { topics: ['FMV.C:EURUSD'] });
    assert.deepEqual(forex.intended(), ['C.C:EUR-USD', 'FMV.C:EURUSD']);
  });

  test("acks match by key, as the server echoes the topic; another key's data proves nothing", async () => {
    const store = new SubscriptionStore('options');
    const a = store.subscribe(['T.O:SPY241220P00720000'], true, T0);
    store.sawData({ ev: 'T', sym: 'O:SPY241220P00720001', p: 1, s: 1, t: T0 });
    store.sawData({ ev: 'Q', sym: 'O:SPY241220P00720000', t: T0 });
    assert.equal(
      store.waitingCount,
      1,
      'a different contract and a different stream prove nothing',
    );
    store.ack('subscribe', 'T.O:SPY241220P00720000');
    assert.deepEqual(await a.done, { topics: ['T.O:SPY241220P00720000'] });
  });

  test('a refusal charges whole topics only: refusing T.AAPL leaves T.A waiting', async () => {
    const store = new SubscriptionStore('stocks');
    const short = store.subscribe(['T.A'], true, T0);
    const long = store.subscribe(['T.AAPL'], true, T0);
    assert.deepEqual(store.refuse('not authorized: T.AAPL'), ['T.AAPL']);
    await assert.rejects(
      long.done,
      (e: PolygonStreamError) => e.code === ErrorCode.SubscribeFailed,
    );
    assert.deepEqual(stateOf(store), { 'T.A': 'pending', 'T.AAPL': 'failed' });
    assert.equal(store.waitingCount, 1);
    const quoted = store.subscribe(['T.AA'], true, T0);
    assert.deepEqual(store.refuse('refused "T.A".'), ['T.A'], 'quotes and a full stop end a topic');
    await assert.rejects(
      short.done,
      (e: PolygonStreamError) => e.code === ErrorCode.SubscribeFailed,
    );
    assert.deepEqual(store.refuse("can't subscribe to T.AA, T.B (T.C)"), ['T.AA']);
    await assert.rejects(
      quoted.done,
      (e: PolygonStreamError) => e.code === ErrorCode.SubscribeFailed,
    );
  });

  test('a refusal names topics with colons, dashes and slashes whole', async () => {
    const store = new SubscriptionStore('crypto');
    const pair = store.subscribe(['XT.X:BTC-USD'], true, T0);
    const other = store.subscribe(['XT.X:BTC-USDT'], true, T0);
    assert.deepEqual(store.refuse('invalid topic for crypto: XT.X:BTC-USDT'), ['XT.X:BTC-USDT']);
    await assert.rejects(
      other.done,
      (e: PolygonStreamError) => e.code === ErrorCode.SubscribeFailed,
    );
    store.ack('subscribe', 'XT.X:BTC-USD');
    assert.deepEqual(await pair.done, { topics: ['XT.X:BTC-USD'] });
  });

  test('a refusal naming only a topic the store no longer knows is charged to nobody', async () => {
    const store = new SubscriptionStore('stocks');
    const gone = store.subscribe(['T.GONE'], true, T0);
    store.unsubscribe(['T.GONE'], false, T0);
    await gone.done;
    const waiting = store.subscribe(['T.AAPL'], true, T0);
    assert.deepEqual(store.refuse('not entitled to T.GONE'), []);
    assert.deepEqual(stateOf(store), { 'T.AAPL': 'pending' });
    store.ack('subscribe', 'T.AAPL');
    assert.deepEqual(await waiting.done, { topics: ['T.AAPL'] });
  });
});
