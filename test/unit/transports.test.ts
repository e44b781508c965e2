/**
 * Which transport a client gets: the Node build's choice (transports.ts) and the standard
 * build's (transports-standard.ts, the one in dist/browser.js).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import { pickTransport as nodeBuild } from '../../src/client/transport/transports.js';
import { pickTransport as standardBuild } from '../../src/client/transport/transports-standard.js';
import { wsTransport } from '../../src/client/transport/transport-ws.js';
import { nativeTransport } from '../../src/client/transport/transport-native.js';

const hasWebSocket = typeof globalThis.WebSocket === 'function';
const coded = (code: string, pattern: RegExp) => (err: unknown) =>
  err instanceof PolygonStreamError && err.code === code && pattern.test(err.message);

test('Node build: ws by default and on request; the runtime WebSocket for native', () => {
  assert.equal(nodeBuild(undefined), wsTransport);
  assert.equal(nodeBuild('ws'), wsTransport);
  if (hasWebSocket) assert.equal(nodeBuild('native'), nativeTransport);
  else
    assert.throws(
      () => nodeBuild('native'),
      coded(ErrorCode.MissingDependency, /--experimental-websocket/),
    );
});

test("standard build: the runtime WebSocket; transport 'ws' is INVALID_OPTION saying why", () => {
  assert.throws(
    () => standardBuild('ws'),
    coded(ErrorCode.InvalidOption, /transport 'ws' exists only in the Node build/),
  );
  if (hasWebSocket) {
    assert.equal(standardBuild(undefined), nativeTransport);
    assert.equal(standardBuild('native'), nativeTransport);
  } else {
    assert.throws(
      () => standardBuild(undefined),
      coded(ErrorCode.MissingDependency, /global WebSocket/),
    );
  }
});
