/**
 * The bench feed: a purpose-built loopback WebSocket server, run as a child process of run.ts so
 * the client process's CPU time is its own. It speaks just enough of the provider's protocol
 * (connected → auth_success → subscription acks) and then streams the current plan:
 *
 * - unpaced: frames are pre-encoded once — JSON and WebSocket framing — into ~128 KB chunks that
 *   are written straight to the socket as fast as it drains (backpressure via write()/'drain'),
 *   so the server spends next to no CPU per event and the client is the bottleneck;
 * - paced (`rate`): every tick sends the frames due so far, each event stamped with the send time
 *   in `bt` (monotonicMs(): CLOCK_MONOTONIC, shared by all processes on the machine, fractional ms).
 *
 * IPC: parent → { cmd: 'plan', plan } | { cmd: 'exit' }; child → ready / planned / sent.
 */
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type Feed = 'T20' | 'T1' | 'mix';

export interface Plan {
  feed: Feed;
  /** Data events to send (rounded up to whole frames). */
  count: number;
  /** Events per second; absent → as fast as the socket drains. */
  rate?: number;
}

export type ToServer = { cmd: 'plan'; plan: Plan } | { cmd: 'exit' };
export type FromServer =
  | { type: 'ready'; port: number }
  | { type: 'planned' }
  | { type: 'sent'; events: number; ms: number; cpuMs: number };

export const FRAME_SIZE: Record<Feed, number> = { T20: 20, T1: 1, mix: 20 };
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'TSLA', 'META', 'GOOGL', 'SPY'];
const CHUNK_BYTES = 128 * 1024;
const POOL = 8;

/**
 * Milliseconds on the machine-wide monotonic clock (CLOCK_MONOTONIC via hrtime), comparable across
 * processes: performance.now() plus an offset calibrated once (the first performance access can
 * take milliseconds, so both clocks are warmed and the tightest of several readings wins).
 */
let monotonicOffset: number | undefined;
export function monotonicMs(): number {
  if (monotonicOffset === undefined) {
    let best = Infinity;
    for (let i = 0; i < 10; i++) {
      const a = performance.now();
      const h = Number(process.hrtime.bigint()) / 1e6;
      const b = performance.now();
      if (b - a < best) {
        best = b - a;
        monotonicOffset = h - (a + b) / 2;
      }
    }
  }
  return performance.now() + monotonicOffset!;
}

function trade(seq: number, t: number, sym = 'AAPL', bt = ''): string {
  return `{"ev":"T","sym":"${sym}","x":4,"i":"${12345 + seq}","z":3,"p":114.125,"s":100,"c":[0,12],"t":${t},"q":${seq}${bt}}`;
}

function quote(seq: number, t: number, sym: string, bt = ''): string {
  return `{"ev":"Q","sym":"${sym}","bx":4,"bp":114.12,"bs":1,"ax":7,"ap":114.13,"as":3,"c":0,"i":[604],"t":${t},"q":${seq},"z":3${bt}}`;
}

/** The JSON text of one frame whose first event has sequence number `seq` (`stamp`: add `bt`). */
function frameText(feed: Feed, seq: number, t: number, stamp?: number): string {
  const bt = stamp === undefined ? '' : `,"bt":${stamp}`;
  if (feed === 'T1') return `[${trade(seq, t, 'AAPL', bt)}]`;
  const events: string[] = [];
  for (let k = 0; k < 20; k++) {
    const s = seq + k;
    const sym = SYMBOLS[s % SYMBOLS.length]!;
    // Mixed feed: three quotes per trade, as on a real stocks feed (quotes outnumber trades).
    events.push(feed === 'mix' && s % 4 !== 0 ? quote(s, t, sym, bt) : trade(s, t, sym, bt));
  }
  return `[${events.join(',')}]`;
}

/** One unmasked, final WebSocket text frame around `text`. */
export function wsFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  let head: Buffer;
  if (n < 126) {
    head = Buffer.from([0x81, n]);
  } else if (n < 65536) {
    head = Buffer.alloc(4);
    head[0] = 0x81;
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0x81;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

function chunkOf(feed: Feed, firstSeq: number, frames: number, t: number): Buffer {
  const parts: Buffer[] = [];
  for (let f = 0; f < frames; f++)
    parts.push(wsFrame(frameText(feed, firstSeq + f * FRAME_SIZE[feed], t)));
  return Buffer.concat(parts);
}

/** Write, then wait for the socket to drain (or close) when its buffer is full. */
async function write(socket: Socket, buf: Buffer): Promise<boolean> {
  if (socket.destroyed) return false;
  if (!socket.write(buf)) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }
  return !socket.destroyed;
}

async function streamUnpaced(socket: Socket, plan: Plan): Promise<number> {
  const size = FRAME_SIZE[plan.feed];
  const totalFrames = Math.ceil(plan.count / size);
  const frameBytes = wsFrame(frameText(plan.feed, 0, Date.now())).length;
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / frameBytes));
  const t = Date.now();
  const pool: Buffer[] = [];
  for (let p = 0; p < POOL; p++) pool.push(chunkOf(plan.feed, p * perChunk * size, perChunk, t));
  let frames = 0;
  for (let p = 0; frames + perChunk <= totalFrames; p = (p + 1) % POOL) {
    if (!(await write(socket, pool[p]!))) return frames * size;
    frames += perChunk;
  }
  if (frames < totalFrames) {
    if (!(await write(socket, chunkOf(plan.feed, frames * size, totalFrames - frames, t)))) {
      return frames * size;
    }
    frames = totalFrames;
  }
  return frames * size;
}

async function streamPaced(socket: Socket, plan: Plan, rate: number): Promise<number> {
  const size = FRAME_SIZE[plan.feed];
  const totalFrames = Math.ceil(plan.count / size);
  const framesPerMs = rate / size / 1000;
  const start = performance.now();
  let frames = 0;
  while (frames < totalFrames && !socket.destroyed) {
    const due = Math.min(totalFrames, Math.floor((performance.now() - start) * framesPerMs) + 1);
    if (due > frames) {
      const parts: Buffer[] = [];
      const t = Date.now();
      for (; frames < due; frames++) {
        parts.push(wsFrame(frameText(plan.feed, frames * size, t, monotonicMs())));
      }
      if (!(await write(socket, Buffer.concat(parts)))) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return frames * size;
}

function status(status: string, message: string): string {
  return JSON.stringify([{ ev: 'status', status, message }]);
}

function serve(): void {
  let plan: Plan = { feed: 'T20', count: 0 };
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  const send = (msg: FromServer): void => void process.send?.(msg);

  wss.on('connection', (ws: WebSocket, req) => {
    const socket = req.socket as Socket;
    const mine = plan;
    let started = false;
    socket.on('error', () => undefined);
    ws.on('error', () => undefined);
    ws.send(status('connected', 'Connected Successfully'));
    ws.on('message', (data) => {
      let msg: { action?: string; params?: string };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        return;
      }
      if (msg.action === 'auth') ws.send(status('auth_success', 'authenticated'));
      if (msg.action !== 'subscribe' || started) return;
      started = true;
      for (const topic of (msg.params ?? '').split(',')) {
        if (topic !== '') ws.send(status('success', `subscribed to: ${topic}`));
      }
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const run = mine.rate ? streamPaced(socket, mine, mine.rate) : streamUnpaced(socket, mine);
      void run.then((events) => {
        const cpu = process.cpuUsage(cpu0);
        send({
          type: 'sent',
          events,
          ms: performance.now() - t0,
          cpuMs: (cpu.user + cpu.system) / 1000,
        });
      });
    });
  });

  wss.on('listening', () => {
    const address = wss.address();
    if (typeof address === 'object' && address !== null)
      send({ type: 'ready', port: address.port });
  });

  process.on('message', (msg: ToServer) => {
    if (msg.cmd === 'plan') {
      plan = msg.plan;
      send({ type: 'planned' });
    } else if (msg.cmd === 'exit') {
      for (const client of wss.clients) client.terminate();
      wss.close();
      process.exit(0);
    }
  });
  // Never outlive the bench: exit when the parent goes away.
  process.on('disconnect', () => process.exit(0));
}

if (process.env['POLYGON_STREAM_BENCH_SERVER'] === '1') serve();
