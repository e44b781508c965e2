/**
 * Test helpers: a real `ws` client that records every event the simulator sends and lets a test
 * await the one it needs, plus a simulator fixture that closes everything it opened.
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import type { WireEvent } from '../../src/protocol/codec.js';
import {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';

export const STEP_TIMEOUT_MS = 3_000;

/** Per-test timeout of the simulator tests. */
export const T = { timeout: 10_000 };
/** No generated data. */
export const QUIET: SimulatorOptions = { eventsPerSecond: 0 };
/** Plenty of generated data, in small frames. */
export const BUSY: SimulatorOptions = { eventsPerSecond: 2_000, tickMs: 10 };

/** A stock trade with every field, for publish and replay. */
export const trade = (sym: string, t: number, extra: object = {}): WireEvent => ({
  ev: 'T',
  sym,
  x: 4,
  i: '1',
  z: 3,
  p: 100,
  s: 100,
  c: [0],
  t,
  q: 1,
  ...extra,
});

export type EventPredicate = (e: WireEvent) => boolean;

export const isStatus =
  (status: string, message?: string): EventPredicate =>
  (e) =>
    e.ev === 'status' && e.status === status && (message === undefined || e.message === message);

export const isAck = (action: 'subscribed' | 'unsubscribed', topic: string): EventPredicate =>
  isStatus('success', `${action} to: ${topic}`);

export const isData: EventPredicate = (e) => e.ev !== 'status';

export interface CloseInfo {
  code: number;
  reason: string;
}

interface Waiter {
  predicate: EventPredicate;
  count: number;
  from: number;
  resolve: (events: WireEvent[]) => void;
}

export class TestClient {
  /** Every event received, in order. */
  readonly events: WireEvent[] = [];
  /** Every frame received, as text. */
  readonly frames: string[] = [];
  readonly closed: Promise<CloseInfo>;
  private readonly waiters = new Set<Waiter>();

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => {
      const text = String(data);
      this.frames.push(text);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return;
      }
      if (Array.isArray(parsed)) this.events.push(...(parsed as WireEvent[]));
      this.check();
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: String(reason) }));
    });
  }

  send(message: object | string): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  async auth(key = 'test-key'): Promise<void> {
    this.send({ action: 'auth', params: key });
    await this.waitFor(isStatus('auth_success'));
  }

  /** Subscribe and await one ack per topic. */
  async subscribe(topics: string): Promise<void> {
    this.send({ action: 'subscribe', params: topics });
    await Promise.all(topics.split(',').map((t) => this.waitFor(isAck('subscribed', t))));
  }

  /** The first event matching, among those already received (from `from`) or still to come. */
  async waitFor(
    predicate: EventPredicate,
    from = 0,
    timeoutMs = STEP_TIMEOUT_MS,
  ): Promise<WireEvent> {
    const [event] = await this.waitForMany(predicate, 1, from, timeoutMs);
    return event as WireEvent;
  }

  /** The first `count` events matching (from index `from`). */
  waitForMany(
    predicate: EventPredicate,
    count: number,
    from = 0,
    timeoutMs = STEP_TIMEOUT_MS,
  ): Promise<WireEvent[]> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        count,
        from,
        resolve: (events) => {
          clearTimeout(timer);
          resolve(events);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const seen = this.events.length;
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${count} event(s); ${seen} seen`),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
      this.check();
    });
  }

  close(): void {
    this.ws.terminate();
  }

  private check(): void {
    for (const w of [...this.waiters]) {
      const hits = this.events.slice(w.from).filter(w.predicate);
      if (hits.length >= w.count) {
        this.waiters.delete(w);
        w.resolve(hits.slice(0, w.count));
      }
    }
  }
}

/** Open a client on `${sim.url}/${path}` and await the `connected` status. */
export async function connect(sim: Simulator, path: string): Promise<TestClient> {
  const client = new TestClient(new WebSocket(`${sim.url}/${path}`));
  await client.waitFor(isStatus('connected', 'Connected Successfully'));
  return client;
}

/** A connected and authenticated client. */
export async function connectAuthed(
  sim: Simulator,
  path: string,
  key?: string,
): Promise<TestClient> {
  const client = await connect(sim, path);
  await client.auth(key);
  return client;
}

/**
 * Run `fn` against a fresh simulator; every client opened with `open` is terminated and the
 * simulator closed afterwards, whatever happens.
 */
export async function withSimulator(
  options: SimulatorOptions,
  fn: (sim: Simulator, open: (path: string, key?: string) => Promise<TestClient>) => Promise<void>,
): Promise<void> {
  const sim = await startSimulator(options);
  const clients: TestClient[] = [];
  const open = async (path: string, key?: string): Promise<TestClient> => {
    const client = await connect(sim, path);
    clients.push(client);
    if (key !== undefined) await client.auth(key);
    return client;
  };
  try {
    await fn(sim, open);
  } finally {
    for (const c of clients) c.close();
    await sim.close();
  }
}

/** Reject after `ms` unless `promise` settles first. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Await one emission of `event` on `emitter`, bounded in time. */
export function nextEvent<T extends unknown[]>(
  emitter: NodeJS.EventEmitter,
  event: string,
  ms = STEP_TIMEOUT_MS,
): Promise<T> {
  return within(once(emitter, event) as Promise<T>, ms, `event ${event}`);
}

/** Sleep, for the few checks that something does NOT happen. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
