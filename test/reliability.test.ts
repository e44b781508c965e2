/**
 * Issue "Never lose the stream": reconnects, heartbeats, statuses, subscribe results, bad input
 * and bad servers, through a real StreamClient against the real simulator (or a purpose-built tiny
 * server) on real sockets. Assertions are on what the server received and on error codes. Every
 * log line and every error of every test is checked for the API key.
 */
import assert from 'node:assert/strict';
import { describe, mock, test, type TestContext } from 'node:test';
import { StreamClient, type Gap } from '../src/client.js';
import type { ClientMessage } from '../src/codec.js';
import type { ClientOptions } from '../src/config.js';
import type { ConnectionState, ReconnectInfo } from '../src/connection.js';
import { ErrorCode, PolygonStreamError } from '../src/errors.js';
import {
  DEFAULT_MAX_CONNECTIONS_MESSAGE,
  startSimulator,
  type SimConnection,
  type Simulator,
  type SimulatorOptions,
} from '../src/simulator/index.js';
import {
  closedPort,
  errorText,
  recordingLogger,
  startBlackHoleServer,
  startHangupServer,
  startScriptedServer,
  startWorkerSimulator,
} from './helpers/servers.js';
import { connect } from './helpers/sim.js';

const KEY = 'SECRET-KEY-123';
const T = { timeout: 10_000 };
const FAST_RECONNECT = {
  initialDelayMs: 10,
  maxDelayMs: 40,
  factor: 2,
  jitter: 0,
  maxAttempts: 5,
  stableAfterMs: 100,
};
const HEARTBEAT = { pingInterval: 0.1, pingTimeout: 0.1 };
const QUIET: SimulatorOptions = { eventsPerSecond: 0 };

type Options = ClientOptions<StreamClient<'stocks'>>;

/** The real setTimeout, kept for polling while a test runs with mock timers. */
const realSetTimeout = globalThis.setTimeout;
const pause = (ms: number): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, ms));

/** One client with everything it reports recorded. */
interface Watched {
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

interface Scope {
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
function scope(t: TestContext): Scope {
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

/** Poll `predicate` until it holds. */
async function until(predicate: () => boolean, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await pause(5);
  }
}

/** The settled rejection of `promise` (fails if it resolves). */
async function rejection(promise: Promise<unknown>, ms = 3_000): Promise<PolygonStreamError> {
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

const subscribes = (conn: SimConnection | { received: readonly ClientMessage[] }): string[][] =>
  conn.received.filter((m) => m.action === 'subscribe').map((m) => m.params.split(','));

const sorted = (topics: Iterable<string>): string[] => [...topics].sort();

/** The authenticated simulator connection that is not one of `old`. */
const fresh =
  (...old: SimConnection[]) =>
  (c: SimConnection): boolean =>
    c.authenticated && !old.some((o) => o.id === c.id);

/** A connected, authenticated client with `topics` subscribed and acknowledged. */
async function streaming(
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

describe('reconnect after a dropped socket', () => {
  test(
    're-authenticates, resubscribes the same set once, data flows again, gap reported',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim({ eventsPerSecond: 400, tickMs: 20 });
      const topics = ['T.AAPL', 'T.MSFT', 'Q.AAPL'];
      const { w, conn } = await streaming(s, sim, topics);
      let trades = 0;
      w.client.on('T', () => trades++);
      await until(() => trades > 0, 'trades before the drop');
      const statesBefore = w.states.length;
      conn.drop();
      const next = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 3);
      assert.equal(next.received[0]?.action, 'auth');
      assert.equal(next.received[0]?.params, KEY);
      assert.equal(subscribes(next).length, 1, 'exactly one subscribe message after a reconnect');
      assert.deepEqual(sorted(subscribes(next)[0] ?? []), sorted(topics));
      assert.deepEqual(sorted(next.subscriptions), sorted(topics));
      const after = trades;
      await until(() => trades > after && w.client.state === 'open', 'trades after the reconnect');
      assert.equal(w.reconnects.length, 1);
      const info = w.reconnects[0]!;
      assert.equal(info.attempt, 1);
      assert.equal(info.delayMs, FAST_RECONNECT.initialDelayMs);
      assert.equal(info.cause.code, ErrorCode.ConnectionClosed);
      assert.equal(w.gaps.length, 1);
      const gap = w.gaps[0]!;
      assert.ok(gap.from <= gap.to, `gap from ${gap.from} <= to ${gap.to}`);
      assert.deepEqual(sorted(gap.topics), sorted(topics));
      assert.deepEqual(sorted(w.resubscribes[0] ?? []), sorted(topics));
      assert.deepEqual(w.states.slice(statesBefore - 1), [
        'open',
        'reconnecting',
        'connecting',
        'authenticating',
        'open',
      ]);
      await until(
        () => [...w.client.subscriptions().values()].every((x) => x.state === 'active'),
        'acks',
      );
      assert.deepEqual(w.errors, [], 'a reconnect that succeeds is not an error');
    },
  );

  test(
    'after the backoff the attempt counter starts over when the connection is stable',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const { w, conn } = await streaming(s, sim, ['T.AAPL']);
      conn.drop();
      const second = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 1);
      await pause(FAST_RECONNECT.stableAfterMs + 50);
      second.drop();
      await sim.waitFor((c) => fresh(conn, second)(c) && c.subscriptions.size === 1);
      assert.deepEqual(
        w.reconnects.map((r) => r.attempt),
        [1, 1],
      );
    },
  );
});

describe('heartbeat', () => {
  test(
    'a server that stops answering pings (no data flowing) is noticed and left',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const { w, conn } = await streaming(s, sim, []);
      const stalledAt = Date.now();
      conn.stallPongs();
      await until(() => w.reconnects.length > 0, 'a reconnect', 2_000);
      const noticedAfter = Date.now() - stalledAt;
      const budget = (HEARTBEAT.pingInterval + HEARTBEAT.pingTimeout) * 1000;
      assert.ok(
        noticedAfter <= budget + 200,
        `noticed after ${noticedAfter} ms (budget ${budget})`,
      );
      assert.equal(w.reconnects[0]!.cause.code, ErrorCode.HeartbeatTimeout);
      await sim.waitFor(fresh(conn));
      await until(() => w.client.state === 'open', 'open again');
    },
  );

  test(
    'a half-open peer (no pong, no close frame, TCP up) is noticed within the budget',
    T,
    async (t) => {
      const s = scope(t);
      const server = await startBlackHoleServer();
      s.defer(() => server.close());
      const w = s.watch(server.url, {
        reconnect: { ...FAST_RECONNECT, maxAttempts: 1, stableAfterMs: 10_000 },
      });
      await w.start();
      const openedAt = Date.now();
      await until(() => w.reconnects.length > 0, 'a reconnect', 2_000);
      const noticedAfter = Date.now() - openedAt;
      const budget = (HEARTBEAT.pingInterval + HEARTBEAT.pingTimeout) * 1000;
      assert.ok(
        noticedAfter <= budget + 200,
        `noticed after ${noticedAfter} ms (budget ${budget})`,
      );
      assert.equal(w.reconnects[0]!.cause.code, ErrorCode.HeartbeatTimeout);
      await until(() => w.client.state === 'closed', 'the second dead connection to end it', 2_000);
      assert.equal(server.accepted, 2);
      assert.deepEqual(
        w.errors.map((e) => e.code),
        [ErrorCode.ReconnectExhausted],
      );
    },
  );

  test('pingTimeout a multiple of pingInterval: answered pings never time out', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const w = s.watch(sim.url);
    await w.client.startStreamThread({ pingInterval: 0.05, pingTimeout: 0.1 });
    await pause(1_200);
    assert.deepEqual(
      w.reconnects.map((r) => r.cause.message),
      [],
    );
    assert.equal(w.client.state, 'open');
  });

  test(
    'a busy event loop is not a dead connection: a pong waiting to be read counts',
    T,
    async (t) => {
      const s = scope(t);
      // The server runs on its own thread, so it answers pings while this thread is blocked.
      const sim = await startWorkerSimulator(QUIET);
      s.defer(() => sim.close());
      const w = s.watch(sim.url);
      await w.start();
      // Block this thread longer than pingTimeout, again and again, outside the timers phase (as a
      // busy I/O callback would): some blocks start right after a ping, when its pong is on the
      // way; once unblocked, the next loop turn runs the due pong timer before it reads the socket.
      const block = (ms: number): void => {
        const end = Date.now() + ms;
        while (Date.now() < end);
      };
      const blocker = setInterval(() => setImmediate(() => block(150)), 30);
      try {
        await pause(1_500);
      } finally {
        clearInterval(blocker);
      }
      assert.deepEqual(
        w.reconnects.map((r) => r.cause.message),
        [],
      );
      assert.equal(w.client.state, 'open');
    },
  );

  test('data flowing while pongs are stalled proves liveness: no reconnect', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim({ eventsPerSecond: 500, tickMs: 20 });
    const { w, conn } = await streaming(s, sim, ['T.*']);
    conn.stallPongs();
    await pause(800);
    assert.deepEqual(w.reconnects, []);
    assert.equal(w.client.state, 'open');
    assert.equal(sim.connections().length, 1);
  });
});

describe('idle timeout', () => {
  test('no data while subscribed for idleTimeoutMs reconnects with IDLE_TIMEOUT', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim({ eventsPerSecond: 400, tickMs: 20 });
    const { w, conn } = await streaming(s, sim, ['T.AAPL'], { idleTimeoutMs: 200 });
    await pause(300);
    assert.equal(w.reconnects.length, 0, 'data flowing: not idle');
    conn.pauseData();
    await until(() => w.reconnects.length > 0, 'an idle reconnect', 2_000);
    assert.equal(w.reconnects[0]!.cause.code, ErrorCode.IdleTimeout);
    const next = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 1);
    assert.deepEqual(sorted(next.subscriptions), ['T.AAPL']);
  });

  test('off by default: paused data (pongs still answered) does not reconnect', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim({ eventsPerSecond: 400, tickMs: 20 });
    const { w, conn } = await streaming(s, sim, ['T.AAPL']);
    conn.pauseData();
    await pause(700);
    assert.deepEqual(w.reconnects, []);
    assert.equal(w.client.state, 'open');
  });
});

describe('server statuses', () => {
  test(
    'auth_failed: start rejects AUTH_FAILED, no reconnect, closed, onClose once',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim({ ...QUIET, apiKeys: ['good'] });
      let connections = 0;
      sim.on('connection', () => connections++);
      const w = s.watch(sim.url);
      const err = await rejection(w.start());
      assert.equal(err.code, ErrorCode.AuthFailed);
      assert.match(err.message, /authentication failed/);
      await pause(150);
      assert.equal(connections, 1, 'the server saw exactly one connection');
      assert.deepEqual(w.reconnects, []);
      assert.equal(w.client.state, 'closed');
      assert.equal(w.closes.length, 1);
      assert.deepEqual(
        w.errors.map((e) => e.code),
        [ErrorCode.AuthFailed],
      );
      assert.throws(() => w.client.subscribe(['T.AAPL']), { code: ErrorCode.ClientClosed });
    },
  );

  test('auth_failed text echoing the key is redacted everywhere', T, async (t) => {
    const s = scope(t);
    const server = await startScriptedServer({
      connect: { status: 'connected', message: 'Connected Successfully' },
      auth: (key) => ({ status: 'auth_failed', message: `key ${key} is not valid` }),
    });
    s.defer(() => server.close());
    const w = s.watch(server.url);
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.AuthFailed);
    assert.match(err.message, /key \*\*\* is not valid/);
  });

  test('a subscribe refusal echoing the key is redacted everywhere', T, async (t) => {
    const s = scope(t);
    const server = await startScriptedServer({
      connect: { status: 'connected', message: 'Connected Successfully' },
      auth: { status: 'auth_success', message: 'authenticated' },
      onSubscribe: (topics, key) => [
        { status: 'error', message: `${topics.join(',')} not allowed for key ${key}` },
      ],
    });
    s.defer(() => server.close());
    const w = s.watch(server.url);
    await w.start();
    const err = await rejection(w.client.subscribe(['T.AAPL']));
    assert.equal(err.code, ErrorCode.SubscribeFailed);
    assert.match(err.message, /T\.AAPL not allowed for key \*\*\*/);
    assert.equal(w.client.subscriptions().get('T.AAPL')?.state, 'failed');
  });

  test('a close reason echoing the key is redacted in the error and onClose', T, async (t) => {
    const s = scope(t);
    const server = await startScriptedServer({
      connect: { status: 'connected', message: 'Connected Successfully' },
      auth: { status: 'auth_success', message: 'authenticated' },
    });
    s.defer(() => server.close());
    const w = s.watch(server.url, { reconnect: false });
    await w.start();
    server.connections[0]!.ws.close(4001, `bye ${KEY}`);
    await until(() => w.client.state === 'closed', 'closed');
    assert.equal(w.errors[0]?.code, ErrorCode.ConnectionClosed);
    assert.match(w.errors[0]!.message, /bye \*\*\*/);
    assert.deepEqual(w.closes, [{ code: 4001, reason: 'bye ***' }]);
  });

  test(
    'max_connections: MAX_CONNECTIONS quoting the server, stops, no reconnect fight',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const { w, conn } = await streaming(s, sim, ['T.AAPL']);
      const other = await connect(sim, 'stocks');
      s.defer(() => other.close());
      await other.auth(KEY);
      await until(() => w.client.state === 'closed', 'the evicted client to stop');
      assert.equal(w.errors.length, 1);
      const err = w.errors[0]!;
      assert.equal(err.code, ErrorCode.MaxConnections);
      assert.ok(err.message.includes(`"${DEFAULT_MAX_CONNECTIONS_MESSAGE}"`), err.message);
      assert.match(err.message, /Stopping/);
      assert.equal(err.details['serverMessage'], DEFAULT_MAX_CONNECTIONS_MESSAGE);
      await pause(150);
      assert.deepEqual(w.reconnects, []);
      assert.equal(w.closes.length, 1);
      const open = sim.connections();
      assert.equal(open.length, 1, 'only the newer connection is left');
      assert.notEqual(open[0]!.id, conn.id);
    },
  );

  test(
    'max_connections between two clients (allowDuplicateClient): the older one stops',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const { w: first } = await streaming(s, sim, ['T.AAPL']);
      assert.throws(() => s.watch(sim.url).start(), { code: ErrorCode.DuplicateClient });
      const second = s.watch(sim.url, { allowDuplicateClient: true });
      await second.start();
      await until(() => first.client.state === 'closed', 'the older client to stop');
      assert.equal(first.errors[0]?.code, ErrorCode.MaxConnections);
      assert.deepEqual(first.reconnects, []);
      await pause(150);
      assert.equal(second.client.state, 'open');
      assert.deepEqual(second.reconnects, []);
    },
  );

  test('reclaimAfterMs below 60 s is rejected by the config', () => {
    assert.throws(
      () => new StreamClient(KEY, 'stocks', { onMaxConnections: 'reclaim', reclaimAfterMs: 0 }),
      { code: ErrorCode.InvalidOption },
    );
    for (const reclaimAfterMs of [1_000, 59_999]) {
      assert.throws(
        () => new StreamClient(KEY, 'stocks', { onMaxConnections: 'reclaim', reclaimAfterMs }),
        (e: unknown) =>
          e instanceof PolygonStreamError &&
          e.code === ErrorCode.InvalidOption &&
          /reclaimAfterMs must be at least 60000/.test(e.message) &&
          !e.message.includes(KEY),
      );
    }
    assert.doesNotThrow(() => {
      const c = new StreamClient(KEY, 'stocks', {
        onMaxConnections: 'reclaim',
        reclaimAfterMs: 60_000,
      });
      assert.equal(c.state, 'idle');
    });
    assert.throws(() => new StreamClient(KEY, 'stocks', { onMaxConnections: 'fight' as 'stop' }), {
      code: ErrorCode.InvalidOption,
    });
  });

  test("onMaxConnections 'reclaim' reconnects after reclaimAfterMs (mock timers)", T, async (t) => {
    // setTimeout is fake for the whole test (a real timer cleared by the fake clearTimeout would
    // keep the process alive), so the 60 s reclaim delay passes on tick(). Reset inside the test:
    // node:test clears its own (real) timeout timer when the body ends.
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const s = scope(t);
      const sim = await s.sim();
      const { w, conn } = await streaming(s, sim, ['T.AAPL'], {
        onMaxConnections: 'reclaim',
        reclaimAfterMs: 60_000,
      });
      const other = await connect(sim, 'stocks');
      s.defer(() => other.close());
      await other.auth(KEY);
      await until(() => w.client.state === 'reconnecting', 'reconnecting', 3_000);
      assert.equal(w.reconnects.length, 1);
      assert.equal(w.reconnects[0]!.delayMs, 60_000);
      assert.equal(w.reconnects[0]!.cause.code, ErrorCode.MaxConnections);
      assert.equal(w.errors[0]?.code, ErrorCode.MaxConnections);
      assert.match(w.errors[0]!.message, /Reclaiming the connection in 60 s/);
      mock.timers.tick(59_000);
      await pause(20);
      assert.equal(w.client.state, 'reconnecting', 'not before reclaimAfterMs');
      mock.timers.tick(1_000);
      const reclaimed = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 1);
      assert.deepEqual(sorted(reclaimed.subscriptions), ['T.AAPL']);
      const closed = await other.closed;
      assert.equal(closed.code, 1008, 'the other connection is the one evicted now');
    } finally {
      mock.timers.reset();
    }
  });

  test(
    'old spellings: success/"Connected Successfully" then success/"authenticated"',
    T,
    async (t) => {
      const s = scope(t);
      const server = await startScriptedServer({
        connect: { status: 'success', message: 'Connected Successfully' },
        auth: { status: 'success', message: 'authenticated' },
      });
      s.defer(() => server.close());
      const w = s.watch(server.url);
      await w.start();
      assert.equal(w.client.state, 'open');
      const result = await w.client.subscribe(['T.AAPL']);
      assert.deepEqual(result.topics, ['T.AAPL']);
      assert.deepEqual(server.connections[0]?.received, [
        { action: 'auth', params: KEY },
        { action: 'subscribe', params: 'T.AAPL' },
      ]);
      assert.deepEqual(w.errors, []);
    },
  );

  test('success/"Connected Successfully" alone is not taken for auth success', T, async (t) => {
    const s = scope(t);
    const server = await startScriptedServer({
      connect: { status: 'success', message: 'Connected Successfully' },
    });
    s.defer(() => server.close());
    const w = s.watch(server.url, { reconnect: false, authTimeoutMs: 200 });
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.AuthTimeout);
    assert.ok(!w.states.includes('open'), `states: ${w.states.join(',')}`);
  });

  test('an old server answering auth with error fails auth', T, async (t) => {
    const s = scope(t);
    const server = await startScriptedServer({
      connect: { status: 'connected', message: 'Connected Successfully' },
      auth: { status: 'error', message: 'not authorized' },
    });
    s.defer(() => server.close());
    const w = s.watch(server.url);
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.AuthFailed);
    assert.match(err.message, /not authorized/);
    await pause(100);
    assert.equal(server.connections.length, 1);
  });

  test('force_disconnect: reconnects and resubscribes', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const { w, conn } = await streaming(s, sim, ['T.AAPL', 'Q.MSFT']);
    conn.forceDisconnect('maintenance');
    const next = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 2);
    assert.deepEqual(sorted(subscribes(next)[0] ?? []), ['Q.MSFT', 'T.AAPL']);
    assert.equal(subscribes(next).length, 1);
    assert.equal(w.reconnects[0]?.cause.code, ErrorCode.ForceDisconnect);
    assert.match(w.reconnects[0]!.cause.message, /maintenance/);
    assert.deepEqual(sorted(w.resubscribes[0] ?? []), ['Q.MSFT', 'T.AAPL']);
  });

  test('slow_consumer: SLOW_CONSUMER with figures, reported, then reconnect', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim({ eventsPerSecond: 400, tickMs: 20 });
    const { w, conn } = await streaming(s, sim, ['T.AAPL']);
    w.client.on('T', () => undefined);
    await pause(100);
    conn.sendStatus('slow_consumer', 'consumer too slow', { code: 1008 });
    await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 1);
    const cause = w.reconnects[0]?.cause;
    assert.equal(cause?.code, ErrorCode.SlowConsumer);
    for (const figure of ['eventsPerSecond', 'queueDepth', 'dropped', 'socketBufferedBytes']) {
      assert.ok(figure in cause.details, `details has ${figure}`);
      assert.ok(cause.message.includes(figure), `message quotes ${figure}`);
    }
    assert.equal(cause.details['serverMessage'], 'consumer too slow');
    assert.match(cause.message, /consumer too slow/);
    const reported = w.errors.find((e) => e.code === ErrorCode.SlowConsumer);
    assert.ok(reported, 'the user is told (onError), not only the reconnect event');
  });

  test('an unknown status is passed to status listeners and changes nothing', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const { w, conn } = await streaming(s, sim, ['T.AAPL']);
    const statuses: unknown[] = [];
    w.client.on('status', (e) => statuses.push(e));
    conn.sendRaw('[{"ev":"status","status":"weird"}]');
    conn.sendRaw('[{"ev":"status","status":"weird","message":"something new"}]');
    await until(() => statuses.length === 2, 'the unknown statuses');
    assert.deepEqual(statuses[0], { ev: 'status', status: 'weird' });
    await pause(50);
    assert.equal(w.client.state, 'open');
    assert.deepEqual(w.reconnects, []);
    assert.deepEqual(w.errors, []);
  });
});

describe('subscribe results', () => {
  test('resolves after the acks; pending until then, active after', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    sim.faults.ackDelayMs = 100;
    const w = s.watch(sim.url);
    await w.start();
    const done = w.client.subscribe(['T.AAPL', 'T.MSFT']);
    let settled = false;
    void done.then(() => (settled = true));
    assert.deepEqual(
      [...w.client.subscriptions().values()].map((x) => x.state),
      ['pending', 'pending'],
    );
    await pause(50);
    assert.equal(settled, false, 'not resolved before the acks');
    assert.deepEqual(await done, { topics: ['T.AAPL', 'T.MSFT'] });
    assert.deepEqual(
      [...w.client.subscriptions().values()].map((x) => x.state),
      ['active', 'active'],
    );
    const conn = await sim.waitFor((c) => c.authenticated);
    assert.deepEqual(sorted(conn.subscriptions), ['T.AAPL', 'T.MSFT']);
  });

  test(
    'refused, silent and acknowledged topics: SUBSCRIBE_FAILED, SUBSCRIBE_TIMEOUT, active',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      sim.faults.rejectTopics.set('T.BAD', 'not entitled to T.BAD');
      sim.faults.rejectTopics.set('T.NOPE', 'not authorized');
      sim.faults.silentTopics.add('T.QUIET');
      const w = s.watch(sim.url, { subscribeTimeoutMs: 200 });
      await w.start();

      const bad = await rejection(w.client.subscribe(['T.BAD']));
      assert.equal(bad.code, ErrorCode.SubscribeFailed);
      assert.match(bad.message, /not entitled to T\.BAD/);
      assert.equal(w.errors.at(-1)?.code, ErrorCode.SubscribeFailed);
      assert.match(w.errors.at(-1)!.message, /not entitled to T\.BAD/);

      // A refusal naming no topic is charged to the oldest request still waiting.
      const nope = w.client.subscribe(['T.NOPE']);
      const good = w.client.subscribe(['T.AAPL']);
      const nopeErr = await rejection(nope);
      assert.equal(nopeErr.code, ErrorCode.SubscribeFailed);
      assert.match(nopeErr.message, /not authorized/);
      assert.deepEqual(nopeErr.details['topics'], ['T.NOPE']);
      assert.deepEqual(await good, { topics: ['T.AAPL'] });

      const startedAt = Date.now();
      const quiet = await rejection(w.client.subscribe(['T.QUIET']), 2_000);
      assert.equal(quiet.code, ErrorCode.SubscribeTimeout);
      assert.ok(Date.now() - startedAt < 1_000, 'the timeout fires, nothing hangs');
      assert.equal(w.errors.at(-1)?.code, ErrorCode.SubscribeTimeout);

      const states = Object.fromEntries(
        [...w.client.subscriptions()].map(([topic, st]) => [topic, st.state]),
      );
      assert.deepEqual(states, {
        'T.BAD': 'failed',
        'T.NOPE': 'failed',
        'T.AAPL': 'active',
        'T.QUIET': 'pending',
      });
      assert.equal(w.client.subscriptions().get('T.NOPE')?.reason, 'not authorized');
      assert.equal(w.client.state, 'open');
    },
  );

  test(
    'a terse refusal charged to a request with several topics: acked topics stay held',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      sim.faults.rejectTopics.set('T.NOPE', 'not authorized');
      const w = s.watch(sim.url);
      await w.start();
      const err = await rejection(w.client.subscribe(['T.NOPE', 'T.AAPL']));
      assert.equal(err.code, ErrorCode.SubscribeFailed);
      const conn = await sim.waitFor((c) => c.authenticated && c.subscriptions.size === 1);
      await pause(50);
      // The server acknowledged and holds T.AAPL: the client must agree, or it drifts from the server
      // (not re-subscribed after a reconnect, a later subscribe met with silence).
      assert.equal(w.client.subscriptions().get('T.AAPL')?.state, 'active');
      assert.equal(w.client.subscriptions().get('T.NOPE')?.state, 'failed');
      conn.drop();
      const next = await sim.waitFor((c) => fresh(conn)(c) && c.received.length >= 2);
      assert.deepEqual(subscribes(next), [['T.AAPL']]);
    },
  );

  test('a subscribe nobody awaits that fails causes no unhandled rejection', T, async (t) => {
    const s = scope(t);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    s.defer(() => process.off('unhandledRejection', onUnhandled));
    const sim = await s.sim();
    sim.faults.rejectTopics.set('T.BAD', 'not entitled');
    sim.faults.silentTopics.add('T.QUIET');
    const w = s.watch(sim.url, { subscribeTimeoutMs: 100 });
    await w.start();
    w.client.subscribe(['T.BAD']);
    w.client.subscribe(['T.QUIET']);
    w.client.unsubscribe(['T.QUIET']);
    w.client.subscribe(['T.QUIET2']);
    sim.faults.silentTopics.add('T.QUIET2');
    await until(
      () => w.errors.filter((e) => e.code === ErrorCode.SubscribeTimeout).length > 0,
      'the timeout',
    );
    await pause(50);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
    assert.ok(w.errors.some((e) => e.code === ErrorCode.SubscribeFailed));
  });

  test(
    'a subscribe still waiting when the stream closes rejects CLIENT_CLOSED, unhandled-safe',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      sim.faults.silentTopics.add('T.QUIET');
      const w = s.watch(sim.url);
      await w.start();
      const waiting = w.client.subscribe(['T.QUIET']);
      await w.client.closeStream();
      const err = await rejection(waiting);
      assert.equal(err.code, ErrorCode.ClientClosed);
    },
  );
});

describe('subscriptions across a reconnect', () => {
  test('an unsubscribed topic is not restored on the new connection', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const { w, conn } = await streaming(s, sim, ['T.AAPL', 'T.MSFT']);
    await w.client.unsubscribe(['T.MSFT']);
    assert.deepEqual(sorted(conn.subscriptions), ['T.AAPL']);
    conn.drop();
    const next = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 1);
    await pause(50);
    assert.deepEqual(subscribes(next), [['T.AAPL']]);
    assert.deepEqual(sorted(next.subscriptions), ['T.AAPL']);
    assert.deepEqual(sorted(w.client.subscriptions().keys()), ['T.AAPL']);
  });

  test(
    'subscribe and unsubscribe while reconnecting go out once, in the resubscribe',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const { w, conn } = await streaming(s, sim, ['T.AAPL', 'T.MSFT'], {
        reconnect: { ...FAST_RECONNECT, initialDelayMs: 150 },
      });
      let during: Promise<unknown> | undefined;
      w.client.on('state', ({ state }) => {
        if (state !== 'reconnecting' || during) return;
        during = Promise.all([w.client.subscribe(['T.NEW']), w.client.unsubscribe(['T.MSFT'])]);
      });
      conn.drop();
      const next = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 2);
      await during;
      await pause(50);
      assert.equal(next.received.length, 2, JSON.stringify(next.received));
      assert.deepEqual(next.received[0], { action: 'auth', params: KEY });
      assert.equal(next.received[1]?.action, 'subscribe');
      assert.deepEqual(sorted(subscribes(next)[0] ?? []), ['T.AAPL', 'T.NEW']);
      assert.deepEqual(sorted(next.subscriptions), ['T.AAPL', 'T.NEW']);
      assert.deepEqual(
        [...w.client.subscriptions().values()].map((x) => x.state),
        ['active', 'active'],
      );
    },
  );
});

describe('lifecycle around reconnects', () => {
  test('subscribe before startStreamThread goes out once, after auth', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const w = s.watch(sim.url);
    const done = w.client.subscribe(['T.AAPL', 'Q.AAPL']);
    await w.start();
    assert.deepEqual(await done, { topics: ['T.AAPL', 'Q.AAPL'] });
    const conn = await sim.waitFor((c) => c.authenticated);
    assert.deepEqual(conn.received, [
      { action: 'auth', params: KEY },
      { action: 'subscribe', params: 'T.AAPL,Q.AAPL' },
    ]);
  });

  test('closeStream while reconnecting stops for good: no further connection', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const { w, conn } = await streaming(s, sim, ['T.AAPL'], {
      reconnect: { ...FAST_RECONNECT, initialDelayMs: 100 },
    });
    let connections = 0;
    sim.on('connection', () => connections++);
    conn.drop();
    await until(() => w.client.state === 'reconnecting', 'reconnecting');
    await w.client.closeStream();
    assert.equal(w.client.state, 'closed');
    await pause(200);
    assert.equal(connections, 0);
    assert.equal(w.closes.length, 1);
    assert.deepEqual(w.errors, []);
  });
});

describe('bad input from the server', () => {
  test(
    'malformed frames: typed errors or counted skips, unknown ev passes through',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim({ eventsPerSecond: 200, tickMs: 20 });
      const { w, conn } = await streaming(s, sim, ['T.AAPL']);
      let trades = 0;
      const all: { ev: string }[] = [];
      w.client.on('T', () => trades++);
      w.client.on('*', (e) => {
        if (e.ev !== 'T') all.push(e);
      });
      conn.sendRaw('not json');
      conn.sendRaw('{"ev":"T"}');
      conn.sendRaw('[1,2,{"no":"ev"}]');
      conn.sendRaw('[{"ev":"ZZ","sym":"X"}]');
      conn.sendRaw('');
      conn.sendRaw('null');
      await until(() => all.length === 1, 'the unknown event');
      assert.deepEqual(all, [{ ev: 'ZZ', sym: 'X' }]);
      const malformed = w.errors.filter((e) => e.code === ErrorCode.MalformedFrame);
      assert.equal(malformed.length, 4, w.errors.map((e) => e.message).join('\n'));
      assert.deepEqual(
        w.errors.filter((e) => e.code !== ErrorCode.MalformedFrame),
        [],
      );
      assert.equal(w.client.stats().drops['malformed'], 4 + 3);
      const before = trades;
      await until(() => trades > before, 'trades after the garbage');
      assert.equal(w.client.state, 'open');
      assert.deepEqual(w.reconnects, []);
    },
  );

  test(
    'a frame larger than maxFrameBytes closes the connection, which reconnects',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const { w, conn } = await streaming(s, sim, ['T.AAPL'], { maxFrameBytes: 1024 });
      w.client.on('*', () => undefined);
      conn.sendRaw(JSON.stringify([{ ev: 'T', sym: 'AAPL', pad: 'x'.repeat(2_000) }]));
      const next = await sim.waitFor((c) => fresh(conn)(c) && c.subscriptions.size === 1);
      assert.deepEqual(subscribes(next), [['T.AAPL']]);
      const cause = w.reconnects[0]!.cause;
      assert.match(cause.message, /larger than maxFrameBytes, 1024 bytes/);
    },
  );
});

describe('bad servers and networks', () => {
  test('a server that hangs up mid-handshake: CONNECTION_FAILED', T, async (t) => {
    const s = scope(t);
    const server = await startHangupServer();
    s.defer(() => server.close());
    const w = s.watch(server.url, { reconnect: false });
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.ConnectionFailed);
    assert.equal(server.accepted, 1);
    assert.equal(w.client.state, 'closed');
    assert.equal(w.closes.length, 1);
  });

  test('connection refused, reconnect false: CONNECTION_FAILED at once', T, async (t) => {
    const s = scope(t);
    const port = await closedPort();
    const w = s.watch(`ws://127.0.0.1:${port}`, { reconnect: false });
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.ConnectionFailed);
    assert.match(err.message, /ECONNREFUSED/);
    assert.equal(w.closes.length, 1);
    assert.equal(w.closes[0]!.code, 1006);
    assert.match(w.closes[0]!.reason, /ECONNREFUSED/);
    assert.deepEqual(w.reconnects, []);
    assert.equal(w.client.state, 'closed');
    assert.deepEqual(
      w.errors.map((e) => e.code),
      [ErrorCode.ConnectionFailed],
    );
  });

  test(
    'connection refused, maxAttempts 2: RECONNECT_EXHAUSTED after exactly 2 attempts',
    T,
    async (t) => {
      const s = scope(t);
      const port = await closedPort();
      const w = s.watch(`ws://127.0.0.1:${port}`, {
        reconnect: { ...FAST_RECONNECT, maxAttempts: 2 },
      });
      const err = await rejection(w.start());
      assert.equal(err.code, ErrorCode.ReconnectExhausted);
      assert.equal((err.cause as PolygonStreamError).code, ErrorCode.ConnectionFailed);
      assert.deepEqual(
        w.reconnects.map((r) => [r.attempt, r.delayMs, r.cause.code]),
        [
          [1, 10, ErrorCode.ConnectionFailed],
          [2, 20, ErrorCode.ConnectionFailed],
        ],
      );
      await pause(150);
      assert.equal(w.reconnects.length, 2, 'no endless loop');
      assert.equal(w.client.state, 'closed');
      assert.deepEqual(
        w.errors.map((e) => e.code),
        [ErrorCode.ReconnectExhausted],
      );
      assert.equal(w.closes.length, 1);
    },
  );

  test('an unresolvable host: CONNECTION_FAILED', T, async (t) => {
    const s = scope(t);
    const w = s.watch('ws://no-such-host.invalid:1', { reconnect: false });
    const err = await rejection(w.start(), 8_000);
    assert.equal(err.code, ErrorCode.ConnectionFailed);
    assert.match(err.message, /no-such-host\.invalid/);
  });

  test('TLS to a plain-ws port: CONNECTION_FAILED', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const w = s.watch(`wss://127.0.0.1:${sim.port}`, { reconnect: false });
    const err = await rejection(w.start());
    assert.equal(err.code, ErrorCode.ConnectionFailed);
    assert.equal(w.client.state, 'closed');
  });
});

describe('attempt counter', () => {
  /** Evict every connection `afterMs` after it authenticates, `times` times. */
  function evictAfterAuth(sim: Simulator, afterMs: number, times: number): { evicted: number } {
    const counter = { evicted: 0 };
    sim.on('authenticated', (conn) => {
      if (counter.evicted >= times) return;
      counter.evicted++;
      setTimeout(() => conn.forceDisconnect('evicted by the test'), afterMs);
    });
    return counter;
  }

  test(
    'resets only after stableAfterMs: large stableAfterMs runs out of attempts',
    T,
    async (t) => {
      const s = scope(t);
      const sim = await s.sim();
      const counter = evictAfterAuth(sim, 30, 20);
      const w = s.watch(sim.url, {
        reconnect: { ...FAST_RECONNECT, maxAttempts: 3, stableAfterMs: 10_000 },
      });
      await w.start();
      await until(() => w.client.state === 'closed', 'the client to give up');
      assert.deepEqual(
        w.reconnects.map((r) => r.attempt),
        [1, 2, 3],
      );
      assert.equal(counter.evicted, 4, 'authenticated four times, never stable');
      assert.deepEqual(
        w.errors.map((e) => e.code),
        [ErrorCode.ReconnectExhausted],
      );
    },
  );

  test('a connection stable for stableAfterMs resets it: evictions never exhaust', T, async (t) => {
    const s = scope(t);
    const sim = await s.sim();
    const counter = evictAfterAuth(sim, 60, 6);
    const w = s.watch(sim.url, {
      reconnect: { ...FAST_RECONNECT, maxAttempts: 3, stableAfterMs: 20 },
    });
    await w.start();
    await until(() => counter.evicted === 6 && w.reconnects.length === 6, 'six evictions');
    await until(() => w.client.state === 'open', 'open again');
    assert.deepEqual(
      w.reconnects.map((r) => r.attempt),
      [1, 1, 1, 1, 1, 1],
    );
    assert.deepEqual(w.errors, []);
  });
});
