/**
 * The built relay (`npm test` builds first), run with a 64 MB heap, flooded over real sockets:
 * 200 messages of 1 MB from an authenticated client and 1 MB from each of 40 clients that never
 * authenticate. Nothing a client sent is kept, so the relay neither aborts nor stops serving.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';
import { firstTrade } from '../helpers/relay.js';
import { isStatus, TestClient } from '../helpers/sim.js';
import { CLI, killAll, spawnNode } from '../helpers/spawn.js';

after(() => killAll());

const MB = 1_000_000;

async function connected(url: string): Promise<TestClient> {
  const c = new TestClient(new WebSocket(url, { perMessageDeflate: false }));
  await c.waitFor(isStatus('connected'));
  return c;
}

/** Send and wait until the socket has handed everything to the kernel. */
function sendAll(c: TestClient, text: string, times: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let left = times;
    const next = (): void => {
      if (left-- === 0) return resolve();
      c.ws.send(text, (err) => (err ? reject(err) : next()));
    };
    next();
  });
}

describe('relay under a flood', () => {
  test('200 messages of 1 MB and 40 MB before authentication: a 64 MB heap is enough', async () => {
    const cli = spawnNode(
      ['--max-old-space-size=64', CLI, 'relay', '--port', '0', '--tokens', 'tok', '--quiet'],
      { timeoutMs: 60_000 },
    );
    const line = await cli.waitFor(/listening on ws:\/\/127\.0\.0\.1:\d+/);
    const base = line.slice(line.indexOf('ws://'));
    const url = `${base}/stocks`;

    const early = await Promise.all(Array.from({ length: 40 }, () => connected(url)));
    const blob = JSON.stringify({ action: 'auth', params: 'x'.repeat(MB) });
    await Promise.all(
      early.map(async (c) => {
        c.ws.send(blob, () => undefined);
        await c.closed;
      }),
    );

    const flooder = await connected(url);
    await flooder.auth('tok');
    const big = JSON.stringify({ action: 'subscribe', params: 'x'.repeat(MB) });
    await sendAll(flooder, big, 200);
    await flooder.waitForMany(isStatus('error'), 200, 0, 30_000);
    assert.ok(
      flooder.frames.every((f) => f.length < 1_000),
      'no reply echoes the flood',
    );
    flooder.close();

    assert.equal(await firstTrade(base, 'tok'), 'AAPL');
    cli.child.kill('SIGINT');
    const result = await cli.result;
    assert.equal(result.code, 0, result.stderr);
  });
});
