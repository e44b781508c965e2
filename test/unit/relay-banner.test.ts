/** What `polygon-stream relay` prints about where it listens, for binds a test cannot make. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clearTextWarning, listeningLines } from '../../src/cli/commands/relay/relay-banner.js';

const NICS = {
  lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
  eth0: [
    { address: '192.168.1.5', family: 'IPv4', internal: false },
    { address: 'fe80::1', family: 'IPv6', internal: false },
  ],
} as unknown as Parameters<typeof listeningLines>[3];

describe('relay banner', () => {
  it('names the address bound, and for every interface the addresses others can use', () => {
    const v4 = { address: '0.0.0.0', family: 'IPv4', port: 8765 };
    assert.deepEqual(listeningLines(v4, false, 'ws://127.0.0.1:8765', NICS), [
      'polygon-stream relay listening on ws://0.0.0.0:8765',
      '  every interface: ws://127.0.0.1:8765  ws://192.168.1.5:8765',
    ]);
    const v6 = { address: '::', family: 'IPv6', port: 8765 };
    assert.deepEqual(listeningLines(v6, true, 'wss://[::1]:8765', NICS), [
      'polygon-stream relay listening on wss://[::]:8765',
      '  every interface: wss://[::1]:8765  wss://192.168.1.5:8765  wss://[fe80::1]:8765',
    ]);
    const one = { address: '10.0.0.7', family: 'IPv4', port: 9000 };
    assert.deepEqual(listeningLines(one, false, 'ws://10.0.0.7:9000', NICS), [
      'polygon-stream relay listening on ws://10.0.0.7:9000',
    ]);
  });

  it('warns about clear text beyond loopback without TLS, and only then', () => {
    assert.match(
      clearTextWarning('0.0.0.0', false) ?? '',
      /^warning: listening on 0\.0\.0\.0 without TLS: tokens and market data travel in clear text/,
    );
    assert.ok(clearTextWarning('192.168.1.5', false));
    assert.equal(clearTextWarning('0.0.0.0', true), undefined);
    assert.equal(clearTextWarning('127.0.0.1', false), undefined);
    assert.equal(clearTextWarning('::1', false), undefined);
  });
});
