/** The simulator's protocol, faults, publish, replay and shutdown, through a real ws client. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import type { WireEvent } from '../../src/protocol/codec.js';
import { startSimulator, type SimConnection } from '../../src/simulator/index.js';
import {
  connect,
  isAck,
  isData,
  isStatus,
  nextEvent,
  pause,
  TestClient,
  within,
  withSimulator,
} from '../helpers/sim.js';

const T = { timeout: 10_000 };
const QUIET = { eventsPerSecond: 0 };
const BUSY = { eventsPerSecond: 2_000, tickMs: 10 };
const MAX_CONN =
  'Maximum number of websocket connections exceeded. You have reached the connection limit for your account.';

const trade = (sym: string, t: number, extra: object = {}): WireEvent => ({
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

describe('simulator: session', () => {
  it('sends connected, then auth_success for any non-empty key', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks');
      assert.deepEqual(JSON.parse(c.frames[0] as string), [
        { ev: 'status', status: 'connected', message: 'Connected Successfully' },
      ]);
      await c.auth('anything');
      assert.ok(c.events.some(isStatus('auth_success', 'authenticated')));
      const conn = await sim.waitFor((x) => x.authenticated);
      assert.equal(conn.apiKey, 'anything');
      assert.equal(conn.cluster, 'stocks');
      assert.deepEqual(conn.received, [{ action: 'auth', params: 'anything' }]);
    }),
  );

  it('fails a key outside apiKeys, and an empty key, then closes with 1008', T, () =>
    withSimulator({ ...QUIET, apiKeys: ['good'] }, async (_sim, open) => {
      for (const key of ['bad', '']) {
        const c = await open('stocks');
        c.send({ action: 'auth', params: key });
        await c.waitFor(isStatus('auth_failed', 'authentication failed'));
        assert.equal((await within(c.closed, 2000, 'close')).code, 1008);
      }
      const ok = await open('stocks');
      await ok.auth('good');
    }),
  );

  it('answers subscribe before auth with auth_required', T, () =>
    withSimulator(QUIET, async (_sim, open) => {
      const c = await open('stocks');
      c.send({ action: 'subscribe', params: 'T.AAPL' });
      await c.waitFor(isStatus('auth_required'));
    }),
  );

  it('sends auth_timeout and closes when no auth arrives in time', T, () =>
    withSimulator({ ...QUIET, authTimeoutMs: 100 }, async (_sim, open) => {
      const c = await open('stocks');
      await c.waitFor(isStatus('auth_timeout'));
      assert.equal((await within(c.closed, 2000, 'close')).code, 1008);
    }),
  );

  it('answers malformed messages with an error status and stays usable', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks');
      c.send('not json');
      await c.waitFor(isStatus('error'));
      c.send({ action: 'auth' });
      await c.waitForMany(isStatus('error'), 2);
      c.send({ action: 'dance', params: 'x' });
      await c.waitForMany(isStatus('error'), 3);
      await c.auth();
      const conn = await sim.waitFor((x) => x.authenticated);
      assert.deepEqual(
        conn.received.map((m) => m.action),
        ['dance', 'auth'],
      );
    }),
  );

  it('rejects unknown paths with HTTP 404', T, async () => {
    const sim = await startSimulator(QUIET);
    try {
      for (const path of ['nope', 'stocks/extra', '']) {
        const ws = new WebSocket(`${sim.url}/${path}`);
        ws.on('error', () => undefined);
        const [, res] = await nextEvent<[unknown, { statusCode: number }]>(
          ws,
          'unexpected-response',
        );
        assert.equal(res.statusCode, 404, path);
        ws.terminate();
      }
    } finally {
      await sim.close();
    }
  });

  it('evicts the older connection on the same cluster and key with max_connections / 1008', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const first = await open('stocks', 'K');
      const other = await open('crypto', 'K');
      const evicted = nextEvent<[SimConnection]>(sim, 'close');
      const second = await open('stocks', 'K');
      await first.waitFor(isStatus('max_connections', MAX_CONN));
      assert.equal((await within(first.closed, 2000, 'close')).code, 1008);
      assert.equal((await evicted)[0].apiKey, 'K');
      const open2 = sim
        .connections()
        .map((c) => c.cluster)
        .sort();
      assert.deepEqual(open2, ['crypto', 'stocks']);
      assert.ok(!second.events.some(isStatus('max_connections')));
      assert.ok(!other.events.some(isStatus('max_connections')));
    }),
  );

  it('uses maxConnectionsMessage when given', T, () =>
    withSimulator({ ...QUIET, maxConnectionsMessage: 'too many' }, async (_sim, open) => {
      const first = await open('forex', 'K');
      await open('forex', 'K');
      await first.waitFor(isStatus('max_connections', 'too many'));
    }),
  );
});

describe('simulator: subscriptions and data', () => {
  it('acks each topic in its own frame, in the real format', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('options', 'k');
      const before = c.frames.length;
      c.send({ action: 'subscribe', params: 'T.O:SPY251219C00650000, Q.*' });
      await c.waitFor(isAck('subscribed', 'Q.*'));
      assert.deepEqual(
        c.frames.slice(before).map((f) => JSON.parse(f)),
        [
          [{ ev: 'status', status: 'success', message: 'subscribed to: T.O:SPY251219C00650000' }],
          [{ ev: 'status', status: 'success', message: 'subscribed to: Q.*' }],
        ],
      );
      c.send({ action: 'unsubscribe', params: 'Q.*' });
      await c.waitFor(isAck('unsubscribed', 'Q.*'));
      const conn = await sim.waitFor((x) => x.subscriptions.size === 1);
      assert.deepEqual([...conn.subscriptions], ['T.O:SPY251219C00650000']);
    }),
  );

  it('answers a topic the cluster does not carry with an error naming it', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      c.send({ action: 'subscribe', params: 'XT.X:BTC-USD,V.I:SPX,garbage,T.AAPL' });
      await c.waitFor(isAck('subscribed', 'T.AAPL'));
      const errors = c.events.filter(isStatus('error')).map((e) => String(e.message));
      assert.equal(errors.length, 3);
      for (const [i, topic] of ['XT.X:BTC-USD', 'V.I:SPX', 'garbage'].entries()) {
        assert.ok(errors[i]?.includes(topic), `${topic}: ${String(errors[i])}`);
      }
      const conn = await sim.waitFor((x) => x.authenticated);
      assert.deepEqual([...conn.subscriptions], ['T.AAPL']);
    }),
  );

  it('says nothing when a topic already held is subscribed again', T, () =>
    withSimulator(QUIET, async (_sim, open) => {
      const c = await open('stocks', 'k');
      await c.subscribe('T.AAPL');
      c.send({ action: 'subscribe', params: 'T.AAPL' });
      await c.subscribe('T.MSFT'); // replies are in order: a reply to the duplicate would precede
      assert.equal(c.events.filter(isAck('subscribed', 'T.AAPL')).length, 1);
    }),
  );

  it('sends data only for subscribed topics, wildcards included, one frame per tick', T, () =>
    withSimulator({ ...BUSY, seed: 3 }, async (_sim, open) => {
      const c = await open('stocks', 'k');
      await c.subscribe('T.AAPL,Q.*');
      const data = await c.waitForMany(isData, 300);
      for (const e of data) {
        assert.ok((e.ev === 'T' && e.sym === 'AAPL') || e.ev === 'Q', JSON.stringify(e));
      }
      assert.ok(data.some((e) => e.ev === 'T'));
      assert.ok(new Set(data.filter((e) => e.ev === 'Q').map((e) => e.sym)).size > 5);
      const dataFrames = c.frames.filter((f) => !f.includes('"status"'));
      assert.ok(dataFrames.some((f) => (JSON.parse(f) as unknown[]).length > 1));
      // Sequence numbers rise strictly per symbol.
      const last = new Map<string, number>();
      for (const e of data) {
        const prev = last.get(e.sym as string) ?? -1;
        assert.ok((e.q as number) > prev, `q of ${String(e.sym)}`);
        last.set(e.sym as string, e.q as number);
      }
    }),
  );

  it('serves explicit symbols outside the built-in universe and prefixes bare ones', T, () =>
    withSimulator(BUSY, async (_sim, open) => {
      const c = await open('crypto', 'k');
      await c.subscribe('XT.ZZZ-USD,XQ.BTC-USD');
      await c.waitFor((e) => e.ev === 'XT' && e.pair === 'ZZZ-USD');
      await c.waitFor((e) => e.ev === 'XQ' && e.pair === 'BTC-USD');
    }),
  );

  it('stops data after unsubscribe', T, () =>
    withSimulator(BUSY, async (_sim, open) => {
      const c = await open('stocks', 'k');
      await c.subscribe('T.*,Q.AAPL');
      await c.waitFor((e) => e.ev === 'T');
      c.send({ action: 'unsubscribe', params: 'T.*' });
      await c.waitFor(isAck('unsubscribed', 'T.*'));
      const from = c.events.length;
      await c.waitForMany((e) => e.ev === 'Q', 50, from);
      assert.equal(c.events.slice(from).filter((e) => e.ev === 'T').length, 0);
    }),
  );

  it('is deterministic for a seed', T, async () => {
    const firstFrame = async (): Promise<unknown[]> => {
      let out: unknown[] = [];
      await withSimulator({ seed: 42, eventsPerSecond: 400 }, async (_sim, open) => {
        const c = await open('stocks', 'k');
        await c.subscribe('T.*');
        const e = await c.waitFor(isData);
        const frame = c.frames.find((f) => f.includes(`"q":${String(e.q)}`)) as string;
        out = (JSON.parse(frame) as WireEvent[]).map(({ t: _t, trft: _f, ...rest }) => rest);
      });
      return out;
    };
    assert.deepEqual(await firstFrame(), await firstFrame());
  });

  it('slow consumer: a client that stops reading is cut off', T, () =>
    withSimulator(
      { eventsPerSecond: 400_000, tickMs: 20, slowConsumerBytes: 64 * 1024 },
      async (sim, open) => {
        const c = await open('stocks', 'k');
        await c.subscribe('Q.*');
        const closed = nextEvent<[SimConnection]>(sim, 'close', 8000);
        (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
        await closed;
        (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
        const info = await within(c.closed, 5000, 'client close');
        assert.equal(info.code, 1006);
      },
    ),
  );
});

describe('simulator: heartbeat and faults', () => {
  const pongs = (c: TestClient): { count: number } => {
    const box = { count: 0 };
    c.ws.on('pong', () => box.count++);
    return box;
  };

  it('answers pings, and stops when stalled (per connection and server-wide)', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      const box = pongs(c);
      c.ws.ping();
      await nextEvent(c.ws, 'pong');
      const conn = await sim.waitFor((x) => x.authenticated);
      conn.stallPongs();
      c.ws.ping();
      await c.subscribe('T.A'); // the server handles frames in order: a pong would come first
      assert.equal(box.count, 1);
      conn.stallPongs(false);
      sim.faults.stallPongs = true;
      c.ws.ping();
      await c.subscribe('T.B');
      assert.equal(box.count, 1);
      sim.faults.stallPongs = false;
      c.ws.ping();
      await nextEvent(c.ws, 'pong');
    }),
  );

  it('delays acks by faults.ackDelayMs', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      sim.faults.ackDelayMs = 150;
      const started = Date.now();
      c.send({ action: 'subscribe', params: 'T.AAPL' });
      const conn = await sim.waitFor((x) => x.subscriptions.has('T.AAPL'));
      assert.ok(!c.events.some(isAck('subscribed', 'T.AAPL')));
      await c.waitFor(isAck('subscribed', 'T.AAPL'));
      assert.ok(Date.now() - started >= 140);
      assert.ok(conn.subscriptions.has('T.AAPL'));
    }),
  );

  it('keeps silentTopics unacknowledged but subscribed', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      sim.faults.silentTopics.add('T.AAPL');
      c.send({ action: 'subscribe', params: 'T.AAPL,T.MSFT' });
      await c.waitFor(isAck('subscribed', 'T.MSFT'));
      assert.ok(!c.events.some(isAck('subscribed', 'T.AAPL')));
      const conn = await sim.waitFor((x) => x.subscriptions.has('T.AAPL'));
      assert.equal(conn.subscriptions.size, 2);
    }),
  );

  it('refuses rejectTopics with their error text', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      sim.faults.rejectTopics.set('T.NOPE', 'not authorized');
      c.send({ action: 'subscribe', params: 'T.NOPE,T.MSFT' });
      await c.waitFor(isStatus('error', 'not authorized'));
      await c.waitFor(isAck('subscribed', 'T.MSFT'));
      const conn = await sim.waitFor((x) => x.subscriptions.has('T.MSFT'));
      assert.ok(!conn.subscriptions.has('T.NOPE'));
    }),
  );

  it('drop() cuts the socket without a close frame', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const c = await open('stocks', 'k');
      (await sim.waitFor((x) => x.authenticated)).drop();
      assert.equal((await within(c.closed, 2000, 'close')).code, 1006);
    }),
  );

  it('pauseData() stops generated data until resumed', T, () =>
    withSimulator(BUSY, async (sim, open) => {
      const c = await open('stocks', 'k');
      await c.subscribe('Q.*');
      await c.waitFor(isData);
      const conn = await sim.waitFor((x) => x.authenticated);
      conn.pauseData();
      conn.sendRaw('[{"ev":"status","status":"marker","message":"paused"}]');
      await c.waitFor(isStatus('marker'));
      const from = c.events.length;
      await pause(150); // ~15 ticks
      assert.equal(c.events.slice(from).filter(isData).length, 0);
      conn.pauseData(false);
      await c.waitFor(isData, from);
    }),
  );

  it('sendRaw, sendStatus with close, and forceDisconnect', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const a = await open('stocks', 'a');
      const b = await open('options', 'b');
      const connA = await sim.waitFor((x) => x.apiKey === 'a' && x.authenticated);
      const connB = await sim.waitFor((x) => x.apiKey === 'b' && x.authenticated);
      connA.sendRaw('{oops');
      await within(
        new Promise<void>((resolve) => a.ws.once('message', () => resolve())),
        2000,
        'raw frame',
      );
      assert.equal(a.frames.at(-1), '{oops');
      connA.sendStatus('error', 'custom', { code: 4001, reason: 'bye' });
      await a.waitFor(isStatus('error', 'custom'));
      assert.deepEqual(await within(a.closed, 2000, 'close a'), { code: 4001, reason: 'bye' });
      connB.forceDisconnect('maintenance');
      await b.waitFor(isStatus('force_disconnect', 'maintenance'));
      assert.equal((await within(b.closed, 2000, 'close b')).code, 1001);
    }),
  );
});

describe('simulator: publish and replay', () => {
  it('publish() sends exact events to subscribed connections of the cluster', T, () =>
    withSimulator(QUIET, async (sim, open) => {
      const one = await open('stocks', 'one');
      const all = await open('stocks', 'all');
      const crypto = await open('crypto', 'one');
      await one.subscribe('T.AAPL');
      await all.subscribe('T.*');
      await crypto.subscribe('XT.*');
      const events = [trade('AAPL', 1), trade('MSFT', 2), { ev: 'Q', sym: 'AAPL', bp: 1 }];
      assert.equal(sim.publish('stocks', events), 3);
      assert.deepEqual(await one.waitFor(isData), events[0]);
      assert.deepEqual(await all.waitForMany(isData, 2), events.slice(0, 2));
      assert.equal(all.frames.filter((f) => f.includes('"ev":"T"')).length, 1);
      assert.equal(crypto.events.filter(isData).length, 0);
    }),
  );

  it('replays at max speed to matching topics, then emits replayEnd', T, async () => {
    const base = 1_700_000_000_000;
    const events = Array.from({ length: 2000 }, (_, i) =>
      trade(i % 2 ? 'MSFT' : 'AAPL', base + i * 1000),
    );
    const sim = await startSimulator({ replay: { events, speed: 'max' } });
    const c = await connect(sim, 'stocks');
    try {
      await c.auth();
      const ended = nextEvent(sim, 'replayEnd', 5000);
      await c.subscribe('T.AAPL');
      const got = await c.waitForMany(isData, 1000, 0, 5000);
      await ended;
      assert.ok(got.every((e) => e.sym === 'AAPL'));
      assert.deepEqual(
        got.map((e) => e.t),
        events.filter((e) => e.sym === 'AAPL').map((e) => e.t),
      );
    } finally {
      c.close();
      await sim.close();
    }
  });

  it(
    'replays paced by timestamps (ns normalised) divided by speed, looping a generator',
    T,
    async () => {
      const base = 1_700_000_000_000;
      async function* source(): AsyncGenerator<object> {
        for (let i = 0; i < 4; i++) yield trade('AAPL', (base + i * 100) * 1e6); // ns, 100 ms apart
        yield { ev: 'AM', sym: 'AAPL', s: base + 400, e: base + 60_400, o: 1 };
      }
      const sim = await startSimulator({ replay: { events: source(), speed: 2, loop: true } });
      const c = await connect(sim, 'stocks');
      try {
        await c.auth();
        const arrivals: number[] = [];
        c.ws.on('message', (d: Buffer) => {
          if (!String(d).includes('"status"')) arrivals.push(Date.now());
        });
        await c.subscribe('T.AAPL,AM.*');
        const got = await c.waitForMany(isData, 10, 0, 5000);
        assert.deepEqual(
          got.map((e) => e.ev),
          ['T', 'T', 'T', 'T', 'AM', 'T', 'T', 'T', 'T', 'AM'],
        );
        // 400 ms of recording at speed 2 is ~200 ms per pass.
        const span = (arrivals[4] as number) - (arrivals[0] as number);
        assert.ok(span >= 150 && span < 1000, `span ${span}`);
      } finally {
        c.close();
        await sim.close();
      }
    },
  );
});

describe('simulator: shutdown', () => {
  it('close() terminates clients and rejects pending waitFor', T, async () => {
    const sim = await startSimulator({ ...BUSY, authTimeoutMs: 60_000 });
    const c = await connect(sim, 'stocks');
    await c.auth();
    sim.faults.ackDelayMs = 60_000;
    c.send({ action: 'subscribe', params: 'T.*' });
    await sim.waitFor((x) => x.subscriptions.size > 0);
    const pending = assert.rejects(
      sim.waitFor(() => false, 60_000),
      /closed/,
    );
    await sim.close();
    await pending;
    assert.equal((await within(c.closed, 2000, 'close')).code, 1006);
    assert.equal(sim.connections().length, 0);
    await sim.close(); // idempotent
  });

  it('leaves no handles: a process using it exits by itself', T, async () => {
    const entry = fileURLToPath(new URL('../../src/simulator/index.ts', import.meta.url));
    const code = `
      import WebSocket from 'ws';
      const { startSimulator } = await import(${JSON.stringify(entry)});
      const sim = await startSimulator({ eventsPerSecond: 1000, tickMs: 10, replay: undefined });
      sim.faults.ackDelayMs = 30000;
      const ws = new WebSocket(sim.url + '/stocks');
      await new Promise((r) => ws.on('open', r));
      ws.send(JSON.stringify({ action: 'auth', params: 'k' }));
      ws.send(JSON.stringify({ action: 'subscribe', params: 'T.*' }));
      await sim.waitFor((c) => c.subscriptions.size > 0);
      ws.on('error', () => {});
      await sim.close();
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill(), 8000);
    const [exit] = await nextEvent<[number | null]>(child, 'exit', 9000);
    clearTimeout(timer);
    assert.equal(exit, 0, `child did not exit cleanly: ${stderr}`);
  });
});
