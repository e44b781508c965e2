/**
 * Fan-out through Redis Streams: this process publishes events with a RedisSink and forks worker
 * processes that share one consumer group, so each event is handled by exactly one worker.
 *
 *   node --import tsx examples/redis-workers.ts --redis redis://127.0.0.1:6379 --events 10000
 *
 * The event source is `eventFrames` below (a local generator of trades); swap it for the client's
 * frames to fan out the real feed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { WireEvent } from '../src/codec.js';
import { RedisSink, readStream } from '../src/redis/index.js';

const GROUP = 'workers';

const { values } = parseArgs({
  options: {
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    events: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '4' },
    // Internal: set on the forked workers.
    worker: { type: 'string' },
    key: { type: 'string' },
  },
});

/** The event source: frames (arrays of events) as the WebSocket would deliver them. */
async function* eventFrames(total: number): AsyncGenerator<WireEvent[]> {
  const syms = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN'];
  let q = 0;
  while (q < total) {
    const n = Math.min(total - q, 1 + Math.floor(Math.random() * 50));
    yield Array.from({ length: n }, () => {
      q++;
      const p = Math.round((100 + Math.random() * 10) * 100) / 100;
      return { ev: 'T', sym: syms[q % syms.length], x: 4, p, s: 100, c: [0, 12], t: Date.now(), q };
    });
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function runWorker(url: string, key: string, index: string): Promise<void> {
  const ac = new AbortController();
  process.on('message', (m) => {
    if (m === 'stop') ac.abort();
  });
  let count = 0;
  const progress = setInterval(() => process.send?.({ count }), 100);
  for await (const _event of readStream({
    url,
    key,
    group: GROUP,
    consumer: `worker-${index}-${process.pid}`,
    start: '0',
    blockMs: 200,
    signal: ac.signal,
  })) {
    count++; // handle the event here
  }
  clearInterval(progress);
  console.log(`worker ${index} (pid ${process.pid}): ${count} events`);
  process.send?.({ final: count }, () => process.disconnect());
}

async function runPublisher(url: string, total: number, workerCount: number): Promise<number> {
  const key = `polygon:example:${process.pid}`;
  const sink = new RedisSink({ url, streamKey: key });
  sink.on('error', (err: Error) => console.error(`sink: ${err.message}`));
  await sink.connect();
  const script = fileURLToPath(import.meta.url);
  const progress = new Map<ChildProcess, number>();
  const finals: number[] = [];
  let stopped = false;
  const workers: ChildProcess[] = [];
  const stopAll = (): void => {
    if (stopped) return;
    stopped = true;
    for (const w of workers) w.send('stop');
  };
  const exited = Array.from({ length: workerCount }, (_, i) => {
    const w = fork(script, ['--worker', String(i + 1), '--redis', url, '--key', key], {
      execArgv: ['--import', 'tsx'],
    });
    workers.push(w);
    w.on('message', (m: { count?: number; final?: number }) => {
      if (m.final !== undefined) finals.push(m.final);
      if (m.count !== undefined) progress.set(w, m.count);
      let sum = 0;
      for (const c of progress.values()) sum += c;
      if (sum >= total) stopAll();
    });
    return new Promise<void>((resolve) => w.once('exit', () => resolve()));
  });
  const giveUp = setTimeout(stopAll, 60_000);

  const started = Date.now();
  for await (const frame of eventFrames(total)) sink.writeFrame(frame);
  await sink.close();
  const s = sink.stats();
  console.log(
    `published ${s.written} events to ${key} in ${Date.now() - started} ms (dropped ${s.dropped})`,
  );

  await Promise.all(exited);
  clearTimeout(giveUp);
  const handled = finals.reduce((a, b) => a + b, 0);
  console.log(`workers handled ${handled} of ${total} events (${finals.join(' + ')})`);
  const admin = new Redis(url);
  await admin.del(key);
  await admin.quit();
  return handled === total ? 0 : 1;
}

const url = values.redis;
if (values.worker !== undefined) {
  await runWorker(url, values.key ?? '', values.worker);
} else {
  process.exitCode = await runPublisher(url, Number(values.events), Number(values.workers)).catch(
    (err: Error) => {
      console.error(err.message);
      return 1;
    },
  );
}
