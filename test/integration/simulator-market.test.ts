/**
 * The simulator is one market: two connections on a topic see the same events, the tape goes on
 * without subscribers, `q` and crypto trade ids rise per symbol, bars agree with the trades inside
 * their window, and the kept history is bounded by age and by count.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WireEvent } from '../../src/protocol/codec.js';
import { isData, pause, T, withSimulator } from '../helpers/sim.js';
import { until } from '../helpers/until.js';

const FAST = { eventsPerSecond: 2_000, tickMs: 10, windowScale: 0.01 };

const data = (events: readonly WireEvent[]): WireEvent[] => events.filter(isData);

describe('simulator: one market', () => {
  it('two connections on one topic get identical events, and the tape keeps them', T, () =>
    withSimulator(FAST, async (sim, open) => {
      const a = await open('stocks', 'key-a');
      const b = await open('stocks', 'key-b');
      await a.subscribe('T.AAPL');
      await b.subscribe('T.AAPL,Q.MSFT');
      await until(() => data(a.events).length >= 200, '200 trades on a');
      const mark = data(b.events).filter((e) => e.ev === 'T')[0]!;
      await until(() => data(b.events).filter((e) => e.ev === 'T').length >= 100, 'b trades');
      const onA = data(a.events);
      const onB = data(b.events).filter((e) => e.ev === 'T');
      const from = onA.findIndex((e) => e['q'] === mark['q']);
      assert.ok(from >= 0, 'b sees trades a saw');
      const n = Math.min(onA.length - from, onB.length);
      assert.ok(n >= 50);
      assert.deepEqual(onB.slice(0, n), onA.slice(from, from + n));
      // Everything a received is on the tape, in the same order.
      const tape = sim.history('stocks', 'T.AAPL');
      const start = tape.findIndex((e) => e['q'] === onA[0]!['q']);
      assert.deepEqual(tape.slice(start, start + onA.length), onA);
    }),
  );

  it('the tape goes on with nobody subscribed; q rises per symbol, crypto ids too', T, () =>
    withSimulator(FAST, async (sim, open) => {
      const c = await open('crypto', 'key');
      await c.subscribe('XT.BTC-USD,XT.ETH-USD');
      c.close();
      await c.closed;
      const before = sim.history('crypto', 'XT.X:BTCUSD').length;
      await until(() => sim.history('crypto', 'XT.X:BTCUSD').length > before + 50, 'more tape');
      for (const key of ['XT.X:BTCUSD', 'XT.X:ETHUSD']) {
        const ids = sim.history('crypto', key).map((e) => e['i'] as number);
        for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `${key} ids rise`);
        const ts = sim.history('crypto', key).map((e) => e['t'] as number);
        for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! >= ts[i - 1]!, `${key} t rises`);
      }
      const s = await open('stocks', 'key2');
      await s.subscribe('T.AAPL');
      await until(() => sim.history('stocks', 'Q.AAPL').length > 20, 'quotes of AAPL');
      for (const key of ['T.AAPL', 'Q.AAPL']) {
        const qs = sim.history('stocks', key).map((e) => e['q'] as number);
        for (let i = 1; i < qs.length; i++) assert.ok(qs[i]! > qs[i - 1]!, `${key} q rises`);
      }
    }),
  );

  it('second and minute bars are the trades of their window (every bar, OHLCV)', T, () =>
    withSimulator(FAST, async (sim, open) => {
      const c = await open('stocks', 'key');
      await c.subscribe('AM.AAPL');
      await until(() => sim.history('stocks', 'AM.AAPL').length >= 2, 'two minute bars');
      const trades = sim.history('stocks', 'T.AAPL');
      const first = trades[0]!['t'] as number;
      for (const [ev, size] of [
        ['A', 10],
        ['AM', 600],
      ] as const) {
        const bars = sim.history('stocks', `${ev}.AAPL`);
        let checked = 0;
        for (const bar of bars) {
          const s = bar['s'] as number;
          assert.equal(bar['e'], s + size);
          if (s < first) continue; // its window began before the kept trades
          const inside = trades.filter(
            (t) => (t['t'] as number) >= s && (t['t'] as number) < s + size,
          );
          assert.ok(inside.length > 0, `${ev} bar at ${s} has trades`);
          const p = inside.map((t) => t['p'] as number);
          assert.equal(bar['o'], p[0]);
          assert.equal(bar['c'], p[p.length - 1]);
          assert.equal(bar['h'], Math.max(...p));
          assert.equal(bar['l'], Math.min(...p));
          assert.equal(
            bar['v'],
            inside.reduce((n, t) => n + (t['s'] as number), 0),
          );
          checked++;
        }
        assert.ok(checked >= 1, `${ev}: bars checked`);
        // Each window once, and only windows that had trades.
        assert.equal(new Set(bars.map((b) => b['s'])).size, bars.length);
      }
      const live = data(c.events);
      assert.ok(live.every((e) => e.ev === 'AM'));
    }),
  );

  it('history is bounded by count and by age', T, async () => {
    await withSimulator({ ...FAST, maxHistoryEvents: 300 }, async (sim, open) => {
      const c = await open('forex', 'key');
      await c.subscribe('C.EUR-USD,C.USD-JPY');
      await until(() => sim.history('forex', 'C.C:EURUSD').length > 50, 'quotes');
      await pause(300);
      const kept = ['C', 'CA', 'CAS', 'FMV', 'LV', 'AM'].flatMap((ev) =>
        ['C:EURUSD', 'C:USDJPY'].map((s) => sim.history('forex', `${ev}.${s}`).length),
      );
      const total = kept.reduce((a, b) => a + b, 0);
      assert.ok(total <= 300, `at most 300 kept, got ${total}`);
    });
    await withSimulator({ ...FAST, historyMs: 200 }, async (sim, open) => {
      const c = await open('stocks', 'key');
      await c.subscribe('T.AAPL');
      await pause(600);
      const ts = sim.history('stocks', 'T.AAPL').map((e) => e['t'] as number);
      assert.ok(ts.length > 0);
      assert.ok(Date.now() - ts[0]! < 200 + 100, 'nothing much older than historyMs');
    });
  });
});
