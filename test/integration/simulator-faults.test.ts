/** The simulator's heartbeat, fault injection, publish and replay, through a real ws client. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startSimulator } from '../../src/simulator/index.js';
import {
  BUSY,
  connect,
  isAck,
  isData,
  isStatus,
  nextEvent,
  pause,
  QUIET,
  T,
  TestClient,
  trade,
  within,
  withSimulator,
} from '../helpers/sim.js';

describe('simulator: heartbeat and faults', () => {
  const pongs = (c: TestClient): { count: number } => {
    const box = { count: 0 };
    c.ws.on('pong', () => box.count++);
    return box;
  };

  it('answers pings, and stops when stalled (per connection and server-wide)', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      const box = pongs(c);
      c.ws.ping();
      await nextEvent(c.ws, 'pong');
      const conn = await sim.waitFor((x) => x.authenticated);
      conn.stallPongs();
      c.ws.ping();
      await c.subscribe('T.A'); // the server handles frames in order: a pong would come first
      assert.equal(box.count, 1);
      conn.stallPongs(false);
      sim.faults.stallPongs = true;
      c.ws.ping();
      await c.subscribe('T.B');
      assert.equal(box.count, 1);
      sim.faults.stallPongs = false;
      c.ws.ping();
      await nextEvent(c.ws, 'pong');
    }),
  );

  it('delays acks by faults.ackDelayMs', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      sim.faults.ackDelayMs = 150;
      const started = Date.now();
      c.send({ action: 'subscribe', params: 'T.AAPL' });
      const conn = await sim.waitFor((x) => x.subscriptions.has('T.AAPL'));
      assert.ok(!c.events.some(isAck('subscribed', 'T.AAPL')));
      await c.waitFor(isAck('subscribed', 'T.AAPL'));
      assert.ok(Date.now() - started >= 140);
      assert.ok(conn.subscriptions.has('T.AAPL'));
    }),
  );

  it('faults.ackDelayMs beyond what a timer honours (Infinity) means never, not 1 ms', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      sim.faults.ackDelayMs = Infinity;
      c.send({ action: 'subscribe', params: 'T.AAPL' });
      await sim.waitFor((x) => x.subscriptions.has('T.AAPL'));
      sim.faults.ackDelayMs = 100;
      c.send({ action: 'subscribe', params: 'T.MSFT' });
      // Node fires an out-of-range timer after 1 ms: that ack would come before this one.
      await c.waitFor(isAck('subscribed', 'T.MSFT'));
      assert.ok(!c.events.some(isAck('subscribed', 'T.AAPL')));
    }),
  );

  it('keeps silentTopics unacknowledged but subscribed', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      sim.faults.silentTopics.add('T.AAPL');
      c.send({ action: 'subscribe', params: 'T.AAPL,T.MSFT' });
      await c.waitFor(isAck('subscribed', 'T.MSFT'));
      assert.ok(!c.events.some(isAck('subscribed', 'T.AAPL')));
      const conn = await sim.waitFor((x) => x.subscriptions.has('T.AAPL'));
      assert.equal(conn.subscriptions.size, 2);
    }),
  );

  it('refuses rejectTopics with their error text', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      sim.faults.rejectTopics.set('T.NOPE', 'not authorized');
      c.send({ action: 'subscribe', params: 'T.NOPE,T.MSFT' });
      await c.waitFor(isStatus('error', 'not authorized'));
      await c.waitFor(isAck('subscribed', 'T.MSFT'));
      const conn = await sim.waitFor((x) => x.subscriptions.has('T.MSFT'));
      assert.ok(!conn.subscriptions.has('T.NOPE'));
    }),
  );

  it('drop() cuts the socket without a close frame', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      (await sim.waitFor((x) => x.authenticated)).drop();
      assert.equal((await within(c.closed, 2000, 'close')).code, 1006);
    }),
  );

  it('pauseData() stops generated data until resumed', T, () =>
    withSimulator(BUSY, async (sim, open) => {
      const c = await open('stocks', 'k');
      await c.subscribe('Q.*');
      await c.waitFor(isData);
      const conn = await sim.waitFor((x) => x.authenticated);
      conn.pauseData();
      conn.sendRaw('[{"ev":"status","status":"marker","message":"paused"}]');
      await c.waitFor(isStatus('marker'));
      const from = c.events.length;
      await pause(150); // ~15 ticks
      assert.equal(c.events.slice(from).filter(isData).length, 0);
      conn.pauseData(false);
      await c.waitFor(isData, from);
    }),
  );

  it('sendRaw, sendStatus with close, and forceDisconnect', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const a = await open('stocks', 'a');
      const b = await open('options', 'b');
      const connA = await sim.waitFor((x) => x.apiKey === 'a' && x.authenticated);
      const connB = await sim.waitFor((x) => x.apiKey === 'b' && x.authenticated);
      connA.sendRaw('{oops');
      await within(
        new Promise<void>((resolve) => a.ws.once('message', () => resolve())),
        2000,
        'raw frame',
      );
      assert.equal(a.frames.at(-1), '{oops');
      connA.sendStatus('error', 'custom', { code: 4001, reason: 'bye' });
      await a.waitFor(isStatus('error', 'custom'));
      assert.deepEqual(await within(a.closed, 2000, 'close a'), { code: 4001, reason: 'bye' });
      connB.forceDisconnect('maintenance');
      await b.waitFor(isStatus('force_disconnect', 'maintenance'));
      assert.equal((await within(b.closed, 2000, 'close b')).code, 1001);
    }),
  );
});

describe('simulator: publish and replay', () => {
  it('publish() sends exact events to subscribed connections of the cluster', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const one = await open('stocks', 'one');
      const all = await open('stocks', 'all');
      const crypto = await open('crypto', 'one');
      await one.subscribe('T.AAPL');
      await all.subscribe('T.*');
      await crypto.subscribe('XT.*');
      const events = [trade('AAPL', 1), trade('MSFT', 2), { ev: 'Q', sym: 'AAPL', bp: 1 }];
      assert.equal(sim.publish('stocks', events), 3);
      assert.deepEqual(await one.waitFor(isData), events[0]);
      assert.deepEqual(await all.waitForMany(isData, 2), events.slice(0, 2));
      assert.equal(all.frames.filter((f) => f.includes('"ev":"T"')).length, 1);
      assert.equal(crypto.events.filter(isData).length, 0);
    }),
  );

  it('replays at max speed to matching topics, then emits replayEnd', T, async () => {
    const base = 1_700_000_000_000;
    const events = Array.from({ length: 2000 }, (_, i) =>
      trade(i % 2 ? 'MSFT' : 'AAPL', base + i * 1000),
    );
    const sim = await startSimulator({ replay: { events, speed: 'max' } });
    const c = await connect(sim, 'stocks');
    try {
      await c.auth();
      const ended = nextEvent(sim, 'replayEnd', 5000);
      await c.subscribe('T.AAPL');
      const got = await c.waitForMany(isData, 1000, 0, 5000);
      await ended;
      assert.ok(got.every((e) => e.sym === 'AAPL'));
      assert.deepEqual(
        got.map((e) => e.t),
        events.filter((e) => e.sym === 'AAPL').map((e) => e.t),
      );
    } finally {
      c.close();
      await sim.close();
    }
  });

  it(
    'replays paced by timestamps (ns normalised) divided by speed, looping a generator',
    T,
    async () => {
      const base = 1_700_000_000_000;
      async function* source(): AsyncGenerator<object> {
        for (let i = 0; i < 4; i++) yield trade('AAPL', (base + i * 100) * 1e6); // ns, 100 ms apart
        yield { ev: 'AM', sym: 'AAPL', s: base + 400, e: base + 60_400, o: 1 };
      }
      const sim = await startSimulator({ replay: { events: source(), speed: 2, loop: true } });
      const c = await connect(sim, 'stocks');
      try {
        await c.auth();
        const arrivals: number[] = [];
        c.ws.on('message', (d: Buffer) => {
          if (!String(d).includes('"status"')) arrivals.push(Date.now());
        });
        await c.subscribe('T.AAPL,AM.*');
        const got = await c.waitForMany(isData, 10, 0, 5000);
        assert.deepEqual(
          got.map((e) => e.ev),
          ['T', 'T', 'T', 'T', 'AM', 'T', 'T', 'T', 'T', 'AM'],
        );
        // 400 ms of recording at speed 2 is ~200 ms per pass.
        const span = (arrivals[4] as number) - (arrivals[0] as number);
        assert.ok(span >= 150 && span < 1000, `span ${span}`);
      } finally {
        c.close();
        await sim.close();
      }
    },
  );
});
