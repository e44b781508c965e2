/** The simulator's log of what a client sent: the newest messages, within a byte budget. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientMessage } from '../../src/protocol/codec.js';
import { MessageLog } from '../../src/server/message-log.js';

const msg = (params: string): ClientMessage => ({ action: 'subscribe', params });

describe('message log', () => {
  it('keeps the newest messages in order, within its budget, however many come', () => {
    const log = new MessageLog(1_000);
    for (let i = 0; i < 100_000; i++) log.push(msg(`T.S${i}`));
    const kept = log.messages;
    assert.ok(kept.length > 0 && kept.length < 30, `kept ${kept.length}`);
    assert.deepEqual(kept.at(-1), msg('T.S99999'));
    const numbers = kept.map((m) => Number(m.params.slice(3)));
    assert.deepEqual(
      numbers,
      numbers.map((_, i) => 100_000 - numbers.length + i),
    );
    const internal = log as unknown as { items: unknown[] };
    assert.ok(internal.items.length < 3_000, `array holds ${internal.items.length}`);
  });

  it('keeps nothing with a budget of 0, and never a message larger than its budget', () => {
    const none = new MessageLog(0);
    none.push(msg('T.AAPL'));
    assert.deepEqual(none.messages, []);
    const small = new MessageLog(100);
    small.push(msg('T.AAPL'));
    small.push(msg('x'.repeat(1_000_000)));
    // The older ones go too: the log must not pretend nothing came after them.
    assert.deepEqual(small.messages, []);
    small.push(msg('T.MSFT'));
    assert.deepEqual(small.messages, [msg('T.MSFT')]);
  });
});
