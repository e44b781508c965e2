/** The simulator's futures: contracts, event fields, exchange paths, delayed feeds (real sockets). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WireEvent } from '../../src/protocol/codec.js';
import { frontContracts, FUTURES_PRODUCTS } from '../../src/simulator/futures-universe.js';
import { isData, T, withSimulator, type TestClient } from '../helpers/sim.js';

const FAST = { eventsPerSecond: 3_000, tickMs: 10, windowScale: 0.01, pastMs: 0 };

/** The provider's field tables (FUTURES-AND-HOSTS.md §1): name → JS type; `?` optional. */
const FIELDS: Record<string, Record<string, string>> = {
  T: { ev: 'string', sym: 'string', p: 'number', s: 'int', t: 'int', q: 'int' },
  Q: {
    ev: 'string',
    sym: 'string',
    t: 'int',
    'bp?': 'number',
    'bs?': 'int',
    'bt?': 'int',
    'ap?': 'number',
    'as?': 'int',
    'at?': 'int',
  },
  A: {
    ev: 'string',
    sym: 'string',
    v: 'number',
    dv: 'number',
    o: 'number',
    h: 'number',
    l: 'number',
    c: 'number',
    n: 'number',
    s: 'int',
    e: 'int',
  },
};
FIELDS['AM'] = FIELDS['A']!;

/** Problems of an event against its field table (missing, extra or mistyped fields). */
function fieldProblems(e: WireEvent): string[] {
  const table = FIELDS[e.ev];
  if (!table) return [`unknown ev ${e.ev}`];
  const out: string[] = [];
  const names = new Set<string>();
  for (const [spec, type] of Object.entries(table)) {
    const name = spec.replace('?', '');
    names.add(name);
    const v = e[name];
    if (v === undefined) {
      if (!spec.endsWith('?')) out.push(`${name} missing`);
      continue;
    }
    const ok = type === 'int' ? Number.isSafeInteger(v) : typeof v === type;
    if (!ok) out.push(`${name} is not ${type}: ${JSON.stringify(v)}`);
  }
  for (const k of Object.keys(e)) if (!names.has(k)) out.push(`extra field ${k}`);
  return out;
}

/** How late each trade arrives (receipt time − `t`, ms), recorded as frames come in. */
function lateness(c: TestClient): number[] {
  const out: number[] = [];
  c.ws.on('message', (data) => {
    const now = Date.now();
    for (const e of JSON.parse(String(data)) as WireEvent[]) {
      if (e.ev === 'T') out.push(now - (e.t as number));
    }
  });
  return out;
}

const TICK = new Map(frontContracts(new Date()).map((c) => [c.ticker, c.product.tick]));

function onGrid(sym: string, p: number): boolean {
  const tick = TICK.get(sym)!;
  return Math.abs(p / tick - Math.round(p / tick)) < 1e-6;
}

describe('simulator: futures', () => {
  it('lists front contracts of every product with month codes and one-digit years', () => {
    const list = frontContracts(new Date(Date.UTC(2026, 10, 20)));
    const tickers = list.map((c) => c.ticker);
    for (const t of ['ESZ6', 'ESH7', '6EZ6', 'CLZ6', 'CLF7', 'CLG7', 'GCG7', 'ZCH7', 'SIK7']) {
      assert.ok(tickers.includes(t), `${t} in ${tickers.join(' ')}`);
    }
    assert.equal(new Set(list.map((c) => c.mic)).size, 4);
    assert.equal(new Set(list.map((c) => c.product.root)).size, FUTURES_PRODUCTS.length);
  });

  it('generates every futures event kind with exactly the provider fields', T, () =>
    withSimulator({ ...FAST, seed: 5 }, async (sim, open) => {
      const c = await open('futures', 'k');
      await c.subscribe('T.*,Q.*,A.*,AM.*');
      await c.waitForMany((e) => e.ev === 'AM', 5, 0, 8_000);
      const data = c.events.filter(isData);
      for (const e of data) assert.deepEqual(fieldProblems(e), [], JSON.stringify(e));
      for (const ev of ['T', 'Q', 'A', 'AM'])
        assert.ok(
          data.some((e) => e.ev === ev),
          ev,
        );
      for (const e of data) {
        const prices = ['p', 'bp', 'ap', 'o', 'h', 'l', 'c'].map((f) => e[f]);
        for (const p of prices) {
          if (typeof p === 'number') assert.ok(onGrid(e.sym as string, p), JSON.stringify(e));
        }
      }
      assert.deepEqual(new Set(data.map((e) => e.sym)), new Set(sim.tickers('futures')));
    }),
  );

  it('carries only its exchange contracts on each exchange path', T, () =>
    withSimulator({ ...FAST, seed: 6 }, async (sim, open) => {
      const paths = ['futures/cme', 'futures/cbot', 'futures/nymex', 'futures/comex'];
      const clients = await Promise.all(paths.map((p) => open(p, 'k')));
      await Promise.all(clients.map((c) => c.subscribe('T.*,Q.*')));
      await Promise.all(clients.map((c) => c.waitForMany(isData, 50, 0, 8_000)));
      const all = new Set<string>();
      for (const [i, c] of clients.entries()) {
        const own = new Set(sim.tickers(paths[i]!));
        assert.ok(own.size >= 6, paths[i]);
        for (const e of c.events.filter(isData)) assert.ok(own.has(e.sym as string), paths[i]);
        for (const t of own) all.add(t);
        assert.equal(sim.isKnownTicker(paths[i]!, [...own][0]!), true);
      }
      assert.deepEqual(all, new Set(sim.tickers('futures')));
      assert.equal(sim.isKnownTicker('futures/cme', sim.tickers('futures/nymex')[0]!), false);
    }),
  );

  it('sends the same events on futures and on the exchange path (one market)', T, () =>
    withSimulator({ ...FAST, seed: 7 }, async (sim, open) => {
      const [es] = sim.tickers('futures/cme');
      const all = await open('futures', 'k');
      const cme = await open('futures/cme', 'k');
      await all.subscribe(`T.${es},Q.${es}`);
      await cme.subscribe(`T.${es},Q.${es}`);
      await cme.waitForMany(isData, 40, 0, 8_000);
      await all.waitForMany(isData, 40, 0, 8_000);
      const key = (e: WireEvent) => JSON.stringify(e);
      const onAll = new Set(all.events.filter(isData).map(key));
      const both = cme.events.filter(isData).filter((e) => onAll.has(key(e)));
      assert.ok(both.length >= 20, `${both.length} shared events`);
      const hist = sim.history('futures/cme', `T.${es}`).map(key);
      assert.deepEqual(hist, sim.history('futures', `T.${es}`).map(key));
      assert.ok(cme.events.filter((e) => e.ev === 'T').every((e) => hist.includes(key(e))));
    }),
  );

  it('serves a delayed cluster delayedMs after the event time', T, () =>
    withSimulator({ ...FAST, delayedMs: { futures: 300 } }, async (sim, open) => {
      const fut = await open('futures/comex', 'k');
      const stocks = await open('stocks', 'k');
      await fut.subscribe('T.*');
      await stocks.subscribe('T.*');
      const arrivals = lateness(fut);
      await fut.waitForMany((e) => e.ev === 'T', 30, 0, 8_000);
      assert.ok(arrivals.length >= 30);
      assert.ok(Math.min(...arrivals) >= 300, `earliest ${Math.min(...arrivals)} ms`);
      assert.ok(
        sim.history('futures', `T.${String(fut.events.find((e) => e.ev === 'T')!.sym)}`).length > 0,
      );
      // Stocks are not delayed: their trades arrive well within the delay.
      const late = lateness(stocks);
      await stocks.waitForMany((e) => e.ev === 'T', 30, stocks.events.length, 8_000);
      assert.ok(Math.min(...late) < 300, `stocks earliest ${Math.min(...late)} ms`);
    }),
  );
});
