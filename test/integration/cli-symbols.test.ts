/**
 * The CLI and symbols: malformed ones are usage errors naming the flag (exit 2), unknown ones get a
 * warning with the closest ticker from the embedded simulator, and `history` from the embedded
 * simulator has data at once (its tickers come with a past) or says what it holds.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { CLI, killAll, type Result, spawnNode } from '../helpers/spawn.js';

function run(args: string[]): Promise<Result> {
  return spawnNode([CLI, ...args]).result;
}

after(() => killAll());

describe('CLI symbols', () => {
  const usage: [string[], RegExp][] = [
    [['stream', '--subscribe', 'T.AAPL,,'], /--subscribe: \[INVALID_SYMBOLS\].*empty topic/],
    [['stream', '--stock-trades', 'AAPL MSFT'], /--stock-trades: \[INVALID_SYMBOLS\].*whitespace/],
    [['stream', '--stock-trades', 'AAPL,,MSFT'], /--stock-trades: \[INVALID_SYMBOLS\].*is empty/],
    [['history', 'T.AAPL MSFT', '--from', '5m'], /<topic>: \[INVALID_SYMBOLS\].*whitespace/],
    [['simulate', '--tickers', 'FOO,,'], /--tickers must be .*without spaces or commas/],
  ];
  for (const [args, message] of usage) {
    test(`${args.join(' ')}: exit 2 naming the flag`, async () => {
      const r = await run(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    });
  }

  test('history T.AAPL --from 5m (the README example) prints events at once', async () => {
    const r = await run(['history', 'T.AAPL', '--from', '5m']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ev: string; sym: string; t: number });
    assert.ok(events.length > 50, `${events.length} events`);
    assert.ok(events.every((e) => e.ev === 'T' && e.sym === 'AAPL'));
    assert.ok(events[0]!.t < Date.now() - 4 * 60_000, 'reaches back about 5 minutes');
    assert.equal(r.stderr, '');
  });

  test('history of an unknown ticker: a suggestion, what was asked and held, exit 0', async () => {
    const r = await run(['history', 'T.AAPLL', '--from', '5m']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^AAPLL: not a known ticker; did you mean AAPL\?$/m);
    assert.match(
      r.stderr,
      /^history: no T\.AAPLL events from \d{4}-\S+Z to \d{4}-\S+Z: the simulator holds no T\.AAPLL history$/m,
    );
    const far = await run(['history', 'T.QWERTYUIOP', '--from', '5m']);
    assert.match(far.stderr, /^QWERTYUIOP: not a known ticker; nothing will arrive for it$/m);
  });

  test('history of a range before the past: says the range the simulator holds', async () => {
    const r = await run(['history', 'T.AAPL', '--from', '2020-01-01', '--to', '2020-01-02']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /history: no T\.AAPL events from 2020-01-01T00:00:00\.000Z to 2020-01-02T00:00:00\.000Z: the simulator holds T\.AAPL from \S+Z to \S+Z/,
    );
  });

  test('stream from the embedded simulator warns once per unknown ticker', async () => {
    const r = await run([
      'stream',
      '--stock-trades',
      'AAPLL,MSFT,aapll',
      '--subscribe',
      'Q.AAPLL,Q.ZZZZZZZZ',
      '--duration',
      '300ms',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const warnings = r.stderr.split('\n').filter((l) => /not a known ticker/.test(l));
    assert.deepEqual(warnings, [
      'AAPLL: not a known ticker; did you mean AAPL?',
      'ZZZZZZZZ: not a known ticker; nothing will arrive for it',
    ]);
  });
});
