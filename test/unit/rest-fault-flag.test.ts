/**
 * `simulate --rest-fault <spec>` parsing: every fault kind and filter, the spec written back, and
 * each mistake refused with commander's InvalidArgumentError saying what was wrong and what is
 * allowed. Every parsed fault is one the simulator accepts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import {
  collectRestFaults,
  parseRestFault,
  restFaultText,
} from '../../src/cli/commands/rest-fault-flag.js';
import { checkRestFault } from '../../src/simulator/rest/rest-faults.js';

test('each fault kind, with filters', () => {
  const cases: [string, object][] = [
    [
      'status=429,retry-after=2,endpoint=trades,ticker=AAPL,times=3',
      { status: 429, retryAfter: 2, endpoint: 'trades', ticker: 'AAPL', times: 3 },
    ],
    ['status=503', { status: 503 }],
    ['slow=2000', { slowBodyMs: 2000 }],
    ['slow=2s', { slowBodyMs: 2000 }],
    ['reset', { reset: true }],
    [' empty-pages , endpoint=aggs ', { emptyPages: true, endpoint: 'aggs' }],
    ['corrupt=order', { corrupt: 'order' }],
    ['corrupt=ticker,ticker=X:BTC-USD', { corrupt: 'ticker', ticker: 'X:BTC-USD' }],
    ['corrupt=types,endpoint=quotes', { corrupt: 'types', endpoint: 'quotes' }],
  ];
  for (const [spec, fault] of cases) {
    const parsed = parseRestFault(spec);
    assert.deepEqual(parsed, fault, spec);
    assert.deepEqual(checkRestFault('t', 'fault', parsed), fault, `${spec}: the simulator's check`);
    assert.deepEqual(parseRestFault(restFaultText(parsed)), parsed, `${spec}: written back`);
  }
  assert.equal(
    restFaultText(parseRestFault('times=3,retry-after=2,status=429')),
    'status=429,retry-after=2,times=3',
  );
});

test('repeatable: every spec given, in order', () => {
  const first = collectRestFaults('reset,times=1', undefined);
  assert.deepEqual(collectRestFaults('status=500', first), [
    { reset: true, times: 1 },
    { status: 500 },
  ]);
});

test('mistakes name what was wrong and what is allowed', () => {
  const mistakes: [string, RegExp][] = [
    ['', /Empty fault/],
    ['reset,', /An empty part/],
    ['foo', /Unknown part 'foo'/],
    ['status=429,color=red', /Unknown part 'color=red'/],
    ['endpoint=trades', /No fault given/],
    ['status=500,reset', /status, reset given together, not one/],
    ['status=200', /status must be a whole number from 400 to 599, not '200'/],
    ['status=abc', /status must be a whole number/],
    ['status', /status needs a value \(status=…\)/],
    ['reset=yes', /reset takes no value/],
    ['slow=5,retry-after=1', /retry-after goes with status=N/],
    ['status=429,retry-after=-1', /retry-after must be a whole number from 0 to 86400/],
    ['slow=fast', /slow must be milliseconds \(2000\) or a duration \(2s\), not 'fast'/],
    ['slow=0', /slow must be a whole number from 1/],
    ['corrupt=rows', /corrupt must be one of order, ticker, types, not 'rows'/],
    ['reset,endpoint=bars', /endpoint must be one of trades, quotes, aggs, not 'bars'/],
    ['reset,ticker=', /ticker needs a value/],
    ['reset,times=0', /times must be a whole number 1 or more, not '0'/],
    ['reset,reset', /reset given twice/],
  ];
  for (const [spec, message] of mistakes) {
    assert.throws(
      () => parseRestFault(spec),
      (err) =>
        err instanceof InvalidArgumentError &&
        message.test(err.message) &&
        /Expected comma-separated parts: exactly one of status=N/.test(err.message),
      spec,
    );
  }
});
