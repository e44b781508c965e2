/**
 * The relay against careless and hostile neighbours, over real sockets: idle unauthenticated
 * sockets never keep a valid client out, failing attempts are slowed without locking out a valid
 * token from the same address, browsers and rebound host names are refused unless allowed, what
 * a client may send is capped before and after authentication, and `wss://` works.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { type EventPredicate, isStatus, type TestClient } from '../helpers/sim.js';
import { firstTrade, TOKENS, trade, withRelay } from '../helpers/relay.js';

const T = { timeout: 30_000 };
const TLS = {
  cert: readFileSync(new URL('../fixtures/tls/cert.pem', import.meta.url)),
  key: readFileSync(new URL('../fixtures/tls/key.pem', import.meta.url)),
};

/** The HTTP status a WebSocket upgrade got instead of opening, or 101 when it opened. */
function upgradeStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

/** A plain GET with an explicit Host header: its status. */
function getStatus(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A status whose message starts with `prefix`. */
const statusLike =
  (status: string, prefix: string): EventPredicate =>
  (e) =>
    e.ev === 'status' && e.status === status && String(e.message).startsWith(prefix);

async function authAnswer(c: TestClient, token: string): Promise<string> {
  const from = c.events.length;
  c.send({ action: 'auth', params: token });
  const answered: EventPredicate = (e) =>
    e.ev === 'status' && (e.status === 'auth_success' || e.status === 'auth_failed');
  const e = await c.waitFor(answered, from);
  return String(e.status);
}

describe('relay hardening', () => {
  it('idle unauthenticated sockets never keep a valid client out, nor count as clients', T, () =>
    withRelay({ relay: { maxClients: 2, maxUnauthenticated: 5 } }, async ({ relay, open }) => {
      const idle = await Promise.all(Array.from({ length: 20 }, () => open(null)));
      // Only the five newest idle sockets are left; the older ones were closed to make room.
      const closed = await Promise.all(idle.slice(0, 15).map((c) => c.closed));
      for (const c of closed) assert.equal(c.code, 1008);
      assert.equal(relay.metrics().connecting, 5);
      const a = await open(TOKENS[0]);
      const b = await open(TOKENS[1]);
      assert.equal(relay.metrics().clients, 2);
      await a.subscribe('T.AAPL');
      await b.subscribe('T.AAPL');
    }),
  );

  it('a script retrying a wrong token never locks a valid token out of the same address', T, () =>
    withRelay({ relay: { maxAuthFailures: 3 } }, async ({ relay, open }) => {
      const script = await Promise.all(Array.from({ length: 30 }, () => open(null)));
      const answers = await Promise.all(script.map((c) => authAnswer(c, 'stale-token')));
      assert.deepEqual(new Set(answers), new Set(['auth_failed']));
      assert.equal(relay.metrics().authFailures, 30);
      const slowed = relay.metrics().authSlowed;
      assert.ok(slowed >= 29, `retries of a failed token are slowed (${slowed})`);
      // A valid token from the same address is answered at once: not slowed, not refused.
      const good = await open(null);
      assert.equal(await authAnswer(good, TOKENS[0]!), 'auth_success');
      assert.equal(relay.metrics().authSlowed, slowed);
    }),
  );

  it('an address guessing tokens gets its answers late, a valid token too, never refused', T, () =>
    withRelay({ relay: { maxAuthFailures: 3 } }, async ({ relay, open }) => {
      for (const guess of ['g1', 'g2', 'g3']) {
        assert.equal(await authAnswer(await open(null), guess), 'auth_failed');
      }
      assert.equal(relay.metrics().authSlowed, 0);
      let started = performance.now();
      assert.equal(await authAnswer(await open(null), 'g4'), 'auth_failed');
      assert.ok(performance.now() - started >= 950, 'a guess past the limit is answered late');
      started = performance.now();
      const good = await open(null);
      // What the client sends while its key is checked waits for the answer.
      good.send({ action: 'auth', params: TOKENS[0] });
      good.send({ action: 'subscribe', params: 'T.AAPL' });
      await good.waitFor(isStatus('auth_success'));
      assert.ok(performance.now() - started >= 950, 'the valid token is answered as late');
      await good.waitFor(isStatus('success', 'subscribed to: T.AAPL'));
      assert.equal(relay.metrics().authSlowed, 2);
    }),
  );

  it('refuses browser origins unless allowed, and host names it was not given', T, () =>
    withRelay(
      { relay: { allowOrigins: ['https://desk.example'], allowHosts: ['relay.desk'] } },
      async ({ relay, open }) => {
        const url = `${relay.url}/stocks`;
        const port = relay.port;
        assert.equal(await upgradeStatus(url, { origin: 'https://evil.example' }), 403);
        assert.equal(await upgradeStatus(url, { headers: { host: `evil.example:${port}` } }), 403);
        assert.equal(await getStatus(`${relay.url.replace('ws', 'http')}/`, 'evil.example'), 403);
        assert.equal(relay.metrics().refusedRequests, 3);
        // Programs send no Origin; an allowed origin and the relay's own names are served.
        assert.equal(await upgradeStatus(url), 101);
        assert.equal(await upgradeStatus(url, { origin: 'https://desk.example' }), 101);
        assert.equal(await upgradeStatus(url, { headers: { host: `relay.desk:${port}` } }), 101);
        assert.equal(await upgradeStatus(url, { headers: { host: `localhost:${port}` } }), 101);
        const c = await open();
        await c.subscribe('T.AAPL');
      },
    ),
  );

  it('caps what a client sends before authenticating, and each message after', T, () =>
    withRelay({ relay: { maxMessageBytes: 64 * 1024 } }, async ({ relay, open }) => {
      const early = await open(null);
      early.send({ action: 'auth', params: 'x'.repeat(32 * 1024) });
      await early.waitFor(statusLike('error', 'too much data before authentication'));
      await early.closed;
      const late = await open();
      // Under the cap, a message is handled; over it, the connection is closed with 1009.
      late.send({ action: 'subscribe', params: `T.AAPL,${'T.A'.repeat(10_000)}` });
      await late.waitFor(isStatus('success', 'subscribed to: T.AAPL'));
      late.send({ action: 'subscribe', params: 'T.B,'.repeat(20_000) });
      assert.equal((await late.closed).code, 1009);
      assert.equal(relay.metrics().clients, 0);
    }),
  );

  it('answers a message of a thousand bad topics with a bounded number of errors', T, () =>
    withRelay({}, async ({ open }) => {
      const c = await open();
      const bad = Array.from({ length: 1000 }, (_, i) => `Z${i}.AAPL`).join(',');
      c.send({ action: 'subscribe', params: `${bad},T.AAPL` });
      await c.waitFor(isStatus('success', 'subscribed to: T.AAPL'));
      await c.waitFor(statusLike('error', '900 more topics of this subscribe were refused'));
      const errors = c.events.filter((e) => e.ev === 'status' && e.status === 'error');
      assert.equal(errors.length, 101);
    }),
  );

  it('serves wss:// with a certificate; a StreamClient that trusts it streams', T, () =>
    withRelay({ relay: { tls: TLS } }, async ({ sim, relay }) => {
      assert.match(relay.url, /^wss:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(relay.tls, true);
      const publish = (): void => void sim.publish('stocks', [trade('AAPL', 1)]);
      assert.equal(
        await firstTrade(relay.url, TOKENS[0]!, { ws: { ca: TLS.cert }, publish }),
        'AAPL',
      );
      // Without trusting the certificate, the handshake fails.
      await assert.rejects(
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`${relay.url}/stocks`);
          ws.on('open', resolve);
          ws.on('error', reject);
        }),
        /self-signed certificate/,
      );
    }),
  );
});
