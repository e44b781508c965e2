/**
 * The relay's safety: its own tokens (never the upstream key), caps on clients and topics, a stalled client cut off with slow_consumer while
 * the others keep streaming, option checks, and the embedded simulator when no key is given.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import { startRelay } from '../../src/relay/index.js';
import { isAck, isData, isStatus, type TestClient } from '../helpers/sim.js';
import { TOKENS, trade, UPSTREAM_KEY, withRelay } from '../helpers/relay.js';

const T = { timeout: 20_000 };

async function authFails(c: TestClient, token: string): Promise<void> {
  c.send({ action: 'auth', params: token });
  await c.waitFor(isStatus('auth_failed', 'authentication failed'));
  assert.equal((await c.closed).code, 1008);
}

function rejects(options: Parameters<typeof startRelay>[0], pattern: RegExp): Promise<void> {
  return assert.rejects(startRelay(options), (err: unknown) => {
    assert.ok(err instanceof PolygonStreamError);
    assert.equal(err.code, ErrorCode.InvalidOption);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('relay safety', () => {
  it('refuses a wrong token (and the upstream key) with auth_failed, and counts it', T, () =>
    withRelay({}, async ({ relay, open }) => {
      await authFails(await open(null), 'wrong-token');
      await authFails(await open(null), UPSTREAM_KEY);
      assert.equal(relay.metrics().authFailures, 2);
      await open(TOKENS[1]);
    }),
  );

  it('caps authenticated clients and topics per client', T, () =>
    withRelay({ relay: { maxClients: 2, maxTopicsPerClient: 2 } }, async ({ relay, open }) => {
      const a = await open();
      await open();
      // Connecting is not counted: the cap applies when the third one authenticates.
      const third = await open(null);
      third.send({ action: 'auth', params: TOKENS[0] });
      await third.waitFor(isStatus('max_connections', 'relay: client limit reached (2)'));
      assert.equal((await third.closed).code, 1008);
      assert.equal(relay.metrics().refusedClients, 1);
      a.send({ action: 'subscribe', params: 'T.A,T.B,T.C' });
      await a.waitFor(isAck('subscribed', 'T.B'));
      await a.waitFor(isStatus('error', 'relay: topic limit per client reached (2)'));
      await a.waitFor(isAck('subscribed', 'T.A'));
    }),
  );

  it('never sends the upstream key downstream, even when the provider quotes it', T, () =>
    withRelay({}, async ({ sim, open }) => {
      sim.faults.rejectTopics.set('T.NOPE', `key ${UPSTREAM_KEY} is not entitled to T.NOPE`);
      const a = await open();
      a.send({ action: 'subscribe', params: 'T.NOPE' });
      await a.waitFor(isStatus('error', 'key *** is not entitled to T.NOPE'));
      await a.subscribe('T.AAPL');
      sim.publish('stocks', [trade('AAPL', 1)]);
      await a.waitFor(isData);
      assert.ok(a.frames.length > 0);
      for (const frame of a.frames) assert.ok(!frame.includes(UPSTREAM_KEY), frame);
    }),
  );

  it('cuts a client that stops reading (slow_consumer) while the others keep streaming', T, () =>
    withRelay({ relay: { maxBufferedBytes: 256 * 1024 } }, async ({ sim, relay, open }) => {
      const stalled = await open();
      await stalled.subscribe('T.*');
      const reader = await open(TOKENS[1]);
      await reader.subscribe('T.*');
      (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const batch = Array.from({ length: 8000 }, (_, i) => trade(`S${i % 50}`, i));
      let round = 0;
      while (relay.metrics().slowConsumerDisconnects === 0) {
        assert.ok(round < 500, 'the stalled client was never cut off');
        round++;
        sim.publish('stocks', [...batch, trade('MARK', 100_000 + round)]);
        // The reader keeps up: every round reaches it before the next is published.
        await reader.waitFor((e) => e.p === 100_000 + round, reader.events.length - 8001);
      }
      assert.equal(relay.metrics().slowConsumerDisconnects, 1);
      const cut = stalled.events.length;
      sim.publish('stocks', [trade('AFTER', 1)]);
      await reader.waitFor((e) => e.sym === 'AFTER');
      assert.equal(stalled.events.length, cut);
    }),
  );

  it('refuses unsafe or incomplete options with INVALID_OPTION', T, async () => {
    await rejects(
      { allowAnyToken: true, bind: '0.0.0.0' },
      /allowAnyToken must be false on 0\.0\.0\.0/,
    );
    await rejects({}, /tokens must be the non-empty strings/);
    await rejects({ key: 'k', tokens: ['k'] }, /tokens must be tokens other than the upstream key/);
    await rejects(
      { tokens: ['t'], clusters: ['bonds' as 'stocks'] },
      /clusters must be one of "stocks", "options"/,
    );
    await rejects({ tokens: ['t'], maxClients: 0 }, /maxClients must be an integer from 1/);
  });

  it(
    'without a key relays an embedded simulator; a StreamClient streams through it',
    T,
    async () => {
      const relay = await startRelay({ allowAnyToken: true, simulator: { eventsPerSecond: 500 } });
      const client = new StreamClient('anything', 'stocks', {
        host: relay.url,
        onMessage: () => undefined,
        onError: () => undefined,
        onClose: () => undefined,
      });
      try {
        const trades = new Promise<unknown>((resolve) => client.on('T', resolve));
        await client.startStreamThread();
        await client.subscribeStockTrades(['AAPL']);
        assert.equal(((await trades) as { sym: string }).sym, 'AAPL');
        assert.equal(relay.simulator?.connections().length, 1);
        assert.deepEqual(relay.metrics().upstreamTopics, { stocks: ['T.AAPL'] });
      } finally {
        await client.closeStream();
        await relay.close();
      }
    },
  );
});
