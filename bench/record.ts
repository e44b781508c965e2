/**
 * `npm run bench` (last), or `node --import tsx bench/record.ts [--quick] [--json]`: recording
 * to DuckDB against the live client's own rate, on the simulator's full firehose.
 *
 * The firehose: the simulator (startSimulator, in a child process so its CPU is not the
 * client's) replays EVENTS pre-generated stock trades and quotes (one trade per three quotes, as
 * bench/server.ts's mixed feed, 50 tickers) at speed 'max' — as fast as its sockets take them —
 * to one StreamClient subscribed to `T.*` and `Q.*` (its data events counted; statuses not). The client runs in this process, on one
 * JavaScript thread: that is the "one core". Each repetition, in alternating order:
 *
 * - live: the client alone, a 'frame' listener counting events: the live client's own rate;
 * - record: the same client with `recordToDuckDb` on (default durability interval: commits every
 *   1 s or 200 000 rows).
 *
 * The feed lasts a few seconds (EVENTS), so that the recording commits several times while it
 * runs. Recording keeps up when, during the feed, the recording client takes in the firehose at
 * the live run's rate (the clock stopped at the last event, appended to the sink and the commits
 * of every interval before it done): the ratio record ÷ live of the same repetition, median over
 * REPS. Its commits keep up when no row waits for its commit much longer than the interval (the
 * sink's `commitLagMs`, at most COMMIT_LAG intervals). The rate to a finished file (the clock
 * stopped once the last interval is committed and the file closed) is printed too: it adds the
 * last commit, a fixed cost that a longer feed spreads thinner. A third figure, the sink alone
 * (the same events from an in-memory list written in 500-event frames, the simulator's batch, no
 * socket), shows the sink's own ceiling against the live rate: its headroom. Bytes on disk: the
 * .duckdb file (and its .wal, if one is left) after close, per event, against the NDJSON that
 * `record` without `--to` writes for the same events (one JSON line each). Every recording is
 * checked to hold all EVENTS rows before its figures count.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamClient } from '../src/client/stream-client.js';
import { formatNdjson } from '../src/cli/output/format.js';
import {
  DEFAULT_FLUSH_INTERVAL_MS,
  DuckDbSink,
  queryDuckDb,
  recordToDuckDb,
} from '../src/duckdb/index.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const JSON_OUT = args.has('--json');
const EVENTS = QUICK ? 20_000 : 500_000;
const REPS = QUICK ? 1 : 3;
/** Recording's rate ÷ the live client's, median: at least this to keep up (5 % run-to-run noise). */
const KEEP_UP = 0.95;
/** The longest a row waits for its commit: at most this many durability intervals. */
const COMMIT_LAG = 2;
/** The sink alone ÷ the live client's rate: at least this (it absorbs events faster than they come). */
const HEADROOM = 1.0;
/** DuckDB bytes per event ÷ NDJSON's: at most this. */
const BYTES = 1.0;
/** The replay's batch (src/simulator/replay.ts MAX_BATCH): the sink-alone run's frame size. */
const FRAME = 500;
const FEED_FLAG = 'POLYGON_STREAM_BENCH_RECORD_FEED';
const SYMBOLS = Array.from({ length: 50 }, (_, i) => `S${String(i).padStart(2, '0')}`);

/** The firehose's events, the same in both processes: trades and quotes, 1 ms apart per 20. */
function makeEvents(n: number): object[] {
  const start = Date.UTC(2025, 0, 6, 14, 30);
  const events: object[] = [];
  for (let q = 0; q < n; q++) {
    const sym = SYMBOLS[q % SYMBOLS.length]!;
    const t = start + Math.floor(q / 20);
    const price = 100 + (q % 997) / 100;
    events.push(
      q % 4 === 0
        ? { ev: 'T', sym, x: 4, i: String(10_000 + q), z: 3, p: price, s: 100, c: [0, 12], t, q }
        : {
            ev: 'Q',
            sym,
            bx: 4,
            bp: price - 0.01,
            bs: 1 + (q % 9),
            ax: 7,
            ap: price + 0.01,
            as: 3,
            c: 0,
            i: [604],
            t,
            q,
            z: 3,
          },
    );
  }
  return events;
}

// ---- the feed (child process) ----

type ToFeed = { cmd: 'serve' } | { cmd: 'exit' };
type FromFeed = { type: 'ready'; url: string };

/** A fresh simulator per run: a replay plays once, from the first subscribe. */
async function feed(): Promise<void> {
  const events = makeEvents(EVENTS);
  let sim: Simulator | undefined;
  process.on('message', (msg: ToFeed) => {
    void (async () => {
      await sim?.close();
      sim = undefined;
      if (msg.cmd === 'exit') return process.exit(0);
      sim = await startSimulator({
        replay: { events, speed: 'max' },
        // A client slower than the replay is measured, not cut off as a slow consumer.
        slowConsumerBytes: 2 ** 30,
        maxHistoryEvents: EVENTS,
      });
      process.send!({ type: 'ready', url: sim.url } satisfies FromFeed);
    })();
  });
}

class Feed {
  private readonly proc: ChildProcess = fork(
    fileURLToPath(import.meta.url),
    process.argv.slice(2),
    {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, [FEED_FLAG]: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );

  /** Start a fresh simulator; its URL. */
  serve(): Promise<string> {
    return new Promise((resolve, reject) => {
      const onExit = (): void => reject(new Error('the feed process exited'));
      this.proc.once('exit', onExit);
      this.proc.once('message', (msg: FromFeed) => {
        this.proc.off('exit', onExit);
        resolve(msg.url);
      });
      this.proc.send({ cmd: 'serve' } satisfies ToFeed);
    });
  }

  stop(): void {
    if (this.proc.connected) this.proc.send({ cmd: 'exit' } satisfies ToFeed);
    setTimeout(() => this.proc.kill(), 2_000).unref();
  }
}

// ---- the runs ----

interface Run {
  events: number;
  /** Until the last event was handled (appended to the sink, when recording). */
  ms: number;
  /** Client process CPU (user + system, all threads) ÷ wall time over `ms`: cores used. */
  cores: number;
  /** Until the recording was committed and closed (`ms` without one). */
  closedMs: number;
  /** The recording's longest wait of a row for its commit (DuckDbSinkStats.commitLagMs). */
  commitLagMs?: number;
}

/** One live run: the client on the firehose, with or without a recording to `path`. */
async function live(url: string, path?: string): Promise<Run> {
  const client = new StreamClient('bench-key', 'stocks', {
    host: url,
    reconnect: false,
    onClose: () => undefined,
    onError: (_c, err) => process.stderr.write(`record bench: ${err.message}\n`),
  });
  const recording = path === undefined ? undefined : await recordToDuckDb(client, path);
  let received = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  client.on('frame', (events) => {
    for (const event of events) if (event.ev !== 'status') received++;
    if (received >= EVENTS) done();
  });
  await client.startStreamThread();
  const cpu = process.cpuUsage();
  const started = performance.now();
  void client.subscribe(['T.*', 'Q.*']);
  const timeout = setTimeout(() => done(), 120_000);
  await all;
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  clearTimeout(timeout);
  await recording?.stop();
  const closedMs = performance.now() - started;
  await client.closeStream();
  if (received !== EVENTS) throw new Error(`received ${received} of ${EVENTS} events`);
  const cores = (used.user + used.system) / 1000 / ms;
  return {
    events: received,
    ms,
    cores,
    closedMs,
    commitLagMs: recording?.sink.stats().commitLagMs,
  };
}

/** The sink alone: the events from memory, in replay-sized frames, committed and closed. */
async function sinkAlone(events: object[], path: string): Promise<Run> {
  const sink = await DuckDbSink.open(path, { cluster: 'stocks' });
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < events.length; i += FRAME) sink.write(events.slice(i, i + FRAME) as never);
  await sink.close();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { events: events.length, ms, cores: (used.user + used.system) / 1000 / ms, closedMs: ms };
}

/** Rows in the recording's event tables (T and Q): must be every event sent. */
async function rowsIn(path: string): Promise<number> {
  const r = await queryDuckDb(
    path,
    'SELECT (SELECT count(*) FROM stocks_t) + (SELECT count(*) FROM stocks_q) AS n',
  );
  return Number(r.rows[0]!['n']);
}

function bytesOnDisk(path: string): number {
  let bytes = statSync(path).size;
  try {
    bytes += statSync(`${path}.wal`).size;
  } catch {
    // no log left: close checkpointed everything into the file
  }
  return bytes;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const rate = (r: Run): number => r.events / (r.ms / 1000);
const closedRate = (r: Run): number => r.events / (r.closedMs / 1000);
const kev = (n: number): string => `${(n / 1000).toFixed(0)}k`;
const pass = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'polygon-bench-record-'));
  const events = makeEvents(EVENTS);
  const runs = { live: [] as Run[], record: [] as Run[], sink: [] as Run[] };
  let dbBytes = 0;
  const feedProc = new Feed();
  try {
    await live(await feedProc.serve()); // warm-up, not counted
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? ['live', 'record'] : ['record', 'live'];
      for (const kind of order) {
        const path = kind === 'record' ? join(dir, `rec-${rep}.duckdb`) : undefined;
        const r = await live(await feedProc.serve(), path);
        if (path !== undefined) {
          const rows = await rowsIn(path);
          if (rows !== EVENTS) throw new Error(`${path} holds ${rows} of ${EVENTS} events`);
          dbBytes = bytesOnDisk(path);
        }
        runs[kind as 'live' | 'record'].push(r);
        process.stderr.write(`record bench: ${kind} #${rep + 1}: ${kev(rate(r))} ev/s\n`);
      }
      const r = await sinkAlone(events, join(dir, `sink-${rep}.duckdb`));
      runs.sink.push(r);
      process.stderr.write(`record bench: sink alone #${rep + 1}: ${kev(rate(r))} ev/s\n`);
    }
  } finally {
    feedProc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const ndjsonBytes = events.reduce<number>(
    (sum, e) => sum + Buffer.byteLength(formatNdjson(e)) + 1,
    0,
  );
  const liveRate = median(runs.live.map(rate));
  const keepUp = median(runs.record.map((r, i) => rate(r) / rate(runs.live[i]!)));
  const finished = median(runs.record.map((r, i) => closedRate(r) / rate(runs.live[i]!)));
  const lagMs = Math.max(...runs.record.map((r) => r.commitLagMs ?? Infinity));
  const lagLimitMs = COMMIT_LAG * DEFAULT_FLUSH_INTERVAL_MS;
  const headroom = median(runs.sink.map((r, i) => rate(r) / rate(runs.live[i]!)));
  const bytesRatio = dbBytes / ndjsonBytes;
  if (JSON_OUT) {
    console.log(JSON.stringify({ events: EVENTS, runs, dbBytes, ndjsonBytes }));
    return;
  }
  const range = (rs: Run[]): string => rs.map((r) => kev(rate(r))).join(', ');
  const cores = (rs: Run[]): string => median(rs.map((r) => r.cores)).toFixed(2);
  console.log(
    `\nRecording to DuckDB: ${EVENTS.toLocaleString('en-US')} stock trades + quotes (1:3) replayed by the simulator at speed max, median of ${REPS}`,
  );
  console.log('| run | ev/s (each repetition) | client cores | vs live | target | result |');
  console.log('|---|---:|---:|---:|---:|---|');
  console.log(
    `| live client alone | ${range(runs.live)} | ${cores(runs.live)} | 1.00x (${kev(liveRate)} ev/s) | - | |`,
  );
  console.log(
    `| live client + recordToDuckDb, during the feed | ${range(runs.record)} | ${cores(runs.record)} | ${keepUp.toFixed(2)}x | >= ${KEEP_UP.toFixed(2)}x | ${pass(keepUp >= KEEP_UP)} |`,
  );
  console.log(
    `| … until the file is committed and closed | ${runs.record.map((r) => kev(closedRate(r))).join(', ')} | - | ${finished.toFixed(2)}x | - | |`,
  );
  console.log(
    `| DuckDbSink alone (in-memory events) | ${range(runs.sink)} | ${cores(runs.sink)} | ${headroom.toFixed(2)}x | >= ${HEADROOM.toFixed(2)}x | ${pass(headroom >= HEADROOM)} |`,
  );
  console.log(
    `Longest a row waited for its commit: ${lagMs.toFixed(0)} ms (durability interval ${DEFAULT_FLUSH_INTERVAL_MS} ms; target <= ${lagLimitMs} ms) ${pass(lagMs <= lagLimitMs)}`,
  );
  console.log(
    `Bytes on disk per event: DuckDB ${(dbBytes / EVENTS).toFixed(1)} B, NDJSON ${(ndjsonBytes / EVENTS).toFixed(1)} B: ${bytesRatio.toFixed(2)}x (target <= ${BYTES.toFixed(2)}x) ${pass(bytesRatio <= BYTES)}`,
  );
  console.log(
    'client cores: CPU of this process (all threads, DuckDB included) ÷ wall time; the simulator runs in another process. The machine is shared: rates are noisy.',
  );
}

if (process.env[FEED_FLAG]) await feed();
else await main();
