/** The simulator's session protocol (connect, auth, eviction) and shutdown, through a real ws client. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { startSimulator, type SimConnection } from '../../src/simulator/index.js';
import {
  BUSY,
  connect,
  isStatus,
  nextEvent,
  QUIET,
  T,
  within,
  withSimulator,
} from '../helpers/sim.js';

const MAX_CONN =
  'Maximum number of websocket connections exceeded. You have reached the connection limit for your account.';

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
