/**
 * Hostile input (README): user callbacks that return a rejecting promise (async listeners,
 * data and lifecycle, and async onMessage / onClose) are reported as HANDLER_ERROR like a throw,
 * never an unhandled rejection (the suite runs with --unhandled-rejections=strict), and the
 * stream goes on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import { ErrorCode, type PolygonStreamError } from '../../src/errors.js';
import { T, until } from '../helpers/reliability.js';
import { recordingLogger, startScriptedServer } from '../helpers/servers.js';

const TRADE = JSON.stringify([{ ev: 'T', sym: 'AAPL', p: 1.5, s: 10, t: 1_700_000_000_000 }]);

test(
  'rejecting async callbacks are reported as HANDLER_ERROR, the stream goes on',
  T,
  async (t) => {
    const server = await startScriptedServer({
      connect: { status: 'connected', message: 'Connected Successfully' },
      auth: { status: 'auth_success', message: 'authenticated' },
      afterAuth: () => [TRADE],
    });
    t.after(() => server.close());
    const errors: PolygonStreamError[] = [];
    const lines: string[] = [];
    const client = new StreamClient('k', 'stocks', {
      host: server.url,
      reconnect: false,
      logger: recordingLogger(lines),
      onMessage: async () => {
        throw new Error('raw');
      },
      onError: (_c, e) => errors.push(e as PolygonStreamError),
      onClose: async () => {
        throw new Error('close');
      },
    });
    t.after(() => client.closeStream());
    client.on('T', async () => {
      throw new Error('data');
    });
    client.on('*', () => Promise.reject('a string'));
    client.on('state', async ({ state }) => {
      throw new Error(`state ${state}`);
    });
    client.on('error', async () => {
      throw new Error('error listener');
    });
    await client.startStreamThread({ pingInterval: 0 });
    const messages = (): string[] => errors.map((e) => e.message);
    await until(() => messages().includes('An event listener threw: data'), 'the data listener');
    assert.deepEqual(await client.subscribe(['T.AAPL']), { topics: ['T.AAPL'] });
    await client.closeStream();
    await until(() => messages().includes('onClose threw: close'), 'onClose');
    assert.ok(errors.every((e) => e.code === ErrorCode.HandlerError));
    for (const expected of [
      'onMessage threw: raw',
      'An event listener threw: a string',
      "A 'state' listener threw: state open",
      "A 'state' listener threw: state closed",
    ]) {
      assert.ok(messages().includes(expected), `${expected} in ${messages().join('\n')}`);
    }
    await until(
      () => lines.some((l) => l.includes('a user callback threw: error listener')),
      'log',
    );
  },
);
