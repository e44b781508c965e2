import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import { streamFor } from '../../src/protocol/streams.js';
import { checkTopics, topicsFor } from '../../src/protocol/topics.js';

const stockTrades = streamFor('StockTrades', 'stocks')!;
const optionTrades = streamFor('OptionTrades', 'options')!;
const cryptoTrades = streamFor('CryptoTrades', 'crypto')!;
const forexQuotes = streamFor('ForexQuotes', 'forex')!;
const indexValue = streamFor('IndexValue', 'indices')!;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PolygonStreamError);
    return err.code;
  }
  return undefined;
}

describe("symbol rules (the Python library's)", () => {
  test('a list gets the stream prefix and is uppercased', () => {
    assert.deepEqual(topicsFor(stockTrades, ['AAPL', 'msft']), ['T.AAPL', 'T.MSFT']);
  });
  test('every symbol: [], null, undefined, [*], all', () => {
    for (const all of [[], null, undefined, ['*'], 'all'] as const) {
      assert.deepEqual(topicsFor(stockTrades, all), ['T.*'], String(all));
      assert.deepEqual(topicsFor(optionTrades, all), ['T.*'], `options ${String(all)}`);
    }
  });
  test('the cluster prefix is added when missing, kept when present, never on *', () => {
    assert.deepEqual(
      topicsFor(optionTrades, ['SPY251219C00650000', 'O:AAPL250117C00150000', '*']),
      ['T.O:SPY251219C00650000', 'T.O:AAPL250117C00150000', 'T.*'],
    );
    assert.deepEqual(topicsFor(cryptoTrades, ['btc-usd', 'X:ETH-USD']), [
      'XT.X:BTC-USD',
      'XT.X:ETH-USD',
    ]);
    assert.deepEqual(topicsFor(forexQuotes, ['EUR/USD']), ['C.C:EUR/USD']);
    assert.deepEqual(topicsFor(indexValue, ['spx', 'I:NDX']), ['V.I:SPX', 'V.I:NDX']);
  });
  test('forceUppercaseSymbols: false is honoured on every path, the prefix path included', () => {
    const off = { forceUppercaseSymbols: false };
    assert.deepEqual(topicsFor(stockTrades, ['brk.a'], off), ['T.brk.a']);
    assert.deepEqual(topicsFor(optionTrades, ['spy251219c00650000'], off), [
      'T.O:spy251219c00650000',
    ]);
    assert.deepEqual(topicsFor(optionTrades, ['o:spy251219c00650000'], off), [
      'T.o:spy251219c00650000',
    ]);
  });
  test('a plain string is sent exactly as given (split only to track topics)', () => {
    assert.deepEqual(topicsFor(stockTrades, 'T.aapl,Q.MSFT'), ['T.aapl', 'Q.MSFT']);
  });
  test('duplicates in one list are sent once', () => {
    assert.deepEqual(topicsFor(stockTrades, ['AAPL', 'aapl']), ['T.AAPL']);
  });
  test('bad symbols are INVALID_SYMBOLS with a message that says what is allowed', () => {
    assert.equal(
      code(() => topicsFor(stockTrades, [42 as unknown as string])),
      ErrorCode.InvalidSymbols,
    );
    assert.equal(
      code(() => topicsFor(stockTrades, [''])),
      ErrorCode.InvalidSymbols,
    );
    assert.equal(
      code(() => topicsFor(stockTrades, ['AAPL,MSFT'])),
      ErrorCode.InvalidSymbols,
    );
    assert.equal(
      code(() => topicsFor(stockTrades, '')),
      ErrorCode.InvalidSymbols,
    );
    assert.equal(
      code(() => topicsFor(stockTrades, { a: 1 } as unknown as string[])),
      ErrorCode.InvalidSymbols,
    );
    assert.throws(
      () => topicsFor(stockTrades, [null as unknown as string]),
      /every symbol must be a string; got null/,
    );
  });
  test('generic topics must look like PREFIX.SYMBOL', () => {
    assert.deepEqual(checkTopics(['T.AAPL', 'LV.*'], 'subscribe'), ['T.AAPL', 'LV.*']);
    assert.deepEqual(checkTopics('AM.*,A.*', 'subscribe'), ['AM.*', 'A.*']);
    for (const bad of [[], 'AAPL', ['T.'], [3], null]) {
      assert.equal(
        code(() => checkTopics(bad, 'subscribe')),
        ErrorCode.InvalidSymbols,
        JSON.stringify(bad),
      );
    }
  });
});

describe('the one symbol rule: no empty entries, whitespace or commas', () => {
  test('subscribe methods, plain strings and generic topics refuse the same things', () => {
    for (const bad of ['AAPL MSFT', ' AAPL', 'AAPL\t', '']) {
      assert.equal(
        code(() => topicsFor(stockTrades, [bad])),
        ErrorCode.InvalidSymbols,
        bad,
      );
    }
    for (const bad of ['T.AAPL,,', 'T.AAPL,', ',T.AAPL', 'T.AAPL MSFT', 'T.AAPL, ,Q.AAPL']) {
      assert.equal(
        code(() => checkTopics(bad, 'subscribe')),
        ErrorCode.InvalidSymbols,
        bad,
      );
      assert.equal(
        code(() => topicsFor(stockTrades, bad)),
        ErrorCode.InvalidSymbols,
        bad,
      );
    }
    assert.equal(
      code(() => checkTopics(['T.AAPL', 'T.'], 'subscribe')),
      ErrorCode.InvalidSymbols,
    );
  });
  test('the message names the bad symbol or topic and what is allowed', () => {
    assert.throws(
      () => topicsFor(stockTrades, ['AAPL MSFT']),
      /symbol "AAPL MSFT" contains whitespace; a symbol is one ticker without spaces or commas/,
    );
    assert.throws(() => checkTopics('T.AAPL,,', 'subscribe'), /"T\.AAPL,," has an empty topic/);
  });
  test('entries padded with spaces around commas are fine; dots inside symbols too', () => {
    assert.deepEqual(checkTopics('T.AAPL, Q.AAPL', 'subscribe'), ['T.AAPL', 'Q.AAPL']);
    assert.deepEqual(topicsFor(stockTrades, ['BRK.B']), ['T.BRK.B']);
  });
});
