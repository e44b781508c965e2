/**
 * Fan-out through Redis Streams: one WebSocket, many workers. This process streams trades from
 * the embedded simulator with a StreamClient, publishes every frame to a Redis Stream with a
 * RedisSink, and forks worker processes that share one consumer group, so each event is handled
 * by exactly one worker. At the end it checks that, by (symbol, sequence number), and prints how
 * the events were split across the workers.
 *
 *   node --import tsx examples/redis-workers.ts --redis redis://127.0.0.1:6379 --events 10000
 *
 * Who gets what is Redis's choice: XREADGROUP hands each call up to COUNT new entries, to
 * whichever consumer asks first. So the split is fair only when the workers are all reading
 * before the events arrive, and each takes a moment per event (here --handle-ms, a stand-in for
 * a database write): then they take turns. With a big COUNT and no work per event, the first
 * worker to start drains whole batches before the others have connected (10,000 events went
 * 8,000 / 2,000 / 0 / 0 that way); exactly once holds either way.
 *
 * For the real feed, drop the simulator and give the client your key:
 * `new StreamClient(process.env.POLYGON_API_KEY!, 'stocks')`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { StreamClient, type WireEvent } from 'polygon-stream';
import { startSimulator } from 'polygon-stream/simulator';
import { RedisSink, readStream } from 'polygon-stream/redis';

const GROUP = 'workers';
/** Entries per XREADGROUP: small, so that a worker busy with its batch leaves the next to others. */
const COUNT = 10;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const { values } = parseArgs({
  options: {
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    events: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '4' },
    'handle-ms': { type: 'string', default: '1' },
    // Internal: set on the forked workers.
    worker: { type: 'string' },
    key: { type: 'string' },
  },
});

/** What a worker reports when it stops: its count and the `sym:q` of every event it handled. */
interface Final {
  final: number;
  seen: string[];
}

async function runWorker(url: string, key: string, index: string, handleMs: number): Promise<void> {
  const ac = new AbortController();
  process.on('message', (m) => {
    if (m === 'stop') ac.abort();
  });
  process.on('disconnect', () => ac.abort()); // the publisher went away
  const seen: string[] = [];
  const progress = setInterval(() => process.send?.({ count: seen.length }), 100);
  for await (const event of readStream({
    url,
    key,
    group: GROUP,
    consumer: consumerName(index, process.pid),
    start: '0', // the whole stream, whether this worker starts before or after the first XADD
    count: COUNT,
    blockMs: 200,
    signal: ac.signal,
  })) {
    // Handle the event here; the sleep stands for the time that takes (a database write, say).
    if (handleMs > 0) await sleep(handleMs);
    seen.push(`${String(event['sym'])}:${String(event['q'])}`);
  }
  clearInterval(progress);
  console.log(`worker ${index} (pid ${process.pid}): ${seen.length} events`);
  process.send?.({ final: seen.length, seen } satisfies Final, () => process.disconnect());
}

/** The consumer name of worker `index` in process `pid`. */
const consumerName = (index: string, pid: number | undefined): string =>
  `worker-${index}-${String(pid)}`;

/**
 * Resolves once every one of `consumers` waits in XREADGROUP (CLIENT LIST: its blocking
 * connection, flag b). The group's consumer list does not tell: a consumer that blocked on an
 * empty stream is not in it yet.
 */
async function workersReading(url: string, consumers: string[]): Promise<void> {
  const admin = new Redis(url);
  try {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const clients = String(await admin.client('LIST')).split('\n');
      const blocked = (name: string): boolean =>
        clients.some(
          (c) => c.includes(` name=polygon-stream:reader-block:${name} `) && /\bflags=\w*b/.test(c),
        );
      if (consumers.every(blocked)) return;
      await sleep(50);
    }
    throw new Error(`not all ${consumers.length} workers were reading within 30 s`);
  } finally {
    await admin.quit();
  }
}

async function runPublisher(
  url: string,
  total: number,
  workerCount: number,
  handleMs: number,
): Promise<number> {
  const sink = new RedisSink({
    url,
    cluster: 'stocks',
    streamKey: `polygon:{cluster}:${process.pid}`,
  });
  const key = sink.key;
  sink.on('error', (err: Error) => console.error(`sink: ${err.message}`));
  await sink.connect();

  // The workers: forked first; they create the group from the start of the stream.
  const script = fileURLToPath(import.meta.url);
  const progress = new Map<ChildProcess, number>();
  const finals: Final[] = [];
  const workers: ChildProcess[] = [];
  let published = -1; // known once the sink is closed
  let stopped = false;
  const stopAll = (): void => {
    if (stopped) return;
    stopped = true;
    for (const w of workers) if (w.connected) w.send('stop');
  };
  const checkDone = (): void => {
    let sum = 0;
    for (const c of progress.values()) sum += c;
    if (published >= 0 && sum >= published) stopAll();
  };
  const exited = Array.from({ length: workerCount }, (_, i) => {
    const args = ['--worker', String(i + 1), '--redis', url, '--key', key];
    const w = fork(script, [...args, '--handle-ms', String(handleMs)], {
      execArgv: ['--import', 'tsx'],
    });
    workers.push(w);
    w.on('message', (m: { count?: number } | Final) => {
      if ('final' in m) finals.push(m);
      else if (m.count !== undefined) progress.set(w, m.count);
      checkDone();
    });
    return new Promise<void>((resolve) => w.once('exit', () => resolve()));
  });
  const giveUp = setTimeout(stopAll, 60_000);
  // Every worker reading before the first event: otherwise the first to start takes them all.
  await workersReading(
    url,
    workers.map((w, i) => consumerName(String(i + 1), w.pid)),
  );

  // The source: the simulator's trades through a real client; one sink write per frame.
  const sim = await startSimulator({ eventsPerSecond: 20_000 });
  const client = new StreamClient('any-key', 'stocks', { host: sim.url, onClose: () => {} });
  const sent = new Set<string>();
  let done!: () => void;
  const enough = new Promise<void>((resolve) => (done = resolve));
  client.on('frame', (events) => {
    const data: WireEvent[] = [];
    for (const event of events) {
      if (event.ev !== 'T' || sent.size >= total) continue;
      data.push(event);
      sent.add(`${String(event['sym'])}:${String(event['q'])}`);
    }
    sink.writeFrame(data);
    if (sent.size >= total) done();
  });
  const started = Date.now();
  await client.startStreamThread();
  await client.subscribe(['T.*']);
  await enough;
  await client.closeStream();
  await sim.close();
  await sink.close();
  const s = sink.stats();
  published = s.written;
  console.log(
    `published ${s.written} events to ${key} in ${Date.now() - started} ms (dropped ${s.dropped})`,
  );
  checkDone();

  await Promise.all(exited);
  clearTimeout(giveUp);
  const admin = new Redis(url);
  await admin.del(key);
  await admin.quit();

  // Exactly once: every published (sym, q) handled by one worker, nothing else handled.
  const handled = new Map<string, number>();
  for (const f of finals) for (const id of f.seen) handled.set(id, (handled.get(id) ?? 0) + 1);
  const counts = finals.map((f) => f.final);
  const sum = counts.reduce((a, b) => a + b, 0);
  console.log(`workers handled ${sum} of ${sent.size} events (${counts.join(' + ')})`);
  const fair = sum / workerCount;
  const spread = Math.max(...counts.map((c) => Math.abs(c - fair))) / fair;
  console.log(
    `split: each worker within ${Math.round(spread * 100)}% of an even share (${Math.round(fair)}); ` +
      `Redis gives each XREADGROUP (COUNT ${COUNT}) to whichever worker asks first`,
  );
  const missing = [...sent].filter((id) => !handled.has(id)).length;
  const twice = [...handled.values()].filter((n) => n > 1).length;
  const unknown = [...handled.keys()].filter((id) => !sent.has(id)).length;
  if (missing + twice + unknown === 0 && s.dropped === 0 && finals.length === workerCount) {
    console.log(`exactly once: all ${sent.size} events handled by exactly one worker`);
    return 0;
  }
  console.log(
    `NOT exactly once: ${missing} missing, ${twice} handled twice, ${unknown} unknown, ${s.dropped} dropped by the sink`,
  );
  return 1;
}

const url = values.redis;
if (values.worker !== undefined) {
  await runWorker(url, values.key ?? '', values.worker, Number(values['handle-ms']));
} else {
  process.exitCode = await runPublisher(
    url,
    Number(values.events),
    Number(values.workers),
    Number(values['handle-ms']),
  ).catch((err: Error) => {
    console.error(err.message);
    return 1;
  });
}
