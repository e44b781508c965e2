/**
 * The relay's access check without a socket: tokens, and how failing attempts are slowed (by
 * address and token) without an address ever being locked out for a valid token.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Access } from '../../src/relay/access.js';

const MINUTE = 60_000;
const SLOW = 1_000;

const access = (tokens: string[] | 'any', maxFailures = 10): Access =>
  new Access({ tokens, maxFailures, windowMs: MINUTE, slowdownMs: SLOW });

describe('relay access', () => {
  it('accepts only the listed tokens, at once, and counts every failure', () => {
    const a = access(['bot', 'notebook']);
    assert.deepEqual(a.check('bot', '127.0.0.1', 0), { ok: true, delayMs: 0 });
    assert.deepEqual(a.check('notebook', '127.0.0.1', 0), { ok: true, delayMs: 0 });
    assert.deepEqual(a.check('bo', '127.0.0.1', 0), { ok: false, delayMs: 0 });
    assert.deepEqual(a.check('bot ', '127.0.0.1', 0), { ok: false, delayMs: 0 });
    assert.deepEqual(a.check('', '127.0.0.1', 0), { ok: false, delayMs: 0 });
    assert.equal(a.failures, 3);
  });

  it('a script retrying one wrong token is slowed; the same address stays open to valid tokens', () => {
    const a = access(['bot'], 3);
    assert.equal(a.check('stale', '127.0.0.1', 0).delayMs, 0);
    for (let i = 1; i <= 1_000; i++) {
      assert.deepEqual(a.check('stale', '127.0.0.1', i), { ok: false, delayMs: SLOW });
    }
    assert.deepEqual(a.check('bot', '127.0.0.1', 1_001), { ok: true, delayMs: 0 });
    assert.equal(a.failures, 1_001);
  });

  it('an address guessing many tokens gets every answer late, a valid one too, never refused', () => {
    const a = access(['bot'], 3);
    for (let i = 0; i < 3; i++) assert.equal(a.check(`guess-${i}`, '10.0.0.1', i).delayMs, 0);
    assert.deepEqual(a.check('guess-3', '10.0.0.1', 10), { ok: false, delayMs: SLOW });
    // Right or wrong, the answer takes as long: a quick answer would tell a good guess apart.
    assert.deepEqual(a.check('bot', '10.0.0.1', 11), { ok: true, delayMs: SLOW });
    // Other addresses are not affected.
    assert.deepEqual(a.check('bot', '10.0.0.2', 12), { ok: true, delayMs: 0 });
    // The window starts at the first failure; once it has passed, answers are quick again.
    assert.deepEqual(a.check('bot', '10.0.0.1', MINUTE + 1), { ok: true, delayMs: 0 });
  });

  it("'any' accepts any token and counts no failure", () => {
    const a = access('any', 2);
    assert.deepEqual(a.check('whatever', '127.0.0.1', 0), { ok: true, delayMs: 0 });
    assert.equal(a.failures, 0);
  });

  it('remembers at most 10,000 addresses and maxFailures tokens each: memory stays bounded', () => {
    const a = access(['bot'], 2);
    for (let i = 0; i < 25_000; i++) a.check('x', `addr-${i}`, 0);
    for (let i = 0; i < 10_000; i++) a.check(`guess-${i}`, 'addr-24999', 1);
    const table = (a as unknown as { recent: Map<string, { failed: Set<string> }> }).recent;
    assert.ok(table.size <= 10_000, `tracked ${table.size}`);
    assert.equal(table.get('addr-24999')?.failed.size, 2);
    // The most recent failing address is still slowed.
    assert.deepEqual(a.check('bot', 'addr-24999', 2), { ok: true, delayMs: SLOW });
  });
});
