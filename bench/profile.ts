/**
 * One delivery mode in this process, for profiling and quick A/B checks of the client's CPU per
 * event: `node --expose-gc [--cpu-prof] --import tsx bench/profile.ts <mode> [events] [runs]`
 * (mode: baseline, raw, typed, iterator, queued; default 500,000 T20 events, 5 runs after one
 * warm-up). The feed runs in a child process (server.ts), as in run.ts; prints each run's CPU µs
 * per event and the median.
 */
import { startServer, stopAll } from './children.js';
import { FRAME_SIZE } from './server.js';
import { MODES, type Mode, runScenario } from './scenarios.js';

const [modeArg = 'raw', countArg = '500000', runsArg = '5'] = process.argv.slice(2);
if (!(MODES as readonly string[]).includes(modeArg)) {
  console.error(`usage: bench/profile.ts <${MODES.join('|')}> [events] [runs]`);
  process.exit(2);
}
const mode = modeArg as Mode;
const count = Math.ceil(Number(countArg) / FRAME_SIZE.T20) * FRAME_SIZE.T20;
const runs = Number(runsArg);

const { server, port } = await startServer();
const figures: number[] = [];
try {
  for (let run = 0; run <= runs; run++) {
    server.clear();
    server.send({ cmd: 'plan', plan: { feed: 'T20', count } });
    await server.next('planned', 5_000);
    const r = await runScenario({ mode, port, expected: count, timeoutMs: 120_000 });
    if (r.error !== undefined) throw new Error(r.error);
    if (run === 0) continue; // warm-up
    figures.push(r.cpuUsPerEvent);
    console.log(
      `${mode} #${run}: ${r.cpuUsPerEvent.toFixed(3)} µs CPU/ev, ${(r.eventsPerSec / 1e6).toFixed(3)}M ev/s`,
    );
  }
  const sorted = [...figures].sort((a, b) => a - b);
  console.log(
    `${mode} median ${sorted[sorted.length >> 1]!.toFixed(3)} µs CPU/ev (min ${sorted[0]!.toFixed(3)}, max ${sorted[sorted.length - 1]!.toFixed(3)})`,
  );
} finally {
  stopAll();
}
