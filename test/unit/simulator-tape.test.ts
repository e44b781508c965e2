/** The simulator's tape without a socket: who is listed, and the bound on listings. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterTape, MAX_TAPE_SYMBOLS } from '../../src/simulator/tape.js';
import { Universe } from '../../src/simulator/universe.js';

const tapeOf = (): ClusterTape =>
  new ClusterTape(
    'stocks',
    new Universe(1),
    { windowScale: 1, historyMs: 60_000, maxEvents: 1_000 },
    0,
  );

test('a symbol is listed once, whatever its spelling; a foreign prefix lists nothing', () => {
  const tape = tapeOf();
  tape.touch('T', 'AAPL');
  tape.touch('Q', 'aapl');
  tape.touch('XT', 'MSFT');
  assert.equal(tape.symbols, 1);
});

test(`at most ${MAX_TAPE_SYMBOLS} symbols: more tickers asked for are not generated`, () => {
  const tape = tapeOf();
  for (let i = 0; i < MAX_TAPE_SYMBOLS + 50; i++) tape.touch('T', `Z${i}`);
  assert.equal(tape.symbols, MAX_TAPE_SYMBOLS);
  // Listed ones stay listed (asking again is not refused); the tape still runs.
  tape.touch('Q', 'Z0');
  assert.equal(tape.symbols, MAX_TAPE_SYMBOLS);
  const events = tape.advance(1_000, 10_000, 100);
  // 1,000 drawn events (10k/s over 100 ms), plus the bars of the windows that closed at 1 s.
  assert.equal(events.filter((e) => e.ev !== 'A' && e.ev !== 'AM').length, 1_000);
  assert.ok(events.every((e) => !String(e['sym']).startsWith(`Z${MAX_TAPE_SYMBOLS}`)));
});
