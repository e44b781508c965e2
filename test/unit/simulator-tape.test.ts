/** The simulator's tape without a socket: who is listed, the bound on listings, and the past. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WireEvent } from '../../src/protocol/codec.js';
import { streamsOfCluster } from '../../src/protocol/streams.js';
import { ClusterTape, MAX_PAST_EVENTS, MAX_TAPE_SYMBOLS } from '../../src/simulator/tape.js';
import { type ExtraTickers, Universe } from '../../src/simulator/universe.js';

const tapeOf = (
  options: { pastMs?: number; eps?: number; maxEvents?: number; historyMs?: number } = {},
  universe = new Universe(1),
): ClusterTape =>
  new ClusterTape(
    'stocks',
    universe,
    {
      windowScale: 1,
      historyMs: options.historyMs ?? 60_000,
      maxEvents: options.maxEvents ?? 1_000,
      pastMs: options.pastMs ?? 0,
      eventsPerSecond: () => options.eps ?? 200,
    },
    0,
  );

test('a symbol is listed once, whatever its spelling; a foreign prefix lists nothing', () => {
  const tape = tapeOf();
  tape.touch('T', 'AAPL');
  tape.touch('Q', 'aapl');
  tape.touch('XT', 'MSFT');
  assert.equal(tape.symbols, 1);
});

test('an unknown or malformed ticker never joins the tape: nothing is generated for it', () => {
  const tape = tapeOf({ pastMs: 60_000 });
  for (const symbol of ['AAPLL', 'AAPL MSFT', 'ZZZZ', 'O:AAPL']) tape.touch('T', symbol);
  assert.equal(tape.symbols, 0);
  assert.deepEqual(tape.advance(1_000, 1_000, 100), []);
  assert.equal(tape.covers('T.AAPLL'), undefined);
});

test('tickers added to the universe are known and listed (a wildcard streams them)', () => {
  const extra: ExtraTickers = { stocks: ['foo'] };
  const u = new Universe(1, new Date(), extra);
  assert.ok(u.known('stocks', 'FOO'));
  assert.ok(!new Universe(1).known('stocks', 'FOO'));
  assert.ok(u.symbols('stocks').some((s) => s.symbol === 'FOO'));
  const tape = tapeOf({}, u);
  tape.touch('T', 'FOO');
  assert.equal(tape.symbols, 1);
});

test(`at most ${MAX_TAPE_SYMBOLS} symbols: more tickers asked for are not generated`, () => {
  const many = Array.from({ length: MAX_TAPE_SYMBOLS + 50 }, (_, i) => `Z${i}`);
  const tape = tapeOf({}, new Universe(1, new Date(), { stocks: many }));
  for (const symbol of many) tape.touch('T', symbol);
  assert.equal(tape.symbols, MAX_TAPE_SYMBOLS);
  // Listed ones stay listed (asking again is not refused); the tape still runs.
  tape.touch('Q', 'Z0');
  assert.equal(tape.symbols, MAX_TAPE_SYMBOLS);
  const events = tape.advance(1_000, 10_000, 100);
  // 1,000 drawn events (10k/s over 100 ms), plus the bars of the windows that closed at 1 s.
  assert.equal(events.filter((e) => e.ev !== 'A' && e.ev !== 'AM').length, 1_000);
  assert.ok(events.every((e) => !String(e['sym']).startsWith(`Z${MAX_TAPE_SYMBOLS}`)));
});

const NOW = 1_700_000_000_000;

const PAST = 300_000;

function pastOf(first: readonly string[], pastMs = PAST, eps = 500): ClusterTape {
  const tape = new ClusterTape(
    'stocks',
    new Universe(7),
    {
      windowScale: 1,
      historyMs: 900_000,
      maxEvents: 2_000_000,
      pastMs,
      eventsPerSecond: () => eps,
    },
    NOW,
  );
  for (const symbol of first) tape.touch('T', symbol, NOW);
  return tape;
}

test('a listed symbol joins with its past: pastMs of trades, quotes and bars before it was asked', () => {
  const tape = pastOf(['AAPL']);
  const span = tape.covers('T.AAPL');
  assert.ok(span, 'T.AAPL has a past');
  assert.ok(span.from >= NOW - PAST && span.from < NOW - PAST + 10_000, `from ${span.from - NOW}`);
  assert.ok(span.to < NOW && span.to > NOW - 10_000, `to ${span.to - NOW}`);
  assert.ok(tape.log.all('Q.AAPL').length > 0);
  const minutes = tape.log.all('AM.AAPL');
  assert.ok(minutes.length >= 4, `${minutes.length} minute bars`);
  // The past of one symbol is its share of the cluster's rate (500/s over the listed stocks).
  const listed = new Universe(7).symbols('stocks').length;
  const expected = Math.floor(((500 / listed) * PAST) / 1_000);
  const drawn = streamsOfCluster('stocks')
    .filter((s) => s.prefix !== 'A' && s.prefix !== 'AM')
    .map((s) => tape.log.all(`${s.prefix}.AAPL`).length)
    .reduce((a, b) => a + b, 0);
  assert.ok(drawn <= expected && drawn > expected * 0.9, `${drawn} of ${expected}`);
});

test('the live tape continues the past: later times, rising q and ids, a continuous price', () => {
  const tape = pastOf(['AAPL']);
  const past = tape.log.all('T.AAPL');
  const live = tape.advance(NOW + 1_000, 2_000, 1_000).filter((e) => e.ev === 'T');
  assert.ok(live.length > 0);
  const last = past[past.length - 1]!;
  const next = live[0]!;
  assert.ok((next['t'] as number) >= (last['t'] as number));
  assert.ok((next['q'] as number) > (last['q'] as number));
  assert.ok(Number(next['i']) > Number(last['i']));
  const jump = Math.abs((next['p'] as number) / (last['p'] as number) - 1);
  assert.ok(jump < 0.01, `price jumped ${(jump * 100).toFixed(2)}%`);
  const qs = [...past, ...live].map((e) => e['q'] as number);
  assert.ok(
    qs.every((q, i) => i === 0 || q > qs[i - 1]!),
    'q rises across past and live',
  );
});

test('a wildcard lists the other symbols at the next tick, without a past', () => {
  const tape = pastOf([]);
  tape.touch('T', '*', NOW);
  tape.touch('T', 'AAPL', NOW);
  assert.equal(tape.symbols, 1, 'the wildcard lists nothing before the tick');
  tape.advance(NOW + 50, 2_000, 50);
  assert.equal(tape.symbols, new Universe(7).symbols('stocks').length);
  assert.ok(tape.covers('T.AAPL')!.from < NOW - PAST + 10_000, 'named in the same message: a past');
  const msft = tape.covers('Q.MSFT');
  assert.ok(msft === undefined || msft.from >= NOW, 'listed by the wildcard: no past');
});

test('same seed, same past: whatever was asked before it', () => {
  const prices = (tape: ClusterTape): unknown[] =>
    tape.log.all('T.AAPL').map((e: WireEvent) => [e['p'], e['s'], e['q'], e['t']]);
  const alone = prices(pastOf(['AAPL']));
  const after = prices(pastOf(['MSFT', 'NVDA', 'AAPL']));
  assert.ok(alone.length > 0);
  assert.deepEqual(after, alone);
});

test(`a ticker's past is at most ${MAX_PAST_EVENTS} events, still pastMs long`, () => {
  const tape = pastOf(['AAPL'], PAST, 1_000_000);
  const span = tape.covers('Q.AAPL')!;
  assert.ok(span.from < NOW - PAST + 10_000);
  const drawn = streamsOfCluster('stocks')
    .filter((s) => s.prefix !== 'A' && s.prefix !== 'AM')
    .reduce((n, s) => n + tape.log.all(`${s.prefix}.AAPL`).length, 0);
  assert.equal(drawn, MAX_PAST_EVENTS);
});

test('pastMs 0: no past; the past is bounded by the log (maxEvents shared by listed symbols)', () => {
  assert.equal(pastOf(['AAPL'], 0).covers('T.AAPL'), undefined);
  const tape = tapeOf({ pastMs: 60_000, historyMs: 60_000, eps: 1_000_000, maxEvents: 5_000 });
  for (const s of new Universe(1).symbols('stocks')) tape.touch('T', s.symbol);
  assert.ok(tape.log.size <= 5_000 + 2 * tape.symbols * 60, `${tape.log.size} kept`);
  assert.ok(tape.log.size > 4_000);
});
