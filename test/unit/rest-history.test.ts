/**
 * The REST ↔ event mapping: the provider's example rows in rest-history.json, converted, are
 * events websocket.json accepts, field by field; requests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { WireEvent } from '../../src/protocol/codec.js';
import {
  historyPath,
  historyRoute,
  nsToMs,
  parseHistoryBody,
  restTicker,
  whyNoHistory,
  type RestRow,
} from '../../src/protocol/rest/rest-history.js';
import {
  type Cluster,
  isFuturesCluster,
  STREAMS,
  type StreamSpec,
} from '../../src/protocol/streams.js';
import { loadSpec, propertiesOf, schemaOf, validatorOf } from '../helpers/schema.js';

const REST_TEXT = readFileSync(
  fileURLToPath(new URL('../fixtures/rest-history.json', import.meta.url)),
  'utf8',
);

interface Operation {
  parameters: { name: string; in: string; example?: unknown }[];
  responses: { '200': { content: { 'application/json': { example: { results: RestRow[] } } } } };
}
/** Parsed like a response body, so that the examples' ns timestamps stay exact. */
const REST = parseHistoryBody(REST_TEXT) as { paths: Record<string, { get: Operation }> };

/** The ticker parameter each cluster's operations use, per endpoint family. */
const TICKER_PARAM: Record<'v3' | 'aggs', Partial<Record<Cluster, string>>> = {
  v3: {
    stocks: 'stockTicker',
    options: 'optionsTicker',
    forex: 'fxTicker',
    crypto: 'cryptoTicker',
  },
  aggs: {
    stocks: 'stocksTicker',
    options: 'optionsTicker',
    forex: 'forexTicker',
    crypto: 'cryptoTicker',
    indices: 'indicesTicker',
  },
};

/** The rest-history.json operation a stream's history comes from. */
function operationOf(stream: StreamSpec): { path: string; op: Operation } | undefined {
  const route = historyRoute(stream);
  if (!route) return undefined;
  const family = route.endpoint === 'aggs' ? 'aggs' : 'v3';
  const param = TICKER_PARAM[family][stream.cluster];
  const path =
    family === 'aggs'
      ? `/v2/aggs/ticker/{${param}}/range/{multiplier}/{timespan}/{from}/{to}`
      : `/v3/${route.endpoint}/{${param}}`;
  const entry = REST.paths[path];
  return entry && { path, op: entry.get };
}

function stream(schemaPath: string): StreamSpec {
  const s = STREAMS.find((x) => x.schemaPath === schemaPath);
  assert.ok(s, schemaPath);
  return s;
}

function convertExample(s: StreamSpec): WireEvent[] {
  const found = operationOf(s);
  assert.ok(found, `rest-history.json has no operation for ${s.schemaPath}`);
  const ticker = found.op.parameters.find((p) => p.in === 'path')?.example;
  assert.equal(typeof ticker, 'string');
  const rows = found.op.responses['200'].content['application/json'].example.results;
  const route = historyRoute(s)!;
  return rows.map((row) => {
    const e = route.convert(row, ticker as string);
    assert.ok(e, `${s.schemaPath}: ${JSON.stringify(row)} converts`);
    return e;
  });
}

const WITH_HISTORY = [
  '/stocks/T',
  '/stocks/Q',
  '/stocks/A',
  '/stocks/AM',
  '/options/T',
  '/options/Q',
  '/options/A',
  '/options/AM',
  '/forex/C',
  '/forex/CA',
  '/forex/CAS',
  '/crypto/XT',
  '/crypto/XA',
  '/crypto/XAS',
  '/indices/A',
  '/indices/AM',
];

describe('which streams have history', () => {
  it('exactly the trade, quote and bar streams of the market feed; every other says why', () => {
    const routed = STREAMS.filter((s) => historyRoute(s) && !isFuturesCluster(s.cluster));
    assert.deepEqual(routed.map((s) => s.schemaPath).sort(), [...WITH_HISTORY].sort());
    // Futures history is /futures/v1 (FUTURES-AND-HOSTS.md §2), not in rest-history.json: every
    // futures stream has it.
    for (const s of STREAMS.filter((s) => isFuturesCluster(s.cluster))) {
      const route = historyRoute(s);
      assert.ok(route, s.schemaPath);
      assert.match(historyPath(s, route, 'ESZ6', { from: 0, to: 1 }, 10), /^\/futures\/v1\//);
    }
    for (const s of STREAMS.filter((s) => !isFuturesCluster(s.cluster))) {
      if (historyRoute(s)) {
        assert.equal(whyNoHistory(s), '');
        assert.ok(operationOf(s), `${s.schemaPath}: its endpoint is in rest-history.json`);
      } else {
        assert.match(whyNoHistory(s), /history/, s.schemaPath);
      }
    }
    assert.equal(REST.paths['/v3/quotes/{cryptoTicker}'], undefined, 'no crypto quote history');
    assert.match(whyNoHistory(stream('/crypto/XQ')), /not crypto/);
    assert.match(whyNoHistory(stream('/launchpad/stocks/AM')), /launchpad/);
  });
});

describe('the provider example rows as stream events', () => {
  const { spec, ajv } = loadSpec();
  for (const path of WITH_HISTORY) {
    it(`${path}: valid against websocket.json, no stray field, absent fields absent`, () => {
      const s = stream(path);
      const props = propertiesOf(schemaOf(spec, path));
      const v = validatorOf(ajv, path);
      for (const e of convertExample(s)) {
        const errors = v(e)
          ? []
          : (v.errors ?? []).filter(
              // websocket.json types crypto bar volume as an integer; its own example is fractional.
              (err) =>
                !(s.cluster === 'crypto' && err.instancePath === '/v' && err.keyword === 'type'),
            );
        assert.deepEqual(errors, [], `${path}: ${JSON.stringify(e)}`);
        assert.equal(e.ev, s.ev);
        for (const k of Object.keys(e)) assert.ok(props.has(k), `${path}: stray ${k}`);
        for (const k of historyRoute(s)!.absent) if (k !== 'c' && k !== 'x') assert.ok(!(k in e));
      }
    });
  }

  it('field by field, first example row of each endpoint and cluster', () => {
    const first = (path: string): WireEvent => convertExample(stream(path))[0]!;
    assert.deepEqual(first('/stocks/T'), {
      ...{ ev: 'T', sym: 'AAPL', x: 11, i: '1', z: 3, p: 171.55, s: 100, c: [12, 41] },
      ...{ t: 1517562000016, q: 1063 },
    });
    assert.deepEqual(first('/stocks/Q'), {
      ...{ ev: 'Q', sym: 'AAPL', bx: 11, bp: 102.7, bs: 60, ax: 0, ap: 0, as: 0, c: 1 },
      ...{ t: 1517562000065, q: 2060, z: 3 },
    });
    // No sequence number in REST option trades, and this row lists no conditions.
    assert.deepEqual(first('/options/T'), {
      ...{ ev: 'T', sym: 'O:TSLA210903C00700000', x: 46, p: 6.91, s: 1, t: 1401715883806 },
    });
    assert.deepEqual(first('/options/Q'), {
      ...{ ev: 'Q', sym: 'O:SPY241220P00720000', bx: 316, bp: 277.5, bs: 1, ax: 323, ap: 282 },
      ...{ as: 10, t: 1645119125346, q: 789539218 },
    });
    assert.deepEqual(first('/forex/C'), {
      ...{ ev: 'C', p: 'EUR/USD', x: 48, a: 1.18565, b: 1.18558, t: 1625097600000 },
    });
    assert.deepEqual(first('/crypto/XT'), {
      ...{ ev: 'XT', pair: 'BTC-USD', p: 35060, t: 1625097600103, s: 1.0434526, c: [1] },
      ...{ i: 191450340, x: 1 },
    });
    assert.deepEqual(first('/stocks/AM'), {
      ...{ ev: 'AM', sym: 'AAPL', o: 74.06, h: 75.15, l: 73.7975, c: 75.0875, v: 135647456 },
      ...{ vw: 74.6099, s: 1577941200000, e: 1577941260000 },
    });
    assert.deepEqual(first('/options/A'), {
      ...{ ev: 'A', sym: 'O:SPY251219C00650000', o: 26.2, h: 26.2, l: 26.2, c: 26.2, v: 2 },
      ...{ vw: 26.2, s: 1632369600000, e: 1632369601000 },
    });
    assert.deepEqual(first('/forex/CA'), {
      ...{ ev: 'CA', pair: 'EUR/USD', o: 1.17921, h: 1.18305, l: 1.1756, c: 1.17721 },
      ...{ v: 125329, s: 1626912000000, e: 1626912060000 },
    });
    assert.deepEqual(first('/crypto/XAS'), {
      ...{ ev: 'XAS', pair: 'BTC-USD', o: 9557.9, h: 10429.26, l: 9490, c: 10094.75 },
      ...{ v: 303067.6562332156, vw: 9874.5529, s: 1590984000000, e: 1590984001000 },
    });
    assert.deepEqual(first('/indices/AM'), {
      ...{ ev: 'AM', sym: 'I:NDX', o: 12230.83658266843, h: 12340.44936267155 },
      ...{ l: 11970.34221717375, c: 11995.88235998666, s: 1678341600000, e: 1678341660000 },
    });
  });

  it('a forex quote whose bid and ask exchanges differ has no x; a rowless time, no event', () => {
    const r = historyRoute(stream('/forex/C'))!;
    const row = { ask_exchange: 48, bid_exchange: 49, ask_price: 2, bid_price: 1 };
    const e = r.convert({ ...row, participant_timestamp: '1625097600000000000' }, 'C:EURUSD');
    assert.deepEqual(e, { ev: 'C', p: 'EUR/USD', a: 2, b: 1, t: 1625097600000 });
    assert.equal(r.convert(row, 'C:EURUSD'), undefined);
  });
});

describe('nanoseconds', () => {
  it('exact to the millisecond, even past 2^53 where JSON numbers round', () => {
    const body = '{"results":[{"sip_timestamp": 1699999999999999999, "price": 1}]}';
    const naive = (JSON.parse(body) as { results: RestRow[] }).results[0]!;
    assert.equal(nsToMs(naive['sip_timestamp']), 1700000000000, 'the double rounded up');
    const exact = (parseHistoryBody(body) as { results: RestRow[] }).results[0]!;
    assert.equal(exact['sip_timestamp'], '1699999999999999999');
    assert.equal(nsToMs(exact['sip_timestamp']), 1699999999999);
    assert.equal(nsToMs('999999'), 0);
    assert.equal(nsToMs(-1), undefined);
  });
});

describe('requests', () => {
  const w = { from: 1_700_000_000_000, to: 1_700_000_060_000 };
  it('trades and quotes: ns window [gte, lt), ascending, the ticker encoded with its prefix', () => {
    const xt = stream('/crypto/XT');
    assert.equal(restTicker(xt, 'btc-usd'.toUpperCase()), 'X:BTC-USD');
    assert.equal(
      historyPath(xt, historyRoute(xt)!, restTicker(xt, 'X:BTC-USD'), w),
      '/v3/trades/X%3ABTC-USD?timestamp.gte=1700000000000000000&timestamp.lt=1700000060000000000&order=asc&sort=timestamp&limit=50000',
    );
    const oq = stream('/options/Q');
    const ticker = restTicker(oq, 'SPY251219C00650000');
    assert.equal(ticker, 'O:SPY251219C00650000');
    assert.equal(
      historyPath(oq, historyRoute(oq)!, ticker, w, 10),
      '/v3/quotes/O%3ASPY251219C00650000?timestamp.gte=1700000000000000000&timestamp.lt=1700000060000000000&order=asc&sort=timestamp&limit=10',
    );
    assert.equal(restTicker(stream('/forex/C'), 'EUR/USD'), 'C:EUR-USD');
  });

  it('bars: ms window starts, to − 1 (the provider includes `to`), pairs without separator', () => {
    const xa = stream('/crypto/XA');
    assert.equal(restTicker(xa, 'X:BTC-USD'), 'X:BTCUSD');
    assert.equal(
      historyPath(xa, historyRoute(xa)!, 'X:BTCUSD', w),
      '/v2/aggs/ticker/X%3ABTCUSD/range/1/minute/1700000000000/1700000059999?adjusted=false&sort=asc&limit=50000',
    );
    const ia = stream('/indices/A');
    assert.equal(
      historyPath(ia, historyRoute(ia)!, restTicker(ia, 'SPX'), w),
      '/v2/aggs/ticker/I%3ASPX/range/1/second/1700000000000/1700000059999?sort=asc&limit=50000',
    );
  });

  it('every query parameter sent is one rest-history.json declares for that operation', () => {
    for (const path of WITH_HISTORY) {
      const s = stream(path);
      const { op } = operationOf(s)!;
      const sent = new URL(historyPath(s, historyRoute(s)!, 'X', w), 'http://h').searchParams;
      const declared = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));
      for (const name of sent.keys()) assert.ok(declared.has(name), `${path}: ${name}`);
    }
  });
});
