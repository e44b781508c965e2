/**
 * Never lose the stream (README): a bounded soak. One client against the real simulator takes a
 * seeded random sequence of a few hundred faults (drops, force_disconnects, malformed frames, ack
 * delays) interleaved with random subscribes and unsubscribes. At the end the server's set on the
 * live connection equals the client's intended set, and no connection ever saw a topic twice in
 * one subscribe message or a subscribe for a topic it already held.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { StreamClient } from '../../src/client/stream-client.js';
import type { ClientMessage } from '../../src/protocol/codec.js';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import { startSimulator, type SimConnection } from '../../src/simulator/index.js';
import { errorText, recordingLogger } from '../helpers/servers.js';
import { pause } from '../helpers/sim.js';

const KEY = 'SECRET-KEY-123';
const SEED = Number(process.env['SOAK_SEED'] ?? 20_240_611);
const STEPS = 300;
const STEP_MS = 12;
const TOPICS = [
  'T.AAPL',
  'T.MSFT',
  'T.GOOG',
  'T.AMZN',
  'T.NVDA',
  'Q.AAPL',
  'Q.MSFT',
  'Q.TSLA',
  'AM.AAPL',
  'A.MSFT',
  'T.*',
  'AM.*',
];
const GARBAGE = ['not json', '{"ev":"T"}', '[1,2,{"no":"ev"}]', '[{"ev":"ZZ","sym":"X"}]', '[]'];

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Protocol violations on one connection, replaying what it received against its held set. */
function violations(conn: SimConnection): string[] {
  const found: string[] = [];
  const held = new Set<string>();
  conn.received.forEach((msg: ClientMessage, i) => {
    if (i === 0 && msg.action !== 'auth')
      found.push(`conn ${conn.id}: first message ${msg.action}`);
    if (msg.action === 'auth') return;
    const topics = msg.params.split(',');
    if (new Set(topics).size !== topics.length) {
      found.push(`conn ${conn.id} #${i}: a topic twice in one ${msg.action}: ${msg.params}`);
    }
    for (const topic of topics) {
      if (msg.action === 'subscribe') {
        if (held.has(topic)) found.push(`conn ${conn.id} #${i}: subscribe of held ${topic}`);
        held.add(topic);
      } else {
        if (!held.has(topic)) found.push(`conn ${conn.id} #${i}: unsubscribe of unheld ${topic}`);
        held.delete(topic);
      }
    }
  });
  return found;
}

test(
  'soak: seeded faults and random (un)subscribes keep client and server in step',
  { timeout: 30_000 },
  async (t) => {
    const random = prng(SEED);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const some = (): string[] => [
      ...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(TOPICS))),
    ];

    const sim = await startSimulator({ eventsPerSecond: 300, tickMs: 20, seed: SEED });
    const connections: SimConnection[] = [];
    sim.on('connection', (c) => connections.push(c));
    const lines: string[] = [];
    const errors: PolygonStreamError[] = [];
    const reconnectCauses = new Map<string, number>();
    const outcomes = new Map<string, number>();
    const requests: Promise<unknown>[] = [];
    const client = new StreamClient(KEY, 'stocks', {
      host: sim.url,
      reconnect: {
        initialDelayMs: 5,
        maxDelayMs: 20,
        factor: 2,
        jitter: 0,
        maxAttempts: 10_000,
        stableAfterMs: 20,
      },
      subscribeTimeoutMs: 3_000,
      logger: recordingLogger(lines),
      onMessage: () => undefined,
      onClose: () => undefined,
      onError: (_c, e) => errors.push(e as PolygonStreamError),
    });
    let events = 0;
    client.on('*', () => events++);
    client.on('reconnect', ({ cause }) => {
      reconnectCauses.set(cause.code, (reconnectCauses.get(cause.code) ?? 0) + 1);
      errors.push(cause);
    });
    const track = (what: string, promise: Promise<unknown>): void => {
      requests.push(
        promise.then(
          () => outcomes.set(`${what} ok`, (outcomes.get(`${what} ok`) ?? 0) + 1),
          (e: PolygonStreamError) => {
            errors.push(e);
            outcomes.set(`${what} ${e.code}`, (outcomes.get(`${what} ${e.code}`) ?? 0) + 1);
          },
        ),
      );
    };

    const startedAt = Date.now();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    try {
      await client.startStreamThread({ pingInterval: 0.1, pingTimeout: 0.5 });
      const faults = new Map<string, number>();
      const count = (name: string): void => void faults.set(name, (faults.get(name) ?? 0) + 1);
      for (let step = 0; step < STEPS; step++) {
        const live = sim.connections().filter((c) => c.authenticated);
        const conn = live.at(-1);
        const r = random();
        if (r < 0.05) {
          count('drop');
          conn?.drop();
        } else if (r < 0.08) {
          count('force_disconnect');
          conn?.forceDisconnect('soak');
        } else if (r < 0.18) {
          count('malformed');
          conn?.sendRaw(pick(GARBAGE));
        } else if (r < 0.25) {
          count('ackDelay');
          sim.faults.ackDelayMs = random() < 0.3 ? 0 : Math.floor(random() * 60);
        } else if (r < 0.63) {
          count('subscribe');
          track('subscribe', client.subscribe(some()));
        } else {
          count('unsubscribe');
          track('unsubscribe', client.unsubscribe(some()));
        }
        await pause(Math.floor(random() * 2 * STEP_MS));
      }
      sim.faults.ackDelayMs = 0;

      // Settle: open, every request answered, nothing pending.
      const deadline = Date.now() + 5_000;
      const settled = (): boolean =>
        client.state === 'open' &&
        [...client.subscriptions().values()].every((s) => s.state !== 'pending');
      await Promise.all(requests);
      while (!settled()) {
        assert.ok(Date.now() < deadline, `did not settle: ${client.state}`);
        await pause(10);
      }
      await pause(50);

      const intended = [...client.subscriptions()]
        .filter(([, s]) => s.state !== 'failed')
        .map(([topic]) => topic)
        .sort();
      const live = sim.connections().filter((c) => c.authenticated);
      assert.equal(live.length, 1, 'one live connection');
      assert.deepEqual([...live[0]!.subscriptions].sort(), intended);

      const problems = connections.flatMap(violations);
      assert.deepEqual(problems, []);

      const unexpected = errors.filter(
        (e) =>
          e.code !== ErrorCode.MalformedFrame &&
          e.code !== ErrorCode.ConnectionClosed &&
          e.code !== ErrorCode.ForceDisconnect,
      );
      assert.deepEqual(
        unexpected.map((e) => `${e.code}: ${e.message}`),
        [],
        `no subscribe timed out or failed, no heartbeat or other failure (event loop delay max ${Math.round(loopDelay.max / 1e6)} ms)`,
      );
      assert.ok((faults.get('drop') ?? 0) + (faults.get('force_disconnect') ?? 0) >= 10);
      assert.ok(events > 0, 'data flowed');
      const leaks = [...lines, ...errors.map((e) => errorText(e))].filter((x) => x.includes(KEY));
      assert.deepEqual(leaks, [], 'the API key never appears in a log line or an error');

      t.diagnostic(
        `seed ${SEED}: ${connections.length} connections, faults ${JSON.stringify(Object.fromEntries(faults))}, ` +
          `reconnect causes ${JSON.stringify(Object.fromEntries(reconnectCauses))}, ` +
          `requests ${JSON.stringify(Object.fromEntries(outcomes))}, ${events} events, ` +
          `final set [${intended.join(',')}], ${Date.now() - startedAt} ms, ` +
          `event loop delay max ${Math.round(loopDelay.max / 1e6)} ms`,
      );
    } finally {
      loopDelay.disable();
      await client.closeStream();
      await sim.close();
    }
  },
);
