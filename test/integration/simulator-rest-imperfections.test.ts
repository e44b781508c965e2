/**
 * The simulator's REST history imitating the provider's imperfections, over real sockets: the lag
 * behind the stream (an event seen live is absent from REST at first, present `restLagMs` later;
 * with jitter, one horizon per query, the same on all its pages), the forming bar of the
 * aggregates endpoint, and every REST fault kind (status with and without Retry-After, slow
 * bodies, resets, endless empty pages, each corruption), with `times`, endpoint and ticker filters
 * and `sim.faults.rest` changed while running. Without the options, REST is what it was.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, isPolygonStreamError } from '../../src/errors.js';
import type { WireEvent } from '../../src/protocol/codec.js';
import { parseHistoryBody } from '../../src/protocol/rest/rest-history.js';
import {
  startSimulator,
  type RestFault,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import { connectAuthed, pause, type TestClient } from '../helpers/sim.js';

const T = { timeout: 20_000 };
const KEY = 'rest-key';
const AUTH = { Authorization: `Bearer ${KEY}` };
/** Minute bars last 600 ms with `windowScale: 0.01`. */
const MINUTE = 600;
const BASE: SimulatorOptions = {
  apiKeys: [KEY],
  windowScale: 0.01,
  eventsPerSecond: 1_000,
  tickMs: 10,
  pastMs: 10_000,
  restRequestsPerSecond: 10_000,
  seed: 7,
};

type Row = Record<string, unknown>;
interface Answer {
  status: number;
  headers: Headers;
  body: Row & { results?: Row[]; next_url?: string };
  /** Date.now() when the whole answer was in. */
  at: number;
}

async function get(url: string): Promise<Answer> {
  const res = await fetch(url, { headers: AUTH });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: parseHistoryBody(text) as Row,
    at: Date.now(),
  };
}

/** Poll `check` until it returns a value (not undefined), failing after `ms`. */
async function eventually<V>(check: () => Promise<V | undefined>, what: string, ms = 5_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await pause(20);
  }
}

const nsToMs = (ns: unknown): number => Number(BigInt(String(ns)) / 1_000_000n);

async function withSim(
  options: SimulatorOptions,
  fn: (sim: Simulator, base: string) => Promise<void>,
) {
  const sim = await startSimulator({ ...BASE, ...options });
  try {
    await fn(sim, sim.url.replace('ws:', 'http:'));
  } finally {
    await sim.close();
  }
}

/** A stock trade of AAPL as the stream delivers it, and when it arrived. */
async function liveTrade(
  sim: Simulator,
): Promise<{ trade: WireEvent; seen: number; c: TestClient }> {
  const c = await connectAuthed(sim, 'stocks', KEY);
  await c.subscribe('T.AAPL');
  const from = c.events.length;
  const trade = await c.waitFor((e) => e.ev === 'T', from);
  return { trade, seen: Date.now(), c };
}

const tradesAt = (base: string, t: number): string =>
  `${base}/v3/trades/AAPL?timestamp=${t}000000&limit=50000`;
const has = (a: Answer, q: unknown): boolean =>
  a.body.results!.some((r) => r['sequence_number'] === q);

describe('simulator REST: lag behind the stream', () => {
  it('without options an event seen live is in REST at once, and no fault is set', T, () =>
    withSim({}, async (sim, base) => {
      assert.equal(sim.faults.rest.length, 0);
      const { trade, c } = await liveTrade(sim);
      c.close();
      assert.ok(has(await get(tradesAt(base, trade['t'] as number)), trade['q']));
    }),
  );

  it('restLagMs: an event seen live is absent at first, present ~restLagMs later', T, () =>
    withSim({ restLagMs: 400 }, async (sim, base) => {
      const { trade, seen, c } = await liveTrade(sim);
      c.close();
      const url = tradesAt(base, trade['t'] as number);
      const first = await get(url);
      assert.equal(first.status, 200);
      assert.ok(!has(first, trade['q']), `absent ${first.at - seen} ms after it was seen`);
      const shown = await eventually(async () => {
        const a = await get(url);
        return has(a, trade['q']) ? a.at : undefined;
      }, 'the trade in REST');
      // It was generated no earlier than its own time: visible no sooner than 400 ms after that.
      assert.ok(
        shown - (trade['t'] as number) >= 400,
        `shown ${shown - (trade['t'] as number)} ms after`,
      );
      assert.ok(shown - seen < 1_500, `shown ${shown - seen} ms after it was seen`);
    }),
  );

  it('restLagJitterMs: one horizon per query, kept by all its pages; each query its own', T, () =>
    withSim({ restLagMs: 200, restLagJitterMs: 400 }, async (_sim, base) => {
      const joined = Date.now();
      await get(`${base}/v3/trades/AAPL?limit=1`); // AAPL joins the tape
      await pause(1_200); // live trades to page through (its past is thin)
      const since = `timestamp.gte=${joined}000000&order=asc&limit=50`;
      const first = await get(`${base}/v3/trades/AAPL?${since}`);
      const rows = [...first.body.results!];
      await pause(700); // longer than lag + jitter: a later horizon would show newer trades
      for (let next = first.body.next_url; next !== undefined;) {
        const page = await get(next);
        rows.push(...page.body.results!);
        next = page.body.next_url;
      }
      assert.ok(rows.length > 100, `${rows.length} rows over several pages`);
      const newest = Math.max(...rows.map((r) => nsToMs(r['sip_timestamp'])));
      assert.ok(newest <= first.at - 200, `newest row ${first.at - newest} ms before page 1`);
      const fresh = await get(`${base}/v3/trades/AAPL?limit=1`);
      assert.ok(nsToMs(fresh.body.results![0]!['sip_timestamp']) > newest, 'a new query sees more');
      // Horizons of back-to-back queries spread over the jitter.
      const lags: number[] = [];
      for (let i = 0; i < 8; i++) {
        const asked = Date.now();
        const a = await get(`${base}/v3/trades/AAPL?limit=1`);
        const t = nsToMs(a.body.results![0]!['sip_timestamp']);
        assert.ok(a.at - t >= 200 && asked - t <= 700, `lag ${a.at - t} ms`);
        lags.push(asked - t);
      }
      assert.ok(Math.max(...lags) - Math.min(...lags) > 40, `lags ${lags.join(', ')}`);
    }),
  );
});

describe('simulator REST: the forming bar', () => {
  const minuteBars = (base: string, sort = 'asc'): string =>
    `${base}/v2/aggs/ticker/AAPL/range/1/minute/${Date.now() - 5_000}/${Date.now() + 60_000}?sort=${sort}`;

  it('restFormingBars: the last row is the open window, and its volume grows', T, () =>
    withSim({ restFormingBars: true }, async (_sim, base) => {
      // A window has a bar once it has a trade: right after AAPL joins, the open one may not.
      // (Without the option, no row's window is still open: see the next test.)
      const a = await eventually(async () => {
        const asked = Date.now();
        const answer = await get(minuteBars(base));
        const t = answer.body.results!.at(-1)?.['t'] as number | undefined;
        return t !== undefined && t + MINUTE > asked ? answer : undefined;
      }, 'a bar of the window open now');
      const rows = a.body.results!;
      const start = rows.at(-1)!['t'] as number;
      assert.ok(start <= a.at, `window ${start} started by ${a.at}`);
      for (const r of rows.slice(0, -1)) assert.ok((r['t'] as number) + MINUTE <= start);
      assert.equal(a.body['resultsCount'], rows.length);
      const desc = await get(minuteBars(base, 'desc'));
      const newest = desc.body.results![0]!['t'] as number;
      assert.ok(newest >= start, 'first with sort=desc');
      // Two looks at one window: the second has more volume.
      await eventually(async () => {
        const one = (await get(minuteBars(base))).body.results!.at(-1)!;
        await pause(150);
        const two = (await get(minuteBars(base))).body.results!.at(-1)!;
        if (one['t'] !== two['t']) return undefined; // the window closed in between: again
        assert.ok((two['v'] as number) > (one['v'] as number), `${one['v']} then ${two['v']}`);
        return true;
      }, 'two looks at one open window');
    }),
  );

  it('without it, every row is a closed window', T, () =>
    withSim({}, async (_sim, base) => {
      for (let i = 0; i < 4; i++) {
        const a = await get(minuteBars(base));
        const last = a.body.results!.at(-1)!;
        assert.ok((last['t'] as number) + MINUTE <= a.at, `last window ended by the answer`);
        await pause(MINUTE / 4);
      }
    }),
  );
});

describe('simulator REST: faults', () => {
  let sim: Simulator;
  let base: string;
  /** A fixed window of AAPL trades already generated, and its real page. */
  let window: string;
  let real: Answer;

  before(async () => {
    sim = await startSimulator(BASE);
    base = sim.url.replace('ws:', 'http:');
    const t0 = Date.now();
    await get(`${base}/v3/trades/AAPL?limit=1`); // AAPL joins the tape
    // The first 40 live trades of a window that is over (its past is thinner).
    window = `timestamp.gte=${t0}000000&timestamp.lt=${t0 + 400}000000&order=asc&limit=40`;
    real = await eventually(async () => {
      const a = await get(`${base}/v3/trades/AAPL?${window}`);
      return Date.now() > t0 + 500 && a.body.results!.length === 40 ? a : undefined;
    }, '40 trades in a window that is over');
  });
  after(() => sim.close());

  const trades = (): Promise<Answer> => get(`${base}/v3/trades/AAPL?${window}`);
  const quotes = (ticker = 'AAPL'): Promise<Answer> => get(`${base}/v3/quotes/${ticker}?limit=5`);
  const aggs = (): Promise<Answer> =>
    get(`${base}/v2/aggs/ticker/AAPL/range/1/minute/${Date.now() - 5_000}/${Date.now()}`);

  it('status, with and without Retry-After; times expires; auth comes first', T, async () => {
    sim.faults.rest.push({ status: 503, times: 2 }, { status: 429, retryAfter: 2, times: 1 });
    for (let i = 0; i < 2; i++) {
      const a = await trades();
      assert.equal(a.status, 503);
      assert.equal(a.headers.get('retry-after'), null);
      assert.equal(a.body['status'], 'ERROR');
      assert.equal(typeof a.body['request_id'], 'string');
      assert.equal(typeof a.body['message'], 'string');
    }
    const throttled = await trades();
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '2');
    assert.match(String(throttled.body['message']), /exceeded the maximum requests/);
    assert.equal(sim.faults.rest.length, 0, 'used-up faults leave the list');
    assert.deepEqual((await trades()).body.results, real.body.results);
    sim.faults.rest.push({ status: 500, times: 1 });
    const unknown = await fetch(`${base}/v3/trades/AAPL`, {
      headers: { Authorization: 'Bearer x' },
    });
    assert.equal(unknown.status, 401);
    assert.equal((await trades()).status, 500);
  });

  it('slowBodyMs: the head at once, the body in pieces over the time', T, async () => {
    sim.faults.rest = [{ slowBodyMs: 600, times: 1 }];
    const started = Date.now();
    const res = await fetch(`${base}/v3/trades/AAPL?${window}`, { headers: AUTH });
    assert.ok(Date.now() - started < 300, 'head before the body');
    let pieces = 0;
    let text = '';
    for await (const chunk of res.body!) {
      pieces++;
      text += Buffer.from(chunk as Uint8Array).toString();
    }
    assert.ok(Date.now() - started >= 595, `body in ${Date.now() - started} ms`);
    assert.ok(pieces >= 3, `${pieces} pieces`);
    assert.deepEqual((parseHistoryBody(text) as Row)['results'], real.body.results);
  });

  it('reset: fetch fails with a network error', T, async () => {
    sim.faults.rest.push({ reset: true, times: 1 });
    await assert.rejects(fetch(`${base}/v3/trades/AAPL`, { headers: AUTH }), TypeError);
    assert.equal((await trades()).status, 200);
  });

  it('emptyPages: 200, no rows and a next_url, page after page', T, async () => {
    sim.faults.rest.push({ emptyPages: true, endpoint: 'aggs', times: 1 });
    let a = await aggs();
    for (let i = 0; i < 5; i++) {
      assert.equal(a.status, 200);
      assert.deepEqual(a.body.results, []);
      assert.equal(a.body['resultsCount'], 0);
      assert.equal(a.body['ticker'], 'AAPL');
      assert.match(a.body.next_url ?? '', /cursor=/);
      a = await get(a.body.next_url!);
    }
    assert.ok((await aggs()).body.results!.length > 0, 'a new query is served again');
  });

  it('corrupt: order, ticker, types', T, async () => {
    sim.faults.rest.push({ corrupt: 'order', times: 1 });
    assert.deepEqual((await trades()).body.results, [...real.body.results!].reverse());
    sim.faults.rest.push({ corrupt: 'ticker', times: 2 });
    for (const r of (await trades()).body.results!) {
      assert.ok(typeof r['T'] === 'string' && r['T'] !== 'AAPL', `T ${String(r['T'])}`);
    }
    const bars = await aggs();
    assert.ok(typeof bars.body['ticker'] === 'string' && bars.body['ticker'] !== 'AAPL');
    assert.ok(bars.body.results!.every((r) => r['T'] === bars.body['ticker']));
    sim.faults.rest.push({ corrupt: 'types', times: 3 });
    const spoilt = (await trades()).body.results!;
    assert.deepEqual(
      spoilt.map((r) => ({ ...r, price: 0 })),
      real.body.results!.map((r) => ({ ...r, price: 0 })),
    );
    assert.ok(spoilt.every((r) => r['price'] === 'abc'));
    assert.ok((await quotes()).body.results!.every((r) => r['bid_price'] === 'abc'));
    const b = (await aggs()).body.results!;
    assert.ok(b.length > 0 && b.every((r) => r['o'] === 'abc' && r['c'] === 'abc'));
    assert.equal(sim.faults.rest.length, 0);
  });

  it(
    'endpoint and ticker filters leave other requests alone; changes apply at once',
    T,
    async () => {
      sim.faults.rest.push({ endpoint: 'quotes', status: 502 });
      assert.equal((await trades()).status, 200);
      assert.equal((await quotes()).status, 502);
      sim.faults.rest = [{ ticker: 'MSFT', status: 504 }];
      assert.equal((await quotes()).status, 200);
      assert.equal((await quotes('MSFT')).status, 504);
      sim.faults.rest = [{ ticker: 'X:BTCUSD', status: 500 }];
      const crypto = await get(`${base}/v3/trades/X:BTC-USD?limit=1`);
      assert.equal(crypto.status, 500, 'the same pair, spelt otherwise');
      sim.faults.rest.length = 0;
      assert.equal((await quotes('MSFT')).status, 200);
    },
  );

  it(
    'a fault that is not one: 500 naming it (on the live list), INVALID_OPTION (option)',
    T,
    async () => {
      sim.faults.rest.push({ status: 200 });
      const a = await trades();
      assert.equal(a.status, 500);
      assert.match(
        String(a.body['message']),
        /faults\.rest\[0\]\.status must be an integer from 400 to 599/,
      );
      sim.faults.rest.length = 0;
      const refused = (options: SimulatorOptions, message: RegExp) =>
        assert.rejects(
          startSimulator(options),
          (err) => isPolygonStreamError(err, ErrorCode.InvalidOption) && message.test(err.message),
        );
      await refused(
        { restFaults: [{ status: 429, reset: true }] },
        /restFaults\[0\] must be a RestFault with exactly one of status/,
      );
      await refused(
        { restFaults: [{ slowBodyMs: 5, retryAfter: 1 }] },
        /restFaults\[0\]\.retryAfter must be left out without status/,
      );
      await refused(
        { restFaults: [{ reset: true, times: 0 }] },
        /restFaults\[0\]\.times must be an integer from 1/,
      );
      await refused(
        { restFaults: [{ corrupt: 'rows' as 'order' }] },
        /restFaults\[0\]\.corrupt must be one of "order", "ticker", "types"/,
      );
      await refused(
        { restFaults: [{ reset: true, foo: 1 } as RestFault] },
        /restFaults\[0\]\.foo must be left out: a RestFault's fields are endpoint/,
      );
      await refused({ restFaults: {} as [] }, /restFaults must be an array of RestFault/);
      await refused({ restLagMs: -1 }, /restLagMs must be a duration in ms from 0/);
      await refused({ restLagJitterMs: Infinity }, /restLagJitterMs must be a duration/);
      await refused(
        { restFormingBars: 1 as unknown as boolean },
        /restFormingBars must be true or false/,
      );
    },
  );
});
