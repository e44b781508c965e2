/**
 * Client-side scenario runners. Every mode hands each data event to the same `sink`, so the user
 * work is identical and only the delivery path differs:
 *
 * - baseline: a bare `ws` client (same socket options as StreamClient), `JSON.parse` per frame;
 * - raw:      StreamClient with `onMessage`, the handler doing the same `JSON.parse` + loop;
 * - typed:    `client.on('T', …)` / `client.on('Q', …)` inline listeners;
 * - iterator: `for await (const e of client.events({ ev, capacity, overflow: 'error' }))`;
 * - queued:   `client.on('T', async …, { queue })` (extra row, no target).
 *
 * run.ts forks this file once per mode (`POLYGON_STREAM_BENCH_WORKER=1`) and drives it over IPC,
 * so each process only ever runs one delivery path: run in one process, the modes degrade each
 * other (shared JIT feedback and heap; e.g. the iterator lost ~20% after the queued mode ran).
 * `BENCH_CLIENT=/path/to/client.ts` swaps in another StreamClient build (to prototype changes).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { monotonicMs } from './server.js';

export const MODES = ['baseline', 'raw', 'typed', 'iterator', 'queued'] as const;
export type Mode = (typeof MODES)[number];

interface BenchEvent {
  ev: string;
  /** Send stamp (monotonicMs) on the paced feed. */
  bt?: unknown;
}
type Sink = (event: BenchEvent) => void;
type ClientModule = typeof import('../src/client/stream-client.js');

const QUEUE = { capacity: 10_000, overflow: 'error' } as const;
const SOCKET_OPTIONS = { perMessageDeflate: false, skipUTF8Validation: true, maxPayload: 64 << 20 };
const gc = (globalThis as { gc?: () => void }).gc;
const MB = 1024 * 1024;

/** Busy CPU time of the whole machine, ms (Linux /proc/stat; NaN elsewhere): shows contention. */
function machineBusyMs(): number {
  try {
    const f = readFileSync('/proc/stat', 'latin1')
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .map(Number);
    // cpu user nice system idle iowait irq softirq steal, in USER_HZ (100/s on Linux)
    return (f[1]! + f[2]! + f[3]! + f[6]! + f[7]! + f[8]!) * 10;
  } catch {
    return NaN;
  }
}

let clientModule: Promise<ClientModule> | undefined;
function loadClient(): Promise<ClientModule> {
  clientModule ??= import(
    process.env['BENCH_CLIENT'] ?? '../src/index.js'
  ) as Promise<ClientModule>;
  return clientModule;
}

/** Counts data events (T/Q only, identical work for every mode) and times the run. */
class Counter {
  n = 0;
  trades = 0;
  quotes = 0;
  t0 = 0;
  t1 = 0;
  cpu0: NodeJS.CpuUsage = { user: 0, system: 0 };
  cpu1: NodeJS.CpuUsage = { user: 0, system: 0 };
  busy0 = 0;
  busy1 = 0;
  finished = false;
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: Error) => void;
  private mark: number;

  constructor(
    readonly expected: number,
    private readonly every: number,
    private readonly onMark: ((n: number) => void) | undefined,
  ) {
    this.mark = every > 0 ? Math.min(every, expected) : expected;
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.done.catch(() => undefined);
  }

  count(ev: string): void {
    if (ev === 'T') this.trades++;
    else if (ev === 'Q') this.quotes++;
    else return;
    const n = ++this.n;
    if (n === 1) {
      this.busy0 = machineBusyMs();
      this.t0 = performance.now();
      this.cpu0 = process.cpuUsage();
    }
    if (n === this.mark) this.checkpoint(n);
  }

  fail(error: Error): void {
    this.reject(error);
  }

  private checkpoint(n: number): void {
    this.onMark?.(n);
    if (n < this.expected) {
      this.mark = Math.min(n + this.every, this.expected);
      return;
    }
    this.t1 = performance.now();
    this.cpu1 = process.cpuUsage();
    this.busy1 = machineBusyMs();
    this.finished = true;
    this.resolve();
  }
}

/** Per-event latency: socket 'message' → sink (in-process), and send stamp `bt` → sink. */
class Latency {
  rx = 0;
  k = 0;
  seen = 0;
  readonly added: Float64Array;
  readonly e2e: Float64Array;

  constructor(
    private readonly skip: number,
    capacity: number,
  ) {
    this.added = new Float64Array(capacity);
    this.e2e = new Float64Array(capacity);
  }

  readonly probe = (): void => {
    this.rx = performance.now();
  };

  record(event: BenchEvent): void {
    const now = performance.now();
    if (this.seen++ < this.skip || this.k >= this.added.length || event.ev === 'status') return;
    this.added[this.k] = now - this.rx;
    this.e2e[this.k] = monotonicMs() - (event.bt as number);
    this.k++;
  }
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

function percentiles(samples: Float64Array): Percentiles {
  const sorted = samples.slice().sort();
  const rank = (p: number): number =>
    sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { p50: rank(50), p99: rank(99), max: sorted[sorted.length - 1] ?? NaN };
}

export interface Mark {
  events: number;
  heapMB: number;
  heapAfterGcMB: number;
  rate: number;
}

export interface RunOptions {
  mode: Mode;
  port: number;
  /** Data events the server will send. */
  expected: number;
  /** Latency sampling: skip the first `skip` events (warm-up), keep up to `keep`. */
  latency?: { skip: number; keep: number };
  /** Heap checkpoints every `every` events, each after a full GC (long mode). */
  marks?: { every: number };
  timeoutMs: number;
}

export interface RunResult {
  mode: Mode;
  events: number;
  ms: number;
  cpuMs: number;
  eventsPerSec: number;
  cpuUsPerEvent: number;
  /** CPU time of the whole machine over the run (all processes), ms. */
  machineBusyMs: number;
  heapBeforeMB: number;
  peakHeapMB: number;
  heapAfterGcMB: number;
  marks: Mark[];
  latencyMs?: { rxToCall: Percentiles; e2e: Percentiles; samples: number };
  error?: string;
}

interface Session {
  probeSocket(probe: () => void): void;
  close(): Promise<void>;
}

const heapMB = (): number => process.memoryUsage().heapUsed / MB;

export async function runScenario(options: RunOptions): Promise<RunResult> {
  const { mode, expected } = options;
  gc?.();
  const heapBeforeMB = heapMB();
  let peak = heapBeforeMB;
  const sampler = setInterval(() => (peak = Math.max(peak, heapMB())), 50);
  const marks: Mark[] = [];
  let last = { t: performance.now(), n: 0 };
  const onMark = options.marks
    ? (n: number): void => {
        const heap = heapMB();
        gc?.();
        const now = performance.now();
        marks.push({
          events: n,
          heapMB: heap,
          heapAfterGcMB: heapMB(),
          rate: ((n - last.n) * 1000) / (now - last.t),
        });
        last = { t: performance.now(), n };
      }
    : undefined;
  const counter = new Counter(expected, options.marks?.every ?? 0, onMark);
  const latency = options.latency
    ? new Latency(options.latency.skip, options.latency.keep)
    : undefined;
  const sink: Sink = latency
    ? (e) => {
        latency.record(e);
        counter.count(e.ev);
      }
    : (e) => counter.count(e.ev);

  let session: Session | undefined;
  let error: string | undefined;
  const timer = setTimeout(
    () =>
      counter.fail(
        new Error(`timed out after ${options.timeoutMs} ms (${counter.n}/${expected} events)`),
      ),
    options.timeoutMs,
  );
  try {
    session = await (mode === 'baseline'
      ? openBaseline(options.port, sink, counter)
      : openClient(mode, options.port, sink, counter));
    if (latency) session.probeSocket(latency.probe);
    await counter.done;
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
    peak = Math.max(peak, heapMB());
    await session?.close().catch(() => undefined);
  }
  gc?.();
  const ms = counter.t1 - counter.t0;
  const cpuMs =
    (counter.cpu1.user - counter.cpu0.user + counter.cpu1.system - counter.cpu0.system) / 1000;
  const events = counter.n - 1; // timed from the first event to the last
  const result: RunResult = {
    mode,
    events: counter.n,
    ms,
    cpuMs,
    eventsPerSec: error ? 0 : (events * 1000) / ms,
    cpuUsPerEvent: error ? NaN : (cpuMs * 1000) / events,
    machineBusyMs: counter.busy1 - counter.busy0,
    heapBeforeMB,
    peakHeapMB: peak,
    heapAfterGcMB: heapMB(),
    marks,
  };
  if (latency && latency.k > 0) {
    const added = latency.added.subarray(0, latency.k);
    const e2e = latency.e2e.subarray(0, latency.k);
    result.latencyMs = { rxToCall: percentiles(added), e2e: percentiles(e2e), samples: latency.k };
  }
  if (error !== undefined) result.error = error;
  return result;
}

async function openBaseline(port: number, sink: Sink, counter: Counter): Promise<Session> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/stocks`, SOCKET_OPTIONS);
  let probe: (() => void) | undefined;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    probe?.();
    const events = JSON.parse(isBinary ? data.toString('utf8') : data.toString()) as BenchEvent[];
    for (let i = 0; i < events.length; i++) sink(events[i]!);
  });
  ws.on('error', (err) => counter.fail(err));
  ws.on('close', () => counter.fail(new Error('socket closed early')));
  await once(ws, 'open');
  ws.send(JSON.stringify({ action: 'subscribe', params: 'T.*,Q.*' }));
  return {
    probeSocket: (p) => (probe = p),
    close: async () => {
      ws.removeAllListeners('close');
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = once(ws, 'close');
      ws.close();
      await closed;
    },
  };
}

async function openClient(
  mode: Mode,
  port: number,
  sink: Sink,
  counter: Counter,
): Promise<Session> {
  const { StreamClient } = await loadClient();
  const raw = (_client: unknown, text: string): void => {
    const events = JSON.parse(text) as BenchEvent[];
    for (let i = 0; i < events.length; i++) sink(events[i]!);
  };
  const client = new StreamClient('bench-key', 'stocks', {
    host: `ws://127.0.0.1:${port}`,
    reconnect: false,
    allowDuplicateClient: true,
    onError: (_c, err) => counter.fail(err),
    onClose: () => counter.fail(new Error('stream closed early')),
    ...(mode === 'raw' ? { onMessage: raw } : {}),
  });
  let loop: Promise<void> | undefined;
  if (mode === 'typed') {
    client.on('T', sink);
    client.on('Q', sink);
  } else if (mode === 'queued') {
    client.on('T', async (e) => sink(e), { queue: QUEUE });
    client.on('Q', async (e) => sink(e), { queue: QUEUE });
  } else if (mode === 'iterator') {
    const events = client.events({ ev: ['T', 'Q'], ...QUEUE });
    loop = (async () => {
      for await (const e of events) {
        sink(e);
        if (counter.finished) break;
      }
    })().catch((err: unknown) => counter.fail(err instanceof Error ? err : new Error(String(err))));
  }
  await client.startStreamThread();
  await client.subscribe(['T.*', 'Q.*']);
  return {
    probeSocket: (probe) => {
      // Test-only peek at the client's socket, to time socket 'message' → listener.
      // The connection holds a transport socket; the ws transport's wraps the `ws` socket.
      const inner = client as unknown as { connection?: { ws?: { ws?: WebSocket } } };
      inner.connection?.ws?.ws?.prependListener('message', probe);
    },
    close: async () => {
      await client.closeStream();
      await loop;
    },
  };
}

export type ToWorker = { cmd: 'run'; options: RunOptions } | { cmd: 'exit' };
export type FromWorker = { type: 'ready' } | { type: 'result'; result: RunResult };

function work(): void {
  const send = (msg: FromWorker): void => void process.send?.(msg);
  // A rejection nobody handles (e.g. from inside the client) fails the run instead of the process.
  let unhandled: string | undefined;
  process.on('unhandledRejection', (err) => {
    unhandled = `unhandled rejection: ${err instanceof Error ? err.message : String(err)}`;
  });
  process.on('message', (msg: ToWorker) => {
    if (msg.cmd === 'exit') process.exit(0);
    void runScenario(msg.options).then((result) => {
      if (unhandled !== undefined) result.error = unhandled;
      unhandled = undefined;
      send({ type: 'result', result });
    });
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

if (process.env['POLYGON_STREAM_BENCH_WORKER'] === '1') work();
