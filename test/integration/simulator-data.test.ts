/** The simulator's subscriptions and generated data, through a real ws client. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WireEvent } from '../../src/protocol/codec.js';
import type { SimConnection } from '../../src/simulator/index.js';
import {
  BUSY,
  isAck,
  isData,
  isStatus,
  nextEvent,
  QUIET,
  T,
  within,
  withSimulator,
} from '../helpers/sim.js';

describe('simulator: subscriptions and data', () => {
  it('acks each topic in its own frame, in the real format', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('options', 'k');
      const before = c.frames.length;
      c.send({ action: 'subscribe', params: 'T.O:SPY251219C00650000, Q.*' });
      await c.waitFor(isAck('subscribed', 'Q.*'));
      assert.deepEqual(
        c.frames.slice(before).map((f) => JSON.parse(f)),
        [
          [{ ev: 'status', status: 'success', message: 'subscribed to: T.O:SPY251219C00650000' }],
          [{ ev: 'status', status: 'success', message: 'subscribed to: Q.*' }],
        ],
      );
      c.send({ action: 'unsubscribe', params: 'Q.*' });
      await c.waitFor(isAck('unsubscribed', 'Q.*'));
      const conn = await sim.waitFor((x) => x.subscriptions.size === 1);
      assert.deepEqual([...conn.subscriptions], ['T.O:SPY251219C00650000']);
    }),
  );

  it('answers a topic the cluster does not carry with an error naming it', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      c.send({ action: 'subscribe', params: 'XT.X:BTC-USD,V.I:SPX,garbage,T.AAPL' });
      await c.waitFor(isAck('subscribed', 'T.AAPL'));
      const errors = c.events.filter(isStatus('error')).map((e) => String(e.message));
      assert.equal(errors.length, 3);
      for (const [i, topic] of ['XT.X:BTC-USD', 'V.I:SPX', 'garbage'].entries()) {
        assert.ok(errors[i]?.includes(topic), `${topic}: ${String(errors[i])}`);
      }
      const conn = await sim.waitFor((x) => x.authenticated);
      assert.deepEqual([...conn.subscriptions], ['T.AAPL']);
    }),
  );

  it('says nothing when a topic already held is subscribed again', T, () =>
    withSimulator(QUIET, async (_sim, open) => {
      const c = await open('stocks', 'k');
      await c.subscribe('T.AAPL');
      c.send({ action: 'subscribe', params: 'T.AAPL' });
      await c.subscribe('T.MSFT'); // replies are in order: a reply to the duplicate would precede
      assert.equal(c.events.filter(isAck('subscribed', 'T.AAPL')).length, 1);
    }),
  );

  it('sends data only for subscribed topics, wildcards included, one frame per tick', T, () =>
    withSimulator({ ...BUSY, seed: 3 }, async (_sim, open) => {
      const c = await open('stocks', 'k');
      await c.subscribe('T.AAPL,Q.*');
      const data = await c.waitForMany(isData, 300);
      for (const e of data) {
        assert.ok((e.ev === 'T' && e.sym === 'AAPL') || e.ev === 'Q', JSON.stringify(e));
      }
      assert.ok(data.some((e) => e.ev === 'T'));
      assert.ok(new Set(data.filter((e) => e.ev === 'Q').map((e) => e.sym)).size > 5);
      const dataFrames = c.frames.filter((f) => !f.includes('"status"'));
      assert.ok(dataFrames.some((f) => (JSON.parse(f) as unknown[]).length > 1));
      // Sequence numbers rise strictly per symbol.
      const last = new Map<string, number>();
      for (const e of data) {
        const prev = last.get(e.sym as string) ?? -1;
        assert.ok((e.q as number) > prev, `q of ${String(e.sym)}`);
        last.set(e.sym as string, e.q as number);
      }
    }),
  );

  it('acknowledges an unknown ticker and sends nothing for it, as the provider does', T, () =>
    withSimulator(BUSY, async (_sim, open) => {
      const c = await open('crypto', 'k');
      await c.subscribe('XT.ZZZ-USD,XT.BTC-USD');
      assert.ok(c.events.some(isAck('subscribed', 'XT.ZZZ-USD')));
      await c.waitForMany((e) => e.ev === 'XT' && e.pair === 'BTC-USD', 20);
      assert.equal(c.events.filter((e) => e.pair === 'ZZZ-USD').length, 0);
    }),
  );

  it('serves tickers added with the tickers option, and prefixes bare ones', T, () =>
    withSimulator({ ...BUSY, tickers: { crypto: ['ZZZ-USD'] } }, async (_sim, open) => {
      const c = await open('crypto', 'k');
      await c.subscribe('XT.ZZZ-USD,XQ.BTC-USD');
      await c.waitFor((e) => e.ev === 'XT' && e.pair === 'ZZZ-USD');
      await c.waitFor((e) => e.ev === 'XQ' && e.pair === 'BTC-USD');
    }),
  );

  it('stops data after unsubscribe', T, () =>
    withSimulator(BUSY, async (_sim, open) => {
      const c = await open('stocks', 'k');
      await c.subscribe('T.*,Q.AAPL');
      await c.waitFor((e) => e.ev === 'T');
      c.send({ action: 'unsubscribe', params: 'T.*' });
      await c.waitFor(isAck('unsubscribed', 'T.*'));
      const from = c.events.length;
      await c.waitForMany((e) => e.ev === 'Q', 20, from);
      assert.equal(c.events.slice(from).filter((e) => e.ev === 'T').length, 0);
    }),
  );

  it('is deterministic for a seed', T, async () => {
    const firstFrame = async (): Promise<unknown[]> => {
      let out: unknown[] = [];
      await withSimulator({ seed: 42, eventsPerSecond: 400 }, async (_sim, open) => {
        const c = await open('stocks', 'k');
        await c.subscribe('T.*');
        const e = await c.waitFor(isData);
        const frame = c.frames.find((f) => f.includes(`"q":${String(e.q)}`)) as string;
        out = (JSON.parse(frame) as WireEvent[]).map(({ t: _t, trft: _f, ...rest }) => rest);
      });
      return out;
    };
    assert.deepEqual(await firstFrame(), await firstFrame());
  });

  it('slow consumer: a client that stops reading is cut off', T, () =>
    withSimulator(
      // A client that reads keeps up (a tick's frame is well under the limit); one that stops
      // reading is past it within a few ticks. No past: it would delay the ack.
      { eventsPerSecond: 200_000, tickMs: 20, slowConsumerBytes: 1024 * 1024, pastMs: 0 },
      async (sim, open) => {
        const c = await open('stocks', 'k');
        await c.subscribe('Q.*');
        const closed = nextEvent<[SimConnection]>(sim, 'close', 8000);
        (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
        await closed;
        (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
        const info = await within(c.closed, 5000, 'client close');
        assert.equal(info.code, 1006);
      },
    ),
  );
});
