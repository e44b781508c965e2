/**
 * The latest-state endpoints' mapping (src/protocol/rest-latest.ts), both ways: a stream event
 * written as the provider's `results` and read back is the same event, ns times exact past 53
 * bits; streams without a latest source say why; a body without results gives no event.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  latestBodyText,
  latestEvent,
  latestPath,
  latestRoute,
  parseLatestBody,
  whyNoLatest,
} from '../../src/protocol/rest/rest-latest.js';
import { STREAMS } from '../../src/protocol/streams.js';

const stream = (cluster: string, ev: string) =>
  STREAMS.find((s) => s.cluster === cluster && s.ev === ev && s.feed === 'market')!;

/** A time whose ns form (…123000000) is not a double: only digits keep it exact. */
const T = 1_796_513_254_421;

describe('rest-latest', () => {
  const cases = [
    {
      s: stream('stocks', 'T'),
      ticker: 'AAPL',
      event: {
        ev: 'T',
        sym: 'AAPL',
        x: 4,
        i: '854479',
        z: 3,
        p: 225.62,
        s: 65,
        c: [37],
        t: T,
        q: 50348,
        trfi: 202,
        trft: T - 2,
      },
      path: '/v2/last/trade/AAPL',
    },
    {
      s: stream('stocks', 'Q'),
      ticker: 'AAPL',
      event: {
        ev: 'Q',
        sym: 'AAPL',
        bx: 19,
        bp: 225.96,
        bs: 11,
        ax: 11,
        ap: 226,
        as: 13,
        c: 0,
        i: [],
        t: T,
        q: 50378,
        z: 3,
      },
      path: '/v2/last/nbbo/AAPL',
    },
    {
      s: stream('options', 'T'),
      ticker: 'O:AAPL250117C00150000',
      event: { ev: 'T', sym: 'O:AAPL250117C00150000', x: 65, p: 1.5, s: 2, c: [209], t: T },
      path: '/v2/last/trade/O%3AAAPL250117C00150000',
    },
  ];
  for (const { s, ticker, event, path } of cases) {
    it(`${s.cluster} ${s.ev}: event → results → body → event is the same, ns exact`, () => {
      const route = latestRoute(s)!;
      assert.equal(latestPath(route, ticker), path);
      const text = latestBodyText({ status: 'OK', results: { T: ticker, ...route.toRow(event) } });
      assert.match(text, new RegExp(`"t":${T}000000[,}]`), 'the ns time is written as a number');
      assert.deepEqual(latestEvent(route, ticker, parseLatestBody(text)), event);
    });
  }

  it('bars, futures and other streams have no latest source, and say why', () => {
    assert.equal(latestRoute(stream('stocks', 'AM')), undefined);
    assert.match(whyNoLatest(stream('stocks', 'AM')), /forming/);
    assert.match(whyNoLatest(stream('crypto', 'XT')), /no "last" endpoint/);
    const futures = STREAMS.find((x) => x.cluster === 'futures' && x.ev === 'T')!;
    assert.match(whyNoLatest(futures), /futures/);
    assert.equal(whyNoLatest(stream('stocks', 'T')), '');
  });

  it('a body without a results object gives no event', () => {
    const route = latestRoute(stream('stocks', 'T'))!;
    assert.equal(latestEvent(route, 'AAPL', { status: 'OK' }), undefined);
    assert.equal(latestEvent(route, 'AAPL', { results: [] }), undefined);
    assert.equal(latestEvent(route, 'AAPL', { results: { p: 1 } }), undefined, 'no time');
  });
});
