/** The relay's access check without a socket: tokens, the failure limit per address, its window. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Access } from '../../src/relay/access.js';

const MINUTE = 60_000;

describe('relay access', () => {
  it('accepts only the listed tokens and counts every failure', () => {
    const access = new Access({ tokens: ['bot', 'notebook'], maxFailures: 10, windowMs: MINUTE });
    assert.equal(access.check('bot', '127.0.0.1', 0), true);
    assert.equal(access.check('notebook', '127.0.0.1', 0), true);
    assert.equal(access.check('bo', '127.0.0.1', 0), false);
    assert.equal(access.check('bot ', '127.0.0.1', 0), false);
    assert.equal(access.check('', '127.0.0.1', 0), false);
    assert.equal(access.failures, 3);
  });

  it('after maxFailures within the window, even a good token fails from that address only', () => {
    const access = new Access({ tokens: ['bot'], maxFailures: 3, windowMs: MINUTE });
    for (let i = 0; i < 3; i++) assert.equal(access.check('guess', '10.0.0.1', 1_000 + i), false);
    assert.equal(access.check('bot', '10.0.0.1', 2_000), false);
    assert.equal(access.check('bot', '10.0.0.2', 2_000), true);
    // The window starts at the first failure; once it has passed, the address is free again.
    assert.equal(access.check('bot', '10.0.0.1', 1_000 + MINUTE + 1), true);
  });

  it("'any' accepts any token and counts no failure", () => {
    const access = new Access({ tokens: 'any', maxFailures: 2, windowMs: MINUTE });
    assert.equal(access.check('whatever', '127.0.0.1', 0), true);
    assert.equal(access.failures, 0);
  });

  it('remembers at most 10,000 addresses: a flood of one-off failures cannot grow it for ever', () => {
    const access = new Access({ tokens: ['bot'], maxFailures: 2, windowMs: MINUTE });
    for (let i = 0; i < 25_000; i++) access.check('x', `addr-${i}`, 0);
    const table = (access as unknown as { recent: Map<string, unknown> }).recent;
    assert.ok(table.size <= 10_000, `tracked ${table.size}`);
    // The most recent failing addresses are still limited.
    access.check('x', 'addr-24999', 1);
    assert.equal(access.check('bot', 'addr-24999', 2), false);
  });
});
