/**
 * Shared fixture for the reliability tests (test/reliability-*.test.ts): a real StreamClient with
 * everything it reports recorded, per-test cleanup of every simulator, server and client, and a
 * check that no log line and no error of any test carries the API key. Plus waiting helpers that
 * keep working while a test runs with mock timers.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { StreamClient, type Gap } from '../../src/client/stream-client.js';
import type { ClientMessage } from '../../src/protocol/codec.js';
import type { ClientOptions } from '../../src/client/config.js';
import type { ConnectionState, ReconnectInfo } from '../../src/client/connection/connection.js';
import { PolygonStreamError } from '../../src/errors.js';
import {
  startSimulator,
  type SimConnection,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import { errorText, recordingLogger } from './servers.js';

export const KEY = 'SECRET-KEY-123';
export const T = { timeout: 10_000 };
export const FAST_RECONNECT = {
  initialDelayMs: 10,
  maxDelayMs: 40,
  factor: 2,
  jitter: 0,
  maxAttempts: 5,
  stableAfterMs: 100,
};
export const HEARTBEAT = { pingInterval: 0.1, pingTimeout: 0.1 };
export const QUIET: SimulatorOptions = { eventsPerSecond: 0 };

export type Options = ClientOptions<StreamClient<'stocks'>>;

/** The real setTimeout, kept for polling while a test runs with mock timers. */
const realSetTimeout = globalThis.setTimeout;
export const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => realSetTimeout(resolve, ms));

/** One client with everything it reports recorded. */
export interface Watched {
  client: StreamClient<'stocks'>;
  /** onError calls, in order. */
  errors: PolygonStreamError[];
  states: ConnectionState[];
  reconnects: ReconnectInfo[];
  gaps: Gap[];
  resubscribes: string[][];
  /** onClose calls. */
  closes: { code: number; reason: string }[];
  /** Start streaming; the promise is recorded (its rejection too) and returned. */
  start(): Promise<void>;
}

export interface Scope {
  sim(options?: SimulatorOptions): Promise<Simulator>;
  watch(host: string, options?: Options, key?: string): Watched;
  /** Record a rejection the test captured itself (it is checked for the key too). */
  seen(error: unknown): void;
  /** Close something at the end of the test. */
  defer(fn: () => unknown): void;
}

/**
 * Per-test fixture: every simulator, server and client is closed after the test, and every log
 * line and error it produced is checked for the API key.
 */
export function scope(t: TestContext): Scope {
  const lines: string[] = [];
  const errors: unknown[] = [];
  const clients: StreamClient<'stocks'>[] = [];
  const closers: (() => unknown)[] = [];
  t.after(async () => {
    for (const c of clients) await c.closeStream().catch(() => undefined);
    for (const close of closers.reverse()) await close();
    const all = [...lines, ...errors.map((e) => errorText(e))];
    const leaks = all.filter((text) => text.includes(KEY));
    assert.deepEqual(leaks, [], 'the API key must never appear in a log line or an error');
  });
  return {
    async sim(options = QUIET) {
      const sim = await startSimulator(options);
      closers.push(() => sim.close());
      return sim;
    },
    watch(host, options = {}, key = KEY) {
      const w: Watched = {
        client: undefined as unknown as StreamClient<'stocks'>,
        errors: [],
        states: [],
        reconnects: [],
        gaps: [],
        resubscribes: [],
        closes: [],
        start: () => {
          const ready = w.client.startStreamThread(HEARTBEAT);
          ready.catch((e: unknown) => errors.push(e));
          return ready;
        },
      };
      w.client = new StreamClient(key, 'stocks', {
        host,
        reconnect: FAST_RECONNECT,
        subscribeTimeoutMs: 2_000,
        authTimeoutMs: 1_000,
        logger: recordingLogger(lines),
        onMessage: () => undefined,
        onError: (_c, e) => {
          errors.push(e);
          w.errors.push(e as PolygonStreamError);
        },
        onClose: (_c, code, reason) => w.closes.push({ code, reason }),
        ...options,
      });
      w.client.on('state', ({ state }) => w.states.push(state));
      w.client.on('reconnect', (info) => {
        errors.push(info.cause);
        w.reconnects.push(info);
      });
      w.client.on('gap', (gap) => w.gaps.push(gap));
      w.client.on('resubscribe', ({ topics }) => w.resubscribes.push(topics));
      w.client.on('close', ({ error }) => error && errors.push(error));
      clients.push(w.client);
      return w;
    },
    seen: (e) => errors.push(e),
    defer: (fn) => closers.push(fn),
  };
}

export { until } from './until.js';

/** The settled rejection of `promise` (fails if it resolves). */
export async function rejection(
  promise: Promise<unknown>,
  ms = 3_000,
): Promise<PolygonStreamError> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = realSetTimeout(() => reject(new Error(`no settlement within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } catch (e) {
    if (e instanceof PolygonStreamError) return e;
    throw e;
  } finally {
    clearTimeout(timer);
  }
  throw new Error('expected a rejection, got a resolution');
}

export const subscribes = (
  conn: SimConnection | { received: readonly ClientMessage[] },
): string[][] =>
  conn.received.filter((m) => m.action === 'subscribe').map((m) => m.params.split(','));

export const sorted = (topics: Iterable<string>): string[] => [...topics].sort();

/** The authenticated simulator connection that is not one of `old`. */
export const fresh =
  (...old: SimConnection[]) =>
  (c: SimConnection): boolean =>
    c.authenticated && !old.some((o) => o.id === c.id);

/** A connected, authenticated client with `topics` subscribed and acknowledged. */
export async function streaming(
  s: Scope,
  sim: Simulator,
  topics: string[],
  options: Options = {},
): Promise<{ w: Watched; conn: SimConnection }> {
  const w = s.watch(sim.url, options);
  await w.start();
  if (topics.length > 0) await w.client.subscribe(topics);
  const conn = await sim.waitFor((c) => c.authenticated && c.subscriptions.size === topics.length);
  return { w, conn };
}
