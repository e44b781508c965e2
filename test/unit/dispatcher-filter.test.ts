/** The `events({ symbols })` filter matches by canonical symbol, however either side spells it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Dispatcher } from '../../src/client/delivery/dispatcher.js';
import type { WireEvent } from '../../src/protocol/codec.js';

/** The events among `events` that a consumer filtered on `symbols` receives. */
function filtered(cluster: string, symbols: string[], events: WireEvent[]): WireEvent[] {
  const dispatcher = new Dispatcher(
    cluster,
    () => undefined,
    () => undefined,
  );
  const queue = dispatcher.consume({ symbols });
  for (const e of events) dispatcher.dispatch(e);
  const out: WireEvent[] = [];
  for (let e = queue.shift(); e !== undefined; e = queue.shift()) out.push(e);
  queue.close();
  return out;
}

describe('Dispatcher symbol filter', () => {
  const btcTrade: WireEvent = { ev: 'XT', pair: 'BTC-USD', p: 1, s: 1, t: 1 };
  const ethTrade: WireEvent = { ev: 'XT', pair: 'ETH-USD', p: 1, s: 1, t: 1 };
  test("crypto: 'X:BTC-USD', 'BTC-USD', 'btc-usd', 'BTCUSD' all match BTC-USD only", () => {
    for (const s of ['X:BTC-USD', 'BTC-USD', 'btc-usd', 'BTCUSD']) {
      assert.deepEqual(filtered('crypto', [s], [btcTrade, ethTrade]), [btcTrade], s);
    }
  });

  test("forex: 'EUR/USD' matches the quote's EUR/USD, the bar's EUR/USD and FMV's C:EURUSD", () => {
    const quote: WireEvent = { ev: 'C', p: 'EUR/USD', a: 1, b: 1, x: 48, t: 1 };
    const fmv: WireEvent = { ev: 'FMV', sym: 'C:EURUSD', fmv: 1, t: 1 };
    const other: WireEvent = { ev: 'C', p: 'GBP/USD', a: 1, b: 1, x: 48, t: 1 };
    assert.deepEqual(filtered('forex', ['EUR/USD'], [quote, fmv, other]), [quote, fmv]);
  });

  test("stocks: 'AAPL' matches AAPL, not AAPLX; options and indices take bare symbols", () => {
    const aapl: WireEvent = { ev: 'T', sym: 'AAPL' };
    assert.deepEqual(filtered('stocks', ['AAPL'], [aapl, { ev: 'T', sym: 'AAPLX' }]), [aapl]);
    const spx: WireEvent = { ev: 'V', T: 'I:SPX', val: 1, t: 1 };
    assert.deepEqual(filtered('indices', ['SPX'], [spx]), [spx]);
    const contract: WireEvent = { ev: 'T', sym: 'O:SPY251219C00600000' };
    assert.deepEqual(filtered('options', ['SPY251219C00600000'], [contract]), [contract]);
  });
});
