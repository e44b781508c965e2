/**
 * The built CLI (dist/cli/main.js; `npm test` builds first) as a trader reads it, against
 * simulators on loopback: the status line's connection state through an outage, counts that mean
 * what they say, the embedded simulator's rate, a quiet `record`, and max_connections.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { STOCK_EXCHANGES } from '../../src/cli/output/reference-data.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { connectAuthed } from '../helpers/sim.js';
import { closedPort } from '../helpers/servers.js';
import { CLI, killAll, type Result, type SpawnOptions, spawnNode } from '../helpers/spawn.js';

let dir = '';
const sims = new Set<Simulator>();

async function simulator(port = 0): Promise<Simulator> {
  const sim = await startSimulator({ port, apiKeys: ['test'], eventsPerSecond: 200 });
  sims.add(sim);
  return sim;
}

const start = (args: string[], options: SpawnOptions = {}) => spawnNode([CLI, ...args], options);
const run = (args: string[], options?: SpawnOptions): Promise<Result> =>
  start(args, options).result;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'polygon-stream-cli-live-'));
});

after(async () => {
  killAll();
  for (const sim of sims) await sim.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('status line', () => {
  test('state first: live, then reconnecting n/20 with no rate during an outage, live again', async () => {
    const sim = await simulator();
    const port = sim.port;
    const cli = start(['stream', '--host', sim.url, '--key', 'test', '--stats', '-q'], {
      timeoutMs: 40_000,
    });
    await cli.waitFor(/^stats: live · [\d.]+ ev\/s · [\d,]+ events · 0 reconnects/m, 'stderr');

    // The server goes away: every attempt is refused until it is back.
    await sim.close();
    sims.delete(sim);
    const outage = await cli.waitFor(/^stats: reconnecting [2-9]\/20 · .*$/m, 'stderr', 15_000);
    assert.match(outage, /^stats: reconnecting \d\/20 · no data \d+\.\ds · [\d,]+ events · /);
    assert.doesNotMatch(outage, /ev\/s/, 'no rate while nothing arrives');
    assert.match(outage, / · 0 reconnects \([2-9] attempts\) · /);

    await simulator(port); // back, on the same address
    const back = await cli.waitFor(
      /^stats: live · .* · 1 reconnect \(\d attempts\) · .*$/m,
      'stderr',
      15_000,
    );
    assert.match(back, /^stats: live · [\d.]+ ev\/s · /);
    cli.child.kill('SIGINT');
    const r = await cli.result;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /reconnected: no data from/);
    const summary = r.stderr.trimEnd().split('\n').at(-1)!;
    assert.match(summary, /^stats: [\d,]+ events in [\d.]+s · 1 reconnect \(\d attempts\) · /);
  });

  test('--max-events 5: exactly 5 events, printed and counted (statuses are not events)', async () => {
    const r = await run(['stream', '--max-events', '5', '--stats', '--format', 'pretty']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(
      lines.some((l) => / status /.test(l)),
      'statuses are printed',
    );
    assert.equal(lines.filter((l) => !/ status /.test(l)).length, 5);
    assert.match(r.stderr, /^stats: 5 events in [\d.]+s · 0 reconnects · /m);
  });
});

describe('the first connection: its cause once, at once; retries quiet', () => {
  test('a wrong host: the cause at once, then exit 1 within the first-connect bound', async () => {
    const port = await closedPort();
    const started = Date.now();
    const cli = start(['stream', '--host', `ws://127.0.0.1:${port}`, '--key', 'k'], {
      timeoutMs: 30_000,
    });
    const first = new RegExp(
      `^error \\[CONNECTION_FAILED\\]: Connection to ws://127\\.0\\.0\\.1:${port}/stocks failed: connection refused.*; retrying quietly for up to 10s from the start$`,
      'm',
    );
    await cli.waitFor(first, 'stderr', 5_000);
    const r = await cli.result;
    // Exactly three lines: the default subscription, the cause, the final failure. No line per retry.
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 3, r.stderr);
    assert.match(lines[0]!, /^polygon-stream: no --subscribe given/);
    assert.match(lines[1]!, first);
    assert.doesNotMatch(r.stderr, /reconnecting/);
    const took = Date.now() - started;
    assert.equal(r.code, 1, r.stderr);
    // The library's firstConnectTimeoutMs (10 s), not the reconnect budget (minutes).
    assert.ok(took >= 9_500 && took < 20_000, `exited after ${took} ms`);
    assert.match(
      r.stderr.trimEnd().split('\n').at(-1)!,
      /^error \[CONNECTION_FAILED\]: Could not connect to \S+ within 10000 ms \(firstConnectTimeoutMs, \d attempts?\); last cause: .*connection refused/,
    );
    assert.equal(r.stdout, '');
  });

  test('a host that comes up late: one line for the cause, then streaming, no retry lines', async () => {
    const port = await closedPort();
    const cli = start(['stream', '--host', `ws://127.0.0.1:${port}`, '--key', 'test', '--stats'], {
      timeoutMs: 30_000,
    });
    await cli.waitFor(
      /^error \[CONNECTION_FAILED\]: .*connection refused.*; retrying quietly/m,
      'stderr',
    );
    // Retries of a first connection are `connecting`, not `reconnecting n/20`.
    await cli.waitFor(/^stats: connecting · /m, 'stderr');
    await simulator(port);
    await cli.waitFor(/^stats: live · [\d.]+ ev\/s · [\d,]+ events · 0 reconnects · /m, 'stderr');
    await cli.waitFor(/^\{"ev":"T"/m, 'stdout');
    cli.child.kill('SIGINT');
    const r = await cli.result;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.match(/CONNECTION_FAILED/g)?.length, 1, r.stderr);
    assert.doesNotMatch(
      r.stderr,
      /reconnect(ing|ed)\b/,
      'retries of the first connection are quiet',
    );
    assert.doesNotMatch(r.stderr, /[1-9]\d* attempts?\)/);
  });
});

describe('record', () => {
  test('quiet on stdout, a progress line on stderr; --sim-rate makes it quick', async () => {
    const file = join(dir, 'quick.ndjson');
    const started = Date.now();
    // 3,000 events at the default 200/s would take 15 s.
    const r = await run(['record', file, '--max-events', '3000', '--sim-rate', '6000'], {
      timeoutMs: 30_000,
    });
    const took = Date.now() - started;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '', 'no events on stdout');
    assert.ok(took < 10_000, `took ${took} ms`);
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, 3000);
    assert.match(r.stderr, /embedded simulator at ws:\/\/\S+ \(6000 events\/s; --sim-rate/);
    assert.match(r.stderr, /recorded 3000 events to .*quick\.ndjson/);
  });

  test('the progress line: state, events written, file, rate', async () => {
    const file = join(dir, 'progress.ndjson');
    const cli = start(['record', file, '--sim-rate', '500'], { timeoutMs: 20_000 });
    const line = await cli.waitFor(/^record: .*$/m, 'stderr');
    assert.match(
      line,
      /^record: live · [\d,]+ events? written to \S*progress\.ndjson · [\d.]+ ev\/s$/,
    );
    cli.child.kill('SIGINT');
    const r = await cli.result;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
  });

  test('--echo prints the events as well', async () => {
    const file = join(dir, 'echo.ndjson');
    const r = await run(['record', file, '--echo', '--max-events', '20', '--sim-rate', '2000']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, await readFile(file, 'utf8'));
  });
});

describe('usage errors of the new flags: exit 2, the flag named', () => {
  const cases: [string, string[], RegExp][] = [
    ['--sim-rate 0', ['stream', '--sim-rate', '0'], /--sim-rate.*'0' is invalid.*above 0/],
    ['--sim-rate fast', ['stream', '--sim-rate', 'fast'], /--sim-rate.*'fast' is invalid/],
    [
      '--sim-rate with a key',
      ['stream', '--sim-rate', '100', '--key', 'k'],
      /--sim-rate only applies to the embedded simulator/,
    ],
    [
      'unknown max-connections policy',
      ['stream', '--on-max-connections', 'fight'],
      /--on-max-connections.*'fight' is invalid.*stop, reclaim/,
    ],
    [
      '--reclaim-after too short',
      ['stream', '--on-max-connections', 'reclaim', '--reclaim-after', '5s'],
      /--reclaim-after.*'5s' is invalid.*at least 60s/,
    ],
    [
      '--reclaim-after without reclaim',
      ['stream', '--reclaim-after', '2m'],
      /--reclaim-after needs --on-max-connections reclaim/,
    ],
    [
      'record --format without --echo',
      ['record', join(tmpdir(), 'never.ndjson'), '--format', 'pretty'],
      /--format is for stdout.*--echo/,
    ],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const r = await run(args, { timeoutMs: 10_000 });
      assert.equal(r.code, 2, `${args.join(' ')}\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    });
  }
});

describe('max_connections: another connection takes the key over', () => {
  /** The CLI streaming from `sim`, then a second connection with the same key on stocks. */
  async function evicted(args: string[]) {
    const sim = await simulator();
    const cli = start(['stream', '--host', sim.url, '--key', 'test', '-q', ...args]);
    await sim.waitFor((c) => c.authenticated);
    const other = await connectAuthed(sim, 'stocks', 'test');
    return { cli, other };
  }

  test('default (stop): exit 1, and the advice names the CLI flag', async () => {
    const { cli, other } = await evicted([]);
    const r = await cli.result;
    other.close();
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error \[MAX_CONNECTIONS\]: another connection on stocks with this API/);
    assert.match(r.stderr, /run with --on-max-connections reclaim to take it back/);
    assert.doesNotMatch(r.stderr, /onMaxConnections/, 'no library option names');
  });

  test('--on-max-connections reclaim: keeps running, says when it takes the slot back', async () => {
    const { cli, other } = await evicted([
      '--on-max-connections',
      'reclaim',
      '--reclaim-after',
      '90s',
      '--stats',
    ]);
    await cli.waitFor(/Taking it back in 90s \(--on-max-connections reclaim\)/, 'stderr');
    await cli.waitFor(/^stats: reclaiming · no data/m, 'stderr');
    cli.child.kill('SIGINT');
    const r = await cli.result;
    other.close();
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /onMaxConnections/);
  });
});

test('pretty lines: in time order (bars print when they arrive), exchanges by name', async () => {
  const r = await run([
    'stream',
    '--format',
    'pretty',
    '--stock-trades',
    '--stock-second-aggregates',
    '--max-events',
    '400',
    '--sim-rate',
    '400',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const bars = lines.filter((l) => /^\S+ {2}A {3}/.test(l));
  assert.ok(bars.length > 0, 'second bars arrived');
  const trades = lines.filter((l) => /^\S+ {2}T {3}/.test(l));
  assert.ok(trades.length > 0, 'trades arrived');
  for (const line of trades) {
    assert.doesNotMatch(line, / ex \d/, `exchange by name: ${line}`);
    assert.ok(
      STOCK_EXCHANGES.some((r) => line.includes(` ${r.short} `) || line.endsWith(r.short)),
      line,
    );
  }
  const times = lines.map((l) => l.slice(0, 12));
  for (let i = 1; i < times.length; i++) {
    assert.ok(
      times[i]! >= times[i - 1]!,
      `line ${i} goes back in time:\n${lines[i - 1]}\n${lines[i]}`,
    );
  }
});
