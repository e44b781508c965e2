/**
 * `npm run bench` (after the backfill benchmark), or `node --import tsx bench/catch-up.ts
 * [--json]`: history, then live — how fast a client catches up from 30 minutes back. For 10 and
 * 100 tickers (each subscribed as `T.X` and `Q.X` with `{ from: 30 minutes ago }`), a simulator
 * with 30 minutes of past per ticker (`pastMs`/`historyMs` 1 800 000, run in a child process so
 * its CPU is not the client's) serves the REST history; the catch-up rate is the history events
 * that reach the handler (isBackfilled) per second, from the subscribe call to the last
 * `caughtUp`. It is printed as a ratio against the live client's own rate measured in the same
 * run: a typed listener of a StreamClient reading the bench feed (bench/server.ts, trades, 20
 * events a frame, as fast as the socket drains; median of 3 after a warm-up), as bench/run.ts
 * measures it. Timings on a shared machine are noisy.
 *
 * Target: catch-up ≥ 0.2× the live rate. History costs more per event than live data by design:
 * a REST row is a larger JSON object than a stream event, it is checked (ticker, window, order,
 * types) and converted to the stream's shape, and requests are paced by backfill's gate (8 in
 * flight, 50/s) because the provider rate-limits REST. At a fifth of the live ceiling a client
 * still catches up on 30 minutes of a busy ticker set within seconds, far faster than the hour
 * the data took to happen, so the seam comes quickly; much below that, catching up on a full
 * session would itself take minutes.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, startWorkers, stopAll } from './children.js';
import { FRAME_SIZE } from './server.js';
import { StreamClient, type CaughtUp } from '../src/index.js';
import { startSimulator } from '../src/simulator/index.js';

const SIM_FLAG = 'POLYGON_STREAM_BENCH_SIM';
const JSON_OUT = process.argv.includes('--json');
const HISTORY_MS = 1_800_000;
/** Events per second of the simulated cluster: enough for each ticker's full past (5 000). */
const EVENTS_PER_SECOND = 1_000;
const TICKERS = [10, 100];
const LIVE = { feed: 'T20' as const, count: 300_000, reps: 3 };
const TARGET = 0.2;

/** In the child: a simulator with 30 minutes of past for each ticker, its port to the parent. */
async function serveSimulator(tickers: string[]): Promise<void> {
  const sim = await startSimulator({
    eventsPerSecond: EVENTS_PER_SECOND,
    pastMs: HISTORY_MS,
    historyMs: HISTORY_MS,
    maxHistoryEvents: 5_000_000,
    tickers: { stocks: tickers },
  });
  // The simulator makes a symbol's past when it is first asked for (seconds for 100 tickers × 30
  // minutes): ask once for each topic now, so the run measures serving history, not making it (a
  // provider has its history already).
  const warm = new StreamClient('bench-key', 'stocks', {
    host: sim.url,
    history: { concurrency: 8, requestsPerSecond: 1_000 },
  });
  const now = Date.now();
  const topics = tickers.flatMap((s) => [`T.${s}`, `Q.${s}`]);
  await Promise.all(topics.map((t) => warm.history(t, { from: now - 1, to: now })));
  process.send!({ port: Number(new URL(sim.url).port) });
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
}

function tickerNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `BN${String(i).padStart(3, '0')}`);
}

async function startSimulatorChild(tickers: string[]) {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [SIM_FLAG]: JSON.stringify(tickers) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', () => reject(new Error('the simulator process exited')));
  });
  return { url: `ws://127.0.0.1:${port}`, stop: () => child.disconnect() };
}

interface CatchUp {
  tickers: number;
  topics: number;
  events: number;
  ms: number;
  eventsPerSec: number;
  pages: number;
  queries: number;
  filled: number;
  partial: number;
  unfilled: number;
}

async function catchUp(n: number): Promise<CatchUp> {
  const names = tickerNames(n);
  const sim = await startSimulatorChild(names);
  const topics = names.flatMap((s) => [`T.${s}`, `Q.${s}`]);
  const client = new StreamClient('bench-key', 'stocks', {
    host: sim.url,
    onError: () => undefined,
    onClose: () => undefined,
  });
  let events = 0;
  const reports: CaughtUp[] = [];
  let all: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (all = resolve));
  const count = (e: object): void => void (client.isBackfilled(e) && events++);
  client.on('T', count);
  client.on('Q', count);
  client.on('caughtUp', (r) => {
    reports.push(r);
    if (reports.length === topics.length) all();
  });
  try {
    await client.startStreamThread({ pingInterval: 0 });
    const started = performance.now();
    await client.subscribe(topics, { from: Date.now() - HISTORY_MS });
    await done;
    const ms = performance.now() - started;
    const by = (s: string): number => reports.filter((r) => r.status === s).length;
    return {
      tickers: n,
      topics: topics.length,
      events,
      ms,
      eventsPerSec: (events * 1000) / ms,
      pages: reports.reduce((a, r) => a + (r.pages ?? 0), 0),
      queries: reports.reduce((a, r) => a + r.queries, 0),
      filled: by('filled'),
      partial: by('partial'),
      unfilled: by('unfilled'),
    };
  } finally {
    await client.closeStream();
    sim.stop();
  }
}

/** The live client's rate: a typed listener reading the bench feed, median of LIVE.reps. */
async function liveRate(): Promise<number> {
  const { server, port } = await startServer();
  const workers = await startWorkers(['typed']);
  const worker = workers.get('typed')!;
  const expected = Math.ceil(LIVE.count / FRAME_SIZE[LIVE.feed]) * FRAME_SIZE[LIVE.feed];
  const rates: number[] = [];
  try {
    for (let rep = 0; rep <= LIVE.reps; rep++) {
      server.clear();
      server.send({ cmd: 'plan', plan: { feed: LIVE.feed, count: LIVE.count } });
      await server.next('planned', 5_000);
      const options = { mode: 'typed' as const, port, expected, timeoutMs: 60_000 };
      worker.send({ cmd: 'run', options });
      const { result } = await worker.next('result', 75_000);
      if (result.error) throw new Error(`live run failed: ${result.error}`);
      if (rep > 0) rates.push(result.eventsPerSec); // the first run warms up
    }
  } finally {
    stopAll();
  }
  rates.sort((a, b) => a - b);
  return rates[rates.length >> 1]!;
}

async function main(): Promise<void> {
  const live = await liveRate();
  const results: CatchUp[] = [];
  for (const n of TICKERS) {
    const r = await catchUp(n);
    results.push(r);
    process.stderr.write(`catch-up bench: ${n} tickers: ${Math.round(r.eventsPerSec)} ev/s\n`);
  }
  if (JSON_OUT) {
    console.log(JSON.stringify({ live, catchUp: results, target: TARGET }));
    return;
  }
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  console.log(
    `\nHistory, then live: catch-up from 30 min back (T and Q per ticker, simulator at ${EVENTS_PER_SECOND} ev/s, default backfill options)`,
  );
  console.log(
    `live client (typed listener, trades 20/frame, median of ${LIVE.reps}): ${n(live)} ev/s`,
  );
  console.log(
    '| tickers | topics | history events | time to last caughtUp | catch-up ev/s | vs live | REST queries | pages | filled / partial / unfilled | target |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of results) {
    const ratio = r.eventsPerSec / live;
    const verdict = `${ratio >= TARGET ? 'PASS' : 'FAIL'} (≥ ${TARGET}×)`;
    console.log(
      `| ${r.tickers} | ${r.topics} | ${n(r.events)} | ${(r.ms / 1000).toFixed(2)} s | ${n(r.eventsPerSec)} | ${ratio.toFixed(3)}× | ${r.queries} | ${r.pages} | ${r.filled} / ${r.partial} / ${r.unfilled} | ${verdict} |`,
    );
  }
}

const simTickers = process.env[SIM_FLAG];
if (simTickers !== undefined) await serveSimulator(JSON.parse(simTickers) as string[]);
else await main();
