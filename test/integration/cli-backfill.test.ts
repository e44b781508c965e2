/**
 * The CLI's side of REST history: `history TOPIC --from --to` prints the simulator's tape as the
 * NDJSON `stream --format ndjson` prints, and `stream --backfill` says what each gap filled and
 * counts backfilled events on its status line.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { CLI, killAll, spawnNode, type SpawnOptions } from '../helpers/spawn.js';
import { until } from '../helpers/until.js';

const sims = new Set<Simulator>();
const start = (args: string[], options: SpawnOptions = {}) => spawnNode([CLI, ...args], options);

async function simulator(): Promise<Simulator> {
  const sim = await startSimulator({ apiKeys: ['test'], eventsPerSecond: 1_000, tickMs: 10 });
  sims.add(sim);
  return sim;
}

after(async () => {
  killAll();
  for (const sim of sims) await sim.close();
});

describe('cli: REST history', () => {
  test('history T.AAPL --from --to prints the tape as stream NDJSON', async () => {
    const sim = await simulator();
    // Put AAPL on the tape (a history request does), let it run, then ask for a window of it.
    const asked = Date.now();
    await fetch(`${sim.url.replace('ws:', 'http:')}/v3/trades/AAPL?apiKey=test`);
    const aapl = () => sim.history('stocks', 'T.AAPL');
    await until(
      () => aapl().length > 10 && (aapl().at(-1)!['t'] as number) > asked,
      'more than 10 AAPL trades on the tape, the last one timed after the request',
    );
    const tape = aapl();
    const from = tape[0]!['t'] as number;
    const to = (tape[tape.length - 1]!['t'] as number) + 1;
    const args = ['history', 'T.AAPL', '--from', String(from), '--to', String(to)];
    const result = await start([...args, '--host', sim.url, '--key', 'test']).result;
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as unknown),
      tape.filter((e) => (e['t'] as number) < to),
    );
    assert.equal(lines[0], JSON.stringify(tape[0]), 'the NDJSON of stream');
    const bad = await start(['history', 'T.*', '--from', '5m', '--host', sim.url, '--key', 'test'])
      .result;
    assert.equal(bad.code, 2, 'a topic without history is a usage mistake');
    assert.match(bad.stderr, /<topic>: \[NO_HISTORY\].*wildcard/);
  });

  test('stream --backfill: the gap line says what was filled; the status line counts', async () => {
    const sim = await simulator();
    const cli = start(
      [
        'stream',
        '--host',
        sim.url,
        '--key',
        'test',
        '--stats',
        '-q',
        '--backfill',
        '-s',
        // LULD has no REST history; a wildcard would spread the rate over every stock, leaving
        // T.AAPL too few trades to be sure of one during the outage.
        'T.AAPL,LULD.AAPL',
      ],
      { timeoutMs: 30_000 },
    );
    // Live events (nearly all T.AAPL trades) before the outage: the gap's fill starts from them.
    await cli.waitFor(/^stats: live · .* [1-9][\d,]* events? · .* 0 backfilled · /m, 'stderr');
    sim.outage(500);
    const gap = await cli.waitFor(/^reconnected: .*$/m, 'stderr', 10_000);
    assert.match(
      gap,
      /filled 1 topic\(s\) completely, [1-9]\d* event\(s\) from history; not filled: LULD\.AAPL \(NO_HISTORY\)/,
    );
    await cli.waitFor(/^stats: live · .* 1 reconnect.* [1-9][\d,]* backfilled · /m, 'stderr');
    cli.child.kill('SIGINT');
    const done = await cli.result;
    assert.equal(done.code, 0);
  });
});
