/**
 * `node --import tsx bench/fanout/fanout.ts [--events N] [--seconds S] [--consumers C]
 * [--partitions P] [--rate R] [--quick] [--json]` (`npm run bench` runs it after bench/run.ts with
 * the same flags; `--long` is accepted and changes nothing here):
 * the fan-out path end to end. The simulator (a child process, generating as fast as asked) feeds
 * a StreamClient here; every frame goes through a RedisSink into a private redis-server (entry
 * format v2: one entry per frame, up to the sink's `entryEvents`); C consumer processes share one
 * consumer group and read with `readStream`, which decodes each entry's batch. Measured: events/s
 * from the first publish to the last event handled by any consumer, and lost / duplicated events
 * by (symbol, sequence number) — the simulator's `q` rises per symbol, this process records every
 * (sym, q) the sink wrote, the consumers report every (sym, q) they got. With P partitions (default
 * 8; 1 = one stream, no order promised) the sink spreads the symbols over P streams and the
 * consumers share them through leases: each consumer must then see each symbol's events in order
 * (counted as "out of order" otherwise).
 *
 * The baseline, measured first in the same run: the client alone, reading the same simulator the
 * same way with no sink. The row gives the end-to-end rate, its ratio to the client alone, and
 * PASS/FAIL against the target (TARGET_EV_PER_SEC events/s end to end, nothing lost or duplicated).
 * Every process of the path shares the machine's cores, so the bench adds up their CPU per event
 * (the simulator's, this process's, redis-server's, the consumers') and prints the most events/s
 * the cores allow at that cost next to the rate measured.
 *
 * Prints one table row on stdout (details on stderr); exits 1 when anything was lost or dropped.
 * Bounded: N events (default 200k) or S seconds of publishing (default 20), then a drain limit.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { StreamClient, type WireEvent } from '../../src/index.js';
import { readStream, RedisSink, type RedisSinkOptions } from '../../src/redis/index.js';
import { leaseKeyOf, partitionKey } from '../../src/redis/partition-keys.js';
import { startRedis, type RedisServer } from '../../test/helpers/redis.js';
import { ask } from '../children.js';
import { fmt, printFanout, tallyFanout, type ConsumerFinal, type Seqs } from './fanout-report.js';
import { simChild, type FromSim } from './fanout-sim.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    seconds: { type: 'string' },
    consumers: { type: 'string', default: '4' },
    partitions: { type: 'string', default: '8' },
    rate: { type: 'string', default: '1000000' },
    // publish: prebuilt trade frames through the simulator's publish(), as fast as the client
    // takes them; generated: the simulator's own tape at --rate (its generator is then the limit).
    feed: { type: 'string', default: 'publish' },
    // Shared with bench/run.ts: --quick = a tenth of the events; --json = a JSON line, not a row.
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    long: { type: 'boolean', default: false },
    // Internal: the role of a forked child.
    role: { type: 'string' },
    redis: { type: 'string' },
    key: { type: 'string' },
  },
});

const GROUP = 'bench';
const PARTITIONS = Number(values.partitions);
/** Issue 24's target for the path end to end on the 2-core machine. */
const TARGET_EV_PER_SEC = 500_000;
/** Entries per XREADGROUP of a consumer (each entry holds up to the sink's `entryEvents`). */
const READ_COUNT = 10;
/** After publishing stopped: how long the consumers get to catch up. */
const DRAIN_LIMIT_MS = 60_000;
const log = (line: string): void => void process.stderr.write(`${line}\n`);
/** Wall-clock ms with sub-ms resolution, comparable across processes on one machine. */
const now = (): number => performance.timeOrigin + performance.now();
/** This process's CPU (user + system) since `from`, in ms. */
const cpuMs = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};

type FromConsumer = { type: 'progress'; count: number } | ({ type: 'final' } & ConsumerFinal);

// ---- child: one consumer of the group ----

async function consumerChild(url: string, key: string): Promise<void> {
  const ac = new AbortController();
  process.on('message', (m) => m === 'stop' && ac.abort());
  process.on('disconnect', () => ac.abort());
  const seen: Seqs = {};
  let count = 0;
  let cpuFrom = process.cpuUsage();
  let lastAt = 0;
  const progress = setInterval(() => process.send?.({ type: 'progress', count }), 50);
  for await (const event of readStream({
    url,
    key,
    group: GROUP,
    consumer: `consumer-${process.pid}`,
    partitions: PARTITIONS,
    start: '0',
    count: READ_COUNT,
    blockMs: 100,
    signal: ac.signal,
  })) {
    if (count === 0) cpuFrom = process.cpuUsage();
    const sym = String(event['sym']);
    (seen[sym] ??= []).push(event['q'] as number);
    count++;
    lastAt = now();
  }
  clearInterval(progress);
  const final: FromConsumer = { type: 'final', count, lastAt, seen, cpuMs: cpuMs(cpuFrom) };
  process.send?.(final, () => process.disconnect());
}

// ---- parent ----

/** `FANOUT_CPU_PROF=dir`: every child writes a CPU profile there (run the parent with --cpu-prof). */
const PROFILE_DIR = process.env['FANOUT_CPU_PROF'];

function forkSelf(args: string[]): ChildProcess {
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  return fork(fileURLToPath(import.meta.url), args, {
    execArgv: ['--import', 'tsx', ...profile],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * With partitions: wait (bounded) until the consumers' leases are spread, every consumer holding
 * its fair share, so the run measures the group as it settles in steady state, not a first
 * consumer holding every partition while the others join.
 */
async function sharesSettled(url: string, key: string, consumers: number): Promise<void> {
  if (PARTITIONS <= 1) return;
  const admin = new Redis(url);
  const floor = Math.floor(PARTITIONS / consumers);
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      const owners = await Promise.all(
        Array.from({ length: PARTITIONS }, (_, p) =>
          admin.get(leaseKeyOf(partitionKey(key, p, PARTITIONS), GROUP)),
        ),
      );
      const held = new Map<string, number>();
      for (const o of owners) if (o !== null) held.set(o, (held.get(o) ?? 0) + 1);
      const settled =
        owners.every((o) => o !== null) &&
        held.size === Math.min(consumers, PARTITIONS) &&
        [...held.values()].every((n) => n >= floor);
      if (settled) return;
      if (Date.now() > deadline)
        throw new Error(`partition leases not spread: ${owners.join(',')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    admin.disconnect();
  }
}

/** The simulator child's CPU so far (it answers 'cpu'), in ms. */
async function simCpuMs(sim: ChildProcess): Promise<number> {
  return (await ask<FromSim, 'cpu'>(sim, 'cpu', 'cpu')).ms;
}

/** redis-server's own CPU so far (INFO cpu: used_cpu_user + used_cpu_sys), in ms. */
async function redisCpuMs(url: string): Promise<number> {
  const admin = new Redis(url);
  try {
    const info = await admin.info('cpu');
    const field = (name: string): number =>
      Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
  } finally {
    admin.disconnect();
  }
}

interface Published {
  seqs: Map<string, number[]>;
  count: number;
  firstAt: number;
  lastAt: number;
  /** This process's CPU at the first event. */
  cpuFrom: NodeJS.CpuUsage;
}

/**
 * The sink's options, in one place (what a run changes, e.g. a partition count, goes here).
 * `maxBuffer` is past the run's events: the bench measures throughput, not the overflow policy.
 */
function sinkOptions(url: string, max: number): RedisSinkOptions {
  const partitions = PARTITIONS;
  return { url, cluster: 'stocks', partitions, maxBuffer: max + 1, closeTimeoutMs: DRAIN_LIMIT_MS };
}

/**
 * Stream T.* from the simulator into the sink (none: the client alone, the baseline) until `max`
 * events or `seconds` have passed.
 */
async function publish(simUrl: string, sink: RedisSink | undefined, max: number, seconds: number) {
  const out: Published = {
    seqs: new Map(),
    count: 0,
    firstAt: 0,
    lastAt: 0,
    cpuFrom: process.cpuUsage(),
  };
  const client = new StreamClient('bench', 'stocks', { host: simUrl, onClose: () => {} });
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let timer: NodeJS.Timeout | undefined;
  client.on('frame', (events) => {
    if (out.count >= max) return;
    const data: WireEvent[] = [];
    for (const event of events) {
      if (event.ev !== 'T') continue;
      data.push(event);
      const sym = String(event['sym']);
      let list = out.seqs.get(sym);
      if (!list) out.seqs.set(sym, (list = []));
      list.push(event['q'] as number);
      if (++out.count >= max) break;
    }
    if (data.length === 0) return;
    if (out.firstAt === 0) {
      out.firstAt = now();
      out.cpuFrom = process.cpuUsage();
      timer = setTimeout(() => {
        max = out.count;
        done();
      }, seconds * 1000);
    }
    sink?.writeFrame(data);
    out.lastAt = now();
    if (out.count >= max) done();
  });
  client.on('close', ({ error }) => {
    if (error) log(`fan-out: client closed: ${error.message}`);
    done();
  });
  await client.startStreamThread();
  await client.subscribe(['T.*']);
  await finished;
  clearTimeout(timer);
  await client.closeStream();
  return out;
}

async function main(): Promise<number> {
  const max = Number(values.events ?? (values.quick ? 20_000 : 200_000));
  const seconds = Number(values.seconds ?? (values.quick ? 5 : 20));
  if (!(Number.isSafeInteger(max) && max > 0 && seconds > 0)) {
    throw new Error('--events and --seconds must be positive numbers');
  }
  const consumerCount = Number(values.consumers);
  const rate = Number(values.rate);
  const children: ChildProcess[] = [];
  let redis: RedisServer | undefined;
  let sink: RedisSink | undefined;
  try {
    redis = await startRedis();
    const key = 'polygon:stocks';
    sink = new RedisSink(sinkOptions(redis.url, max));
    sink.on('error', (err: Error) => log(`fan-out: ${err.message}`));
    await sink.connect();

    // Consumers first: the group starts at the beginning of the stream either way.
    const finals: ConsumerFinal[] = [];
    const progress = new Map<ChildProcess, number>();
    let wake: (() => void) | undefined;
    const consumers = Array.from({ length: consumerCount }, () => {
      const args = ['--role', 'consumer', '--redis', redis!.url, '--key', key];
      const child = forkSelf([...args, '--partitions', String(PARTITIONS)]);
      children.push(child);
      child.on('message', (m: FromConsumer) => {
        if (m.type === 'final') finals.push(m);
        else progress.set(child, m.count);
        wake?.();
      });
      return child;
    });
    const received = (): number => [...progress.values()].reduce((a, b) => a + b, 0);

    await sharesSettled(redis.url, key, consumerCount);
    const sim = forkSelf(['--role', 'sim', '--rate', String(rate), '--feed', String(values.feed)]);
    children.push(sim);
    const simUrl = await new Promise<string>((resolve, reject) => {
      sim.once('message', (m: FromSim) => m.type === 'ready' && resolve(m.url));
      sim.once('exit', (code) => reject(new Error(`simulator exited (code ${code})`)));
    });

    // The baseline: the client alone on the same simulator, no sink.
    const alone = await publish(simUrl, undefined, max, seconds);
    const aloneCpuMs = cpuMs(alone.cpuFrom);
    const aloneEvPerSec = alone.count / ((alone.lastAt - alone.firstAt) / 1000);
    log(
      `fan-out: client alone ${fmt(alone.count)} events in ${fmt(alone.lastAt - alone.firstAt)} ms ` +
        `(${fmt(aloneEvPerSec)} ev/s)`,
    );

    const redisCpuFrom = await redisCpuMs(redis.url);
    const simCpuFrom = await simCpuMs(sim);
    const pub = await publish(simUrl, sink, max, seconds);
    const simCpu = (await simCpuMs(sim)) - simCpuFrom;
    sim.send('stop');
    const publishMs = pub.lastAt - pub.firstAt;
    await sink.close();
    const writtenAt = now();
    const sinkCpuMs = cpuMs(pub.cpuFrom);
    const s = sink.stats();
    log(
      `fan-out: client→sink ${fmt(pub.count)} events in ${fmt(publishMs)} ms ` +
        `(${fmt(pub.count / (publishMs / 1000))} ev/s); sink wrote ${fmt(s.written)} by +${fmt(writtenAt - pub.firstAt)} ms, dropped ${s.dropped}`,
    );

    // Wait for the consumers to have seen everything written (or give up), then stop them.
    const target = s.written;
    const deadline = Date.now() + DRAIN_LIMIT_MS;
    while (received() < target && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    for (const c of consumers) if (c.connected) c.send('stop');
    await Promise.all(consumers.map(exitOf));

    const { total, lastAt, lost, dup, unknown, outOfOrder } = tallyFanout(
      pub.seqs,
      finals,
      PARTITIONS,
    );
    const seconds2 = (lastAt - pub.firstAt) / 1000;
    const redisCpu = (await redisCpuMs(redis.url)) - redisCpuFrom;
    const consumersCpu = finals.reduce((sum, f) => sum + f.cpuMs, 0);
    const perEvent = (ms: number, n: number): string => ((ms * 1000) / n).toFixed(2);
    log(
      `fan-out: CPU µs/event: client alone ${perEvent(aloneCpuMs, alone.count)}; with the sink: ` +
        `simulator ${perEvent(simCpu, pub.count)}, client+sink ${perEvent(sinkCpuMs, pub.count)}, ` +
        `redis-server ${perEvent(redisCpu, pub.count)}, ${consumerCount} consumers ${perEvent(consumersCpu, pub.count)}`,
    );
    // Every process of the path shares this machine's cores: their CPU per event bounds the rate.
    const cpuUsPerEvent = ((simCpu + sinkCpuMs + redisCpu + consumersCpu) * 1000) / pub.count;
    const cores = os.availableParallelism();
    const ceilingEvPerSec = (cores * 1e6) / cpuUsPerEvent;
    log(
      `fan-out: all processes together ${cpuUsPerEvent.toFixed(2)} µs CPU/event: ${cores} cores run ` +
        `at most ${fmt(ceilingEvPerSec)} ev/s at that cost; ${fmt(TARGET_EV_PER_SEC)} ev/s needs ` +
        `≤ ${((cores * 1e6) / TARGET_EV_PER_SEC).toFixed(2)} µs/event`,
    );
    const perConsumer = finals.map((f) => fmt(f.count)).join(' + ');
    log(
      `fan-out: consumers got ${fmt(total)} (${perConsumer}); ${pub.seqs.size} symbols; ` +
        `first publish → last handled ${(seconds2 * 1000).toFixed(0)} ms` +
        (unknown > 0 ? `; ${unknown} never published` : ''),
    );
    const evPerSec = pub.count / seconds2;
    const ratio = evPerSec / aloneEvPerSec;
    const complete =
      lost === 0 && unknown === 0 && s.dropped === 0 && finals.length === consumerCount;
    const pass = complete && dup === 0 && outOfOrder === 0 && evPerSec >= TARGET_EV_PER_SEC;
    const row = { consumers: consumerCount, partitions: PARTITIONS, events: pub.count, evPerSec };
    const cost = { cpuUsPerEvent, cores, ceilingEvPerSec };
    const baseline = { clientAloneEvPerSec: aloneEvPerSec, ratio };
    const verdict = { target: TARGET_EV_PER_SEC, pass };
    const counts = { lost, dup, outOfOrder, dropped: s.dropped, ms: seconds2 * 1000 };
    printFanout({ ...row, ...counts, ...baseline, ...verdict, ...cost }, values.json);
    return complete ? 0 : 1;
  } finally {
    await sink?.close();
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await redis?.dispose();
  }
}

if (values.role === 'sim') {
  await simChild(Number(values.rate), String(values.feed));
} else if (values.role === 'consumer') {
  await consumerChild(values.redis ?? '', values.key ?? '');
} else {
  const code = await main().catch((err: unknown) => {
    log(`fan-out: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  });
  process.exit(code);
}
