/**
 * Unit tests of the CLI's pure parts: the formatters (pretty line per event type, colour on and
 * off, json/ndjson), the argument parsers, and the line writer's graceful end.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import {
  collectList,
  parseDuration,
  parsePort,
  parsePositiveInt,
  parseSpeed,
} from '../../src/cli/args.js';
import {
  type AnyEvent,
  clockTime,
  formatJson,
  formatNdjson,
  formatPretty,
  num,
  wantColor,
} from '../../src/cli/output/format.js';
import { openLineFile } from '../../src/cli/output/output.js';
import { STOCK_EXCHANGES, STOCK_TRADE_CONDITIONS } from '../../src/cli/output/reference-data.js';

const ANSI = /\x1b\[/; // eslint-disable-line no-control-regex
const T = 1_700_000_000_123;

/** One event per pretty layout, with the fragments its line must show. */
const CASES: [name: string, event: AnyEvent, expected: string[]][] = [
  [
    'stock trade',
    { ev: 'T', sym: 'AAPL', x: 12, i: '1', z: 3, p: 187.3, s: 1200, c: [0], t: T, q: 1 },
    ['T', 'AAPL', '187.30', '1,200', 'Nasdaq', ' @'],
  ],
  [
    'stock trade: exchange and conditions by name, as the tape prints them',
    { ev: 'T', sym: 'IBM', x: 10, p: 250, s: 7, c: [14, 12, 37], t: T, q: 1 },
    ['NYSE ', 'F T I'],
  ],
  [
    'stock trade: unknown exchange and condition ids fall back to the number',
    { ev: 'T', sym: 'IBM', x: 99, p: 250, s: 7, c: [14, 99], t: T, q: 1 },
    ['ex 99', 'F 99'],
  ],
  [
    'stock trade on Cboe EDGX, no conditions',
    { ev: 'T', sym: 'IBM', x: 8, p: 250, s: 7, t: T, q: 1 },
    ['Cboe EDGX'],
  ],
  [
    'option trade',
    { ev: 'T', sym: 'O:SPY251219C00650000', x: 65, p: 1.25, s: 10, c: [209], t: T, q: 2 },
    ['O:SPY251219C00650000', '1.25', '× 10', 'ex 65', 'c 209'],
  ],
  [
    'crypto trade',
    { ev: 'XT', pair: 'BTC-USD', p: 64000.5, s: 0.0123, c: [2], x: 1, t: T, r: T },
    ['XT', 'BTC-USD', '64000.50', '0.0123', 'buy'],
  ],
  [
    'stock quote',
    { ev: 'Q', sym: 'MSFT', bx: 1, bp: 414.1, bs: 3, ax: 2, ap: 414.12, as: 5, t: T, q: 3, z: 3 },
    ['Q', 'MSFT', '414.10 × 3', '/ 414.12 × 5'],
  ],
  [
    'crypto quote',
    { ev: 'XQ', pair: 'ETH-USD', bp: 3388.67, bs: 0.5, ap: 3389.54, as: 1.25, t: T, x: 1, r: T },
    ['XQ', 'ETH-USD', '3388.67 × 0.5', '3389.54 × 1.25'],
  ],
  [
    'forex quote',
    { ev: 'C', p: 'USD/CNH', x: 48, a: 7.12345, b: 7.1234, t: T },
    ['USD/CNH', '7.1234', '/ 7.12345'],
  ],
  [
    'minute aggregate',
    {
      ev: 'AM',
      sym: 'SPY',
      v: 12345,
      av: 1,
      op: 1,
      vw: 1,
      o: 571.1,
      c: 571.9,
      h: 572,
      l: 571,
      a: 1,
      z: 1,
      s: T,
      e: T + 60_000,
    },
    ['AM', 'SPY', 'o 571.10', 'h 572.00', 'l 571.00', 'c 571.90', 'v 12,345'],
  ],
  [
    'crypto aggregate',
    { ev: 'XA', pair: 'BTC-USD', o: 1, c: 2, h: 3, l: 0.5, v: 1.5, s: T, e: T, vw: 1, z: 1 },
    ['XA', 'o 1.00', 'h 3.00', 'l 0.50', 'c 2.00', 'v 1.5'],
  ],
  [
    'index aggregate (no volume)',
    { ev: 'A', sym: 'I:SPX', op: 1, o: 5000, c: 5001, h: 5002, l: 4999, s: T, e: T },
    ['I:SPX', 'o 5000.00', 'c 5001.00'],
  ],
  [
    'level 2 book',
    {
      ev: 'XL2',
      pair: 'BTC-USD',
      b: [
        [64000, 0.5],
        [63999, 1],
      ],
      a: [[64001, 0.25]],
      t: T,
      x: 1,
      r: T,
    },
    ['XL2', 'BTC-USD', 'bid 64000.00 × 0.5', 'ask 64001.00 × 0.25', '2×1 levels'],
  ],
  [
    'fair market value',
    { ev: 'FMV', fmv: 187.333, sym: 'AAPL', t: T * 1e6 },
    ['FMV', 'AAPL', 'fmv 187.333'],
  ],
  ['index value', { ev: 'V', val: 5123.45, T: 'I:SPX', t: T }, ['V', 'I:SPX', 'val 5123.45']],
  ['launchpad value', { ev: 'LV', val: 12.5, sym: 'AAPL', t: T }, ['LV', 'val 12.50']],
  [
    'LULD',
    { ev: 'LULD', T: 'TSLA', h: 260.5, l: 230.25, i: [], z: 3, t: T * 1000, q: 1 },
    ['LULD', 'TSLA', 'limit up 260.50', 'down 230.25'],
  ],
  [
    'imbalance',
    { ev: 'NOI', T: 'NVDA', t: T * 1e6, at: 930, a: 'O', i: 1, x: 4, o: 12000, p: 50000, b: 128.1 },
    ['NOI', 'NVDA', 'imbalance 12,000', 'paired 50,000', '@ 128.10', 'O 09:30'],
  ],
  [
    'status',
    { ev: 'status', status: 'auth_success', message: 'authenticated' },
    ['status', 'auth_success', 'authenticated'],
  ],
  ['unknown event', { ev: 'ZZ', sym: 'NEW', foo: 1 }, ['ZZ', 'NEW', '"foo":1']],
  [
    'futures trade (no exchange, no conditions)',
    { ev: 'T', sym: 'ESH7', p: 6049.25, s: 17, t: T, q: 61386 },
    ['T', 'ESH7', '6049.25 × 17'],
  ],
];

describe('pretty format', () => {
  for (const [name, event, expected] of CASES) {
    test(`${name}: shows ${expected.join(', ')}`, () => {
      const plain = formatPretty(event, { color: false });
      for (const fragment of expected)
        assert.ok(plain.includes(fragment), `${plain}\n  lacks ${fragment}`);
      assert.ok(!plain.includes('ex -'), `${plain}\n  names an exchange the event lacks`);
      assert.doesNotMatch(plain, ANSI, 'no ANSI codes with colour off');
      assert.match(plain, /^\d\d:\d\d:\d\d\.\d{3} {2}/, 'starts with HH:MM:SS.mmm');
      assert.ok(!plain.includes('\n'), 'one line');
      const coloured = formatPretty(event, { color: true });
      assert.match(coloured, ANSI, 'ANSI codes with colour on');
      // Events without a timestamp (status, unknown) show the current time: compare past it.
      const untimed = (line: string) => line.replace(/^\d\d:\d\d:\d\d\.\d{3}/, '');
      assert.equal(
        untimed(coloured.replace(/\x1b\[\d+m/g, '')), // eslint-disable-line no-control-regex
        untimed(plain),
        'colour only adds escapes',
      );
    });
  }

  test('time is when the event arrived, for every type (not the window start of a bar)', () => {
    const arrived = T + 60_250;
    const expected = clockTime(arrived);
    const bar = { ev: 'AM', sym: 'SPY', o: 1, h: 1, l: 1, c: 1, v: 1, s: T, e: T + 60_000 };
    for (const event of [bar, { ev: 'T', sym: 'SPY', p: 1, s: 1, x: 4, t: T * 1e6 }]) {
      const line = formatPretty(event, { color: false, now: arrived });
      assert.ok(line.startsWith(`${expected}  `), line);
    }
    const at = new Date(2024, 0, 2, 3, 4, 5, 6).getTime();
    assert.equal(clockTime(at), '03:04:05.006');
  });

  test('stock exchanges: every id once, short names unique (the table the lines use)', () => {
    assert.equal(new Set(STOCK_EXCHANGES.map((r) => r.id)).size, STOCK_EXCHANGES.length);
    assert.equal(new Set(STOCK_EXCHANGES.map((r) => r.short)).size, STOCK_EXCHANGES.length);
    const nyse = STOCK_EXCHANGES.find((r) => r.mic === 'XNYS');
    assert.deepEqual([nyse?.id, nyse?.short], [10, 'NYSE']);
    const codes = STOCK_TRADE_CONDITIONS.filter((r) => r.code !== '').map((r) => r.code);
    assert.equal(new Set(codes).size, codes.length, 'one condition per tape code');
  });

  test('the symbol column is padded to the width asked for', () => {
    const a = formatPretty({ ev: 'V', val: 1, T: 'A', t: T }, { color: false, symbolWidth: 8 });
    const b = formatPretty(
      { ev: 'V', val: 1, T: 'ABCDEFGH', t: T },
      { color: false, symbolWidth: 8 },
    );
    assert.equal(a.indexOf('val'), b.indexOf('val'));
  });

  test('prices keep their precision, with at least two decimals', () => {
    assert.equal(num(40), '40.00');
    assert.equal(num(0.541084), '0.541084');
    assert.equal(num(187.3), '187.30');
    assert.equal(num(undefined), '-');
  });
});

describe('json and ndjson', () => {
  const event = CASES[0]![1];
  test('ndjson is the event exactly, on one line', () => {
    const line = formatNdjson(event);
    assert.ok(!line.includes('\n'));
    assert.deepEqual(JSON.parse(line), event);
    assert.equal(line, JSON.stringify(event));
  });
  test('json is pretty-printed', () => {
    const text = formatJson(event);
    assert.ok(text.includes('\n  "sym": "AAPL"'));
    assert.deepEqual(JSON.parse(text), event);
  });
});

test('colour: TTY only, NO_COLOR and --no-color switch it off, FORCE_COLOR on', () => {
  assert.equal(wantColor(true, {}), true);
  assert.equal(wantColor(false, {}), false);
  assert.equal(wantColor(undefined, {}), false);
  assert.equal(wantColor(true, { NO_COLOR: '1' }), false);
  assert.equal(wantColor(true, {}, false), false);
  assert.equal(wantColor(false, { FORCE_COLOR: '1' }), true);
});

describe('argument parsers', () => {
  test('durations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1.5s'), 1_500);
    assert.equal(parseDuration('2'), 2_000, 'a bare number is seconds');
    for (const bad of ['', '0s', '-1s', '5x', 'ms', '1 2s', 'abc']) {
      assert.throws(() => parseDuration(bad), InvalidArgumentError, bad);
    }
  });
  test('integers, ports, speeds, lists', () => {
    assert.equal(parsePositiveInt('10'), 10);
    for (const bad of ['0', '-1', '1.5', 'x', ''])
      assert.throws(() => parsePositiveInt(bad), InvalidArgumentError);
    assert.equal(parsePort('0'), 0);
    assert.throws(() => parsePort('70000'), InvalidArgumentError);
    assert.equal(parseSpeed('max'), 'max');
    assert.equal(parseSpeed('10'), 10);
    assert.equal(parseSpeed('2x'), 2);
    for (const bad of ['0', 'fast', '-1', ''])
      assert.throws(() => parseSpeed(bad), InvalidArgumentError);
    assert.deepEqual(collectList('T.AAPL, Q.*', undefined), ['T.AAPL', 'Q.*']);
    assert.deepEqual(collectList('MSFT', ['AAPL']), ['AAPL', 'MSFT']);
    assert.throws(() => collectList(' , ', undefined), InvalidArgumentError);
  });
});

describe('NDJSON file writer', () => {
  let dir = '';
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('writes whole lines and ends after finish', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-format-'));
    const path = join(dir, 'out.ndjson');
    const writer = openLineFile(path, '--out');
    for (let i = 0; i < 1000; i++) writer.write(JSON.stringify({ ev: 'T', sym: 'AAPL', q: i }));
    await writer.end();
    writer.write('{"ev":"late"}'); // ignored after end
    await writer.end();
    const text = await readFile(path, 'utf8');
    assert.ok(text.endsWith('\n'));
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 1000);
    assert.equal(writer.lines, 1000);
    lines.forEach((line, i) => assert.equal((JSON.parse(line) as { q: number }).q, i));
  });

  test('an unwritable path is a usage error naming the flag', () => {
    assert.throws(
      () => openLineFile('/nonexistent-dir/x.ndjson', '--out'),
      /^UsageError: --out: cannot write/,
    );
  });
});
