/** The simulator's futures: contracts, event fields, exchange paths, delayed feeds (real sockets). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WireEvent } from '../../src/protocol/codec.js';
import { frontContracts, FUTURES_PRODUCTS } from '../../src/simulator/futures/contracts.js';
import { fieldProblems } from '../helpers/futures-fields.js';
import { isData, T, withSimulator, type TestClient } from '../helpers/sim.js';

const FAST = { eventsPerSecond: 3_000, tickMs: 10, windowScale: 0.01, pastMs: 0 };

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

/** A REST row or body, loosely typed for the checks. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON under test
type Json = any;

/** GET a simulator REST path; the body parsed with ns timestamps kept as digit strings. */
async function rest(sim: { port: number }, path: string): Promise<{ status: number; body: Json }> {
  const url = path.startsWith('http') ? path : `http://127.0.0.1:${sim.port}${path}`;
  const res = await fetch(url, { headers: { authorization: 'Bearer k' } });
  const text = await res.text();
  const safe = text.replace(
    /"(timestamp|bid_timestamp|ask_timestamp|window_start)":(\d+)/g,
    '"$1":"$2"',
  );
  return { status: res.status, body: JSON.parse(safe) };
}

/** Every row of a query, following next_url. */
async function allRows(sim: { port: number }, path: string): Promise<Json[]> {
  const rows: Json[] = [];
  let next: string | undefined = path;
  while (next) {
    const { status, body } = await rest(sim, next);
    assert.equal(status, 200, JSON.stringify(body));
    rows.push(...body.results);
    next = body.next_url;
  }
  return rows;
}

describe('simulator: futures REST history', () => {
  it('serves trades, quotes and bars equal to the stream, sorted, paged and windowed', T, () =>
    withSimulator({ ...FAST, seed: 9 }, async (sim, open) => {
      const [cl] = sim.tickers('futures/nymex');
      const c = await open('futures', 'k');
      await c.subscribe(`T.${cl},Q.${cl},A.${cl}`);
      await c.waitForMany((e) => e.ev === 'A', 4, 0, 8_000);
      const trades = c.events.filter((e) => e.ev === 'T');
      const first = trades[0]!.t as number;
      const last = trades[trades.length - 1]!.t as number;
      const win = `timestamp.gte=${BigInt(first) * 1_000_000n}&timestamp.lte=${BigInt(last) * 1_000_000n}`;
      const asc = await allRows(sim, `/futures/v1/trades/${cl}?${win}&sort=timestamp.asc&limit=7`);
      const streamed = trades.map((e) => [
        String(BigInt(e.t as number) * 1_000_000n),
        e.p,
        e.s,
        e.q,
      ]);
      const rowsOf = (r: Json[]) => r.map((x) => [x.timestamp, x.price, x.size, x.sequence_number]);
      assert.deepEqual(rowsOf(asc), streamed);
      assert.ok(asc.every((r) => r.ticker === cl && typeof r.session_end_date === 'string'));
      // Default sort is desc; default limit 10 trades per page.
      const page = await rest(sim, `/futures/v1/trades/${cl}?${win}`);
      assert.equal(page.body.results.length, Math.min(10, trades.length));
      assert.deepEqual(rowsOf(page.body.results), streamed.slice().reverse().slice(0, 10));
      const desc = await allRows(sim, `/futures/v1/trades/${cl}?${win}&limit=5`);
      assert.deepEqual(rowsOf(desc), streamed.slice().reverse());
      // Quotes: bid_/ask_ fields from the stream.
      const quotes = c.events.filter((e) => e.ev === 'Q');
      const qFirst = BigInt(quotes[0]!.t as number) * 1_000_000n;
      const qLast = BigInt(quotes[quotes.length - 1]!.t as number) * 1_000_000n;
      const qRows = await allRows(
        sim,
        `/futures/v1/quotes/${cl}?timestamp.gte=${qFirst}&timestamp.lte=${qLast}&sort=asc&limit=50`,
      );
      assert.deepEqual(
        qRows.map((r) => [r.bid_price, r.bid_size, r.ask_price, r.ask_size]),
        quotes.map((e) => [e.bp, e.bs, e.ap, e.as]),
      );
      // Bars: resolution 1sec = the A stream; window_start filter.
      const bars = c.events.filter((e) => e.ev === 'A');
      const ws = BigInt(bars[0]!.s as number) * 1_000_000n;
      const we = BigInt(bars[bars.length - 1]!.s as number) * 1_000_000n;
      const aRows = await allRows(
        sim,
        `/futures/v1/aggs/${cl}?resolution=1sec&window_start.gte=${ws}&window_start.lte=${we}&sort=window_start.asc&limit=2`,
      );
      assert.deepEqual(
        aRows.map((r) => [
          r.window_start,
          r.open,
          r.high,
          r.low,
          r.close,
          r.volume,
          r.dollar_volume,
          r.transactions,
        ]),
        bars.map((e) => [
          String(BigInt(e.s as number) * 1_000_000n),
          e.o,
          e.h,
          e.l,
          e.c,
          e.v,
          e.dv,
          e.n,
        ]),
      );
    }),
  );

  it('answers bad parameters with 400 and the default resolution as unsupported', T, () =>
    withSimulator(FAST, async (sim) => {
      const [es] = sim.tickers('futures/cme');
      for (const q of [
        `aggs/${es}`,
        `aggs/${es}?resolution=1day`,
        `trades/${es}?limit=50000`,
        `trades/${es}?sort=sideways`,
        `quotes/${es}?timestamp.gte=yesterday`,
        `trades/${es}?cursor=nonsense`,
      ]) {
        const { status, body } = await rest(sim, `/futures/v1/${q}`);
        assert.equal(status, 400, `${q}: ${JSON.stringify(body)}`);
      }
      const rfc = await rest(sim, `/futures/v1/trades/${es}?timestamp.gte=2020-01-01T00:00:00Z`);
      assert.equal(rfc.status, 200);
      const unknown = await rest(sim, '/futures/v1/trades/ZZZ9');
      assert.deepEqual([unknown.status, unknown.body.results], [200, []]);
    }),
  );
});

describe('simulator: futures recordings and published events', () => {
  const contract = (root: string): string =>
    frontContracts(new Date()).find((c) => c.product.root === root)!.ticker;
  const trade = (sym: string, p: number): WireEvent => ({ ev: 'T', sym, p, s: 1, t: p, q: p });

  it('a published futures event reaches the exchange path of its contract, not the others', T, () =>
    withSimulator({ eventsPerSecond: 0 }, async (sim, open) => {
      const [es, cl] = [contract('ES'), contract('CL')];
      const cme = await open('futures/cme', 'k');
      const nymex = await open('futures/nymex', 'k');
      await cme.subscribe('T.*');
      await nymex.subscribe('T.*');
      assert.equal(sim.publish('futures', [trade(es, 1), trade(cl, 2)]), 2);
      assert.equal((await cme.waitFor(isData))['sym'], es);
      assert.equal((await nymex.waitFor(isData))['sym'], cl);
      assert.deepEqual(
        cme.events.filter(isData).map((e) => e['sym']),
        [es],
      );
    }),
  );

  it('a recording replayed as futures goes to the futures paths (replay.cluster)', T, async () => {
    const es = contract('ES');
    // 200 ms apart, at the recorded pace: both clients are subscribed before the second one.
    const at = (ms: number, sym = es): WireEvent => ({
      ...trade(sym, ms),
      t: 1_764_950_400_000 + ms,
    });
    const events = [at(0), at(200), at(400), at(600, contract('GC'))];
    await withSimulator({ replay: { events, cluster: 'futures' } }, async (sim, open) => {
      const cme = await open('futures/cme', 'k');
      const stocks = await open('stocks', 'k');
      const ended = new Promise<void>((resolve) => sim.once('replayEnd', () => resolve()));
      await cme.subscribe(`T.${es}`);
      await stocks.subscribe(`T.${es}`);
      await ended;
      await cme.waitForMany(isData, 3);
      // A stock subscription to the same symbol gets nothing: the recording was futures.
      assert.deepEqual(stocks.events.filter(isData), []);
    });
  });
});
