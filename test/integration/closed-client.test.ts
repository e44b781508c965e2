/**
 * Hostile input (README): an events() iterator created on a closed client (closed by the
 * user, or by a fatal server status) ends at once instead of hanging.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import { ErrorCode } from '../../src/errors.js';
import { T, rejection } from '../helpers/reliability.js';
import { startScriptedServer } from '../helpers/servers.js';

const quiet = { onMessage: () => undefined, onError: () => undefined, onClose: () => undefined };

async function drain(client: StreamClient<'stocks'>): Promise<unknown[]> {
  const seen: unknown[] = [];
  for await (const event of client.events({ ev: 'T' })) seen.push(event);
  return seen;
}

test('events() after closeStream() ends at once', T, async (t) => {
  const server = await startScriptedServer({
    connect: { status: 'connected', message: 'Connected Successfully' },
    auth: { status: 'auth_success', message: 'authenticated' },
  });
  t.after(() => server.close());
  const client = new StreamClient('k', 'stocks', { host: server.url, ...quiet });
  await client.startStreamThread({ pingInterval: 0 });
  await client.closeStream();
  assert.deepEqual(await drain(client), []);
  assert.deepEqual(await client.events().next(), { done: true, value: undefined });
});

test('events() after a fatal close (auth_failed) ends at once', T, async (t) => {
  const server = await startScriptedServer({
    auth: { status: 'auth_failed', message: 'bad key' },
  });
  t.after(() => server.close());
  const client = new StreamClient('k', 'stocks', { host: server.url, ...quiet });
  const err = await rejection(client.startStreamThread({ pingInterval: 0 }));
  assert.equal(err.code, ErrorCode.AuthFailed);
  assert.equal(client.state, 'closed');
  assert.deepEqual(await drain(client), []);
});
