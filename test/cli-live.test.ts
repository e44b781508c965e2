/**
 * The built CLI (dist/cli/main.js; `npm test` builds first) as a trader reads it, against
 * simulators on loopback: the status line's connection state through an outage, counts that mean
 * what they say, the embedded simulator's rate, a quiet `record`, and max_connections.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Simulator, startSimulator } from '../src/index.js';
import { CLI, killAll, type Result, type SpawnOptions, spawnNode } from './helpers/spawn.js';

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
