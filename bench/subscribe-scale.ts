/**
 * `node --import tsx bench/subscribe-scale.ts [--counts 10000,20000,40000]`: many separate
 * one-symbol subscribe calls on one StreamClient while it is open. The simulator (a child process,
 * acks on, no generated data) answers each topic; measured here: time from the first call until
 * every promise resolved, how long the synchronous loop of calls took, and the client's worst
 * event-loop stall (`monitorEventLoopDelay`; the loop of calls is one such stall).
 * Prints one line per count.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { StreamClient } from '../src/index.js';
import { startSimulator } from '../src/simulator/index.js';

const { values } = parseArgs({
  options: {
    counts: { type: 'string', default: '10000,20000,40000' },
    role: { type: 'string' },
  },
});

async function simChild(): Promise<void> {
  const sim = await startSimulator({ eventsPerSecond: 0 });
  process.send?.(sim.url);
  process.once('disconnect', () => void sim.close());
}

async function run(url: string, count: number): Promise<void> {
  const client = new StreamClient('bench-key', 'stocks', {
    host: url,
    onMessage: () => undefined,
    subscribeTimeoutMs: 600_000,
    allowDuplicateClient: true,
  });
  await client.startStreamThread();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // The monitor samples on its own timer: let it start before the loop blocks.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = performance.now();
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) calls.push(client.subscribeStockTrades([`S${i}`]));
  const loopMs = performance.now() - started;
  await Promise.all(calls);
  const ms = performance.now() - started;
  delay.disable();
  await client.closeStream();
  console.log(
    `${count} one-symbol subscribes: all resolved in ${Math.round(ms)} ms (the calls themselves: ${Math.round(loopMs)} ms), max event-loop delay ${Math.round(delay.max / 1e6)} ms`,
  );
}

if (values.role === 'sim') {
  await simChild();
} else {
  const child = fork(fileURLToPath(import.meta.url), ['--role', 'sim'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [url] = (await once(child, 'message')) as [string];
  try {
    for (const count of values.counts.split(',').map(Number)) await run(url, count);
  } finally {
    child.disconnect();
  }
}
