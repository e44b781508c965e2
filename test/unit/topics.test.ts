import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import type { WireEvent } from '../../src/protocol/codec.js';
import { CLUSTERS, streamFor } from '../../src/protocol/streams.js';
import { symbolOf } from '../../src/protocol/symbols.js';
import {
  checkTopics,
  MAX_SYMBOL_LENGTH,
  symbolProblem,
  topicsFor,
} from '../../src/protocol/topics.js';
import { Universe } from '../../src/simulator/universe.js';
import { EXAMPLES } from '../fixtures/event-examples.js';

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

describe('the symbol of a topic: dots, wildcards, characters and length', () => {
  const good = [
    'AAPL',
    'aapl',
    'BRK.A',
    'BRK.B',
    'O:SPY251219C00650000',
    'C:EUR-USD',
    'EUR/USD',
    'X:BTC-USD',
    'I:SPX',
    'I:NDX',
    'ESZ5',
    '6EZ5',
    '*',
    'A'.repeat(MAX_SYMBOL_LENGTH),
  ];
  const bad: [string, RegExp][] = [
    ['', /is empty/],
    ['AA PL', /whitespace/],
    ['AAPL,MSFT', /comma/],
    ['.AAPL', /starts or ends with '\.'/],
    ['AAPL.', /starts or ends with '\.'/],
    ['.', /starts or ends with '\.'/],
    ['BRK..A', /contains '\.\.'/],
    ['A*', /'\*' that is not the whole symbol/],
    ['*.*', /'\*' that is not the whole symbol/],
    ['**', /'\*' that is not the whole symbol/],
    ['O:*', /'\*' that is not the whole symbol/],
    ['ÄAPL', /outside printable ASCII/],
    ['AAPL\u0000', /outside printable ASCII/],
    ['AAPL\u007f', /outside printable ASCII/],
    ['A'.repeat(MAX_SYMBOL_LENGTH + 1), /longer than 64 characters/],
  ];

  test('every form of ticker the provider uses passes, futures on a generic topic too', () => {
    for (const symbol of good) assert.equal(symbolProblem(symbol), undefined, symbol);
    assert.deepEqual(checkTopics('T.BRK.A,T.ESZ5,T.6EZ5', 'subscribe'), [
      'T.BRK.A',
      'T.ESZ5',
      'T.6EZ5',
    ]);
  });

  test('a stray dot or star, a non-ASCII character or an overlong symbol is named', () => {
    for (const [symbol, reason] of bad) assert.match(symbolProblem(symbol) ?? '', reason, symbol);
  });

  test('subscribe methods, generic topics and history refuse them with INVALID_SYMBOLS', () => {
    for (const topic of ['T..AAPL', 'T.*.*', 'T.AAPL.', 'T.A*', 'T.ÄAPL']) {
      assert.equal(
        code(() => checkTopics([topic], 'subscribe')),
        ErrorCode.InvalidSymbols,
        topic,
      );
      assert.equal(
        code(() => topicsFor(stockTrades, topic)),
        ErrorCode.InvalidSymbols,
        topic,
      );
    }
    for (const symbol of ['.AAPL', 'A*', 'BRK..A']) {
      assert.equal(
        code(() => topicsFor(stockTrades, [symbol])),
        ErrorCode.InvalidSymbols,
        symbol,
      );
    }
    assert.throws(
      () => checkTopics('T..AAPL', 'subscribe'),
      /the symbol of topic "T\.\.AAPL" starts or ends with '\.'/,
    );
  });

  test("every symbol of the provider's examples and of the simulator's universe passes", () => {
    const symbols = new Set<string>();
    for (const example of Object.values(EXAMPLES)) {
      symbols.add(example.symbol);
      const own = symbolOf(example.event as WireEvent);
      if (own !== undefined) symbols.add(own);
    }
    const universe = new Universe(1, new Date('2025-06-02T15:00:00Z'));
    for (const cluster of CLUSTERS) {
      for (const s of universe.symbols(cluster)) symbols.add(s.symbol).add(s.pair);
    }
    assert.ok(symbols.size > 50, `${symbols.size} symbols`);
    for (const symbol of symbols) assert.equal(symbolProblem(symbol), undefined, symbol);
  });
});
