/**
 * The dispatcher's delivery guarantees that its fast path must keep: a listener added or removed
 * by another listener counts from the very next event (even of the same `ev`, in the same frame),
 * and a queued listener is called one event at a time, in order, each async call awaited, with
 * throws and rejections reported rather than lost.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Dispatcher } from '../../src/client/delivery/dispatcher.js';
import type { PolygonStreamError } from '../../src/errors.js';
import type { WireEvent } from '../../src/protocol/codec.js';

const trade = (q: number): WireEvent => ({ ev: 'T', sym: 'AAPL', q });

function dispatcher(errors: PolygonStreamError[] = []): Dispatcher {
  return new Dispatcher(
    'stocks',
    (error) => errors.push(error),
    () => undefined,
  );
}

/** Let queued drain loops run until nothing is left to do (a few macrotask turns). */
async function settled(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('Dispatcher: listener changes take effect at the next event', () => {
  test('a listener removed by another listener gets no further event of the same ev', () => {
    const d = dispatcher();
    const seen: number[] = [];
    let removeSecond = (): void => undefined;
    d.listen('T', (e) => {
      if (e['q'] === 1) removeSecond();
    });
    removeSecond = d.listen('T', (e) => void seen.push(e['q'] as number));
    for (const q of [0, 1, 2, 3]) d.dispatch(trade(q));
    // Removed while q 1 was being delivered: it still gets q 1 (the event under way), nothing after.
    assert.deepEqual(seen, [0, 1]);
  });

  test('a listener added by another listener gets the next event of the same ev', () => {
    const d = dispatcher();
    const seen: number[] = [];
    d.listen('T', (e) => {
      if (e['q'] === 1) d.listen('T', (later) => void seen.push(later['q'] as number));
    });
    for (const q of [0, 1, 2, 3]) d.dispatch(trade(q));
    assert.deepEqual(seen, [2, 3]);
  });

  test("listeners of other ev values and '*' are not mixed up", () => {
    const d = dispatcher();
    const got: string[] = [];
    d.listen('T', (e) => void got.push(`T:${String(e['q'])}`));
    d.listen('Q', (e) => void got.push(`Q:${String(e['q'])}`));
    d.listen('*', (e) => void got.push(`*:${e.ev}`));
    d.dispatch(trade(1));
    d.dispatch({ ev: 'Q', sym: 'AAPL', q: 2 });
    d.dispatch(trade(3));
    d.dispatch({ ev: 'status', status: 'x', message: 'y' });
    assert.deepEqual(got, ['T:1', '*:T', 'Q:2', '*:Q', 'T:3', '*:T', '*:status']);
  });
});

describe('Dispatcher: queued listeners', () => {
  test('async listener: one call at a time, in order, each awaited before the next', async () => {
    const d = dispatcher();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    d.listenQueued(
      'T',
      async (e) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        log.push(`start ${String(e['q'])}`);
        await new Promise((resolve) => setImmediate(resolve));
        log.push(`end ${String(e['q'])}`);
        running--;
      },
      {},
    );
    for (const q of [1, 2, 3]) d.dispatch(trade(q));
    await settled();
    assert.equal(maxRunning, 1);
    assert.deepEqual(log, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  test('sync listener behind a queue gets every event in order, never inside dispatch', async () => {
    const d = dispatcher();
    const seen: number[] = [];
    d.listenQueued('T', (e) => void seen.push(e['q'] as number), {});
    for (const q of [1, 2, 3]) d.dispatch(trade(q));
    assert.deepEqual(seen, [], 'queued listeners run after the frame, not during dispatch');
    await settled();
    for (const q of [4, 5]) d.dispatch(trade(q));
    await settled();
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  });

  test('a throw and a rejection are each reported as HANDLER_ERROR; delivery goes on', async () => {
    const errors: PolygonStreamError[] = [];
    const d = dispatcher(errors);
    const seen: number[] = [];
    d.listenQueued(
      'T',
      (e) => {
        const q = e['q'] as number;
        seen.push(q);
        if (q === 1) throw new Error('sync boom');
        if (q === 2) return Promise.reject(new Error('async boom'));
        return undefined;
      },
      {},
    );
    for (const q of [1, 2, 3]) d.dispatch(trade(q));
    await settled();
    assert.deepEqual(seen, [1, 2, 3]);
    assert.deepEqual(
      errors.map((e) => [e.code, e.message]),
      [
        ['HANDLER_ERROR', 'An event listener threw: sync boom'],
        ['HANDLER_ERROR', 'An event listener threw: async boom'],
      ],
    );
  });

  test('after its remover is called, pending events are still delivered, then none', async () => {
    const d = dispatcher();
    const seen: number[] = [];
    const remove = d.listenQueued('T', (e) => void seen.push(e['q'] as number), {});
    d.dispatch(trade(1));
    d.dispatch(trade(2));
    remove();
    d.dispatch(trade(3));
    await settled();
    assert.deepEqual(seen, [1, 2]);
    assert.equal(d.queueDepth, 0);
  });
});
