import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, isPolygonStreamError } from '../../src/errors.js';
import {
  BoundedQueue,
  DEFAULT_OVERFLOW_POLICY,
  DEFAULT_QUEUE_CAPACITY,
  type DropReason,
} from '../../src/client/delivery/bounded-queue.js';

/** Everything pending, in order, without waiting. */
function drain<T>(q: BoundedQueue<T>): T[] {
  const out: T[] = [];
  for (let item = q.shift(); item !== undefined; item = q.shift()) out.push(item);
  return out;
}

function pushAll<T>(q: BoundedQueue<T>, items: T[]): boolean[] {
  return items.map((item) => q.push(item));
}

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('BoundedQueue overflow policies', () => {
  test('defaults: drop-oldest, capacity 10,000', () => {
    const q = new BoundedQueue<number>();
    assert.equal(q.policy, 'drop-oldest');
    assert.equal(DEFAULT_OVERFLOW_POLICY, 'drop-oldest');
    assert.equal(q.capacity, DEFAULT_QUEUE_CAPACITY);
    assert.equal(q.capacity, 10_000);
  });

  test('drop-oldest keeps the newest `capacity` items', () => {
    const dropped: [number, DropReason][] = [];
    const q = new BoundedQueue<number>({
      capacity: 3,
      overflow: 'drop-oldest',
      onDrop: (item, reason) => dropped.push([item, reason]),
    });
    assert.deepEqual(pushAll(q, [1, 2, 3, 4, 5]), [true, true, true, true, true]);
    assert.equal(q.size, 3);
    assert.equal(q.dropped, 2);
    assert.deepEqual(q.drops, { oldest: 2, newest: 0, conflated: 0, overflow: 0 });
    assert.deepEqual(dropped, [
      [1, 'oldest'],
      [2, 'oldest'],
    ]);
    assert.deepEqual(drain(q), [3, 4, 5]);
  });

  test('drop-newest keeps the first `capacity` items and refuses the rest', () => {
    const dropped: number[] = [];
    const q = new BoundedQueue<number>({
      capacity: 3,
      overflow: 'drop-newest',
      onDrop: (item) => dropped.push(item),
    });
    assert.deepEqual(pushAll(q, [1, 2, 3, 4, 5]), [true, true, true, false, false]);
    assert.equal(q.dropped, 2);
    assert.deepEqual(q.drops, { oldest: 0, newest: 2, conflated: 0, overflow: 0 });
    assert.deepEqual(dropped, [4, 5]);
    assert.deepEqual(drain(q), [1, 2, 3]);
  });

  test('latest replaces a pending item of the same key in place, evicts oldest when full', () => {
    type Quote = { ev: string; sym?: string; bp: number };
    const dropped: [Quote, DropReason][] = [];
    const q = new BoundedQueue<Quote>({
      capacity: 3,
      overflow: 'latest',
      keyOf: (e) => (e.sym === undefined ? undefined : `${e.ev}.${e.sym}`),
      onDrop: (item, reason) => dropped.push([item, reason]),
    });
    q.push({ ev: 'Q', sym: 'AAPL', bp: 1 });
    q.push({ ev: 'Q', sym: 'MSFT', bp: 2 });
    q.push({ ev: 'Q', sym: 'AAPL', bp: 3 }); // conflates AAPL, keeps its place
    assert.equal(q.size, 2);
    q.push({ ev: 'status', bp: 0 }); // no key: never conflated
    q.push({ ev: 'Q', sym: 'MSFT', bp: 4 }); // full, but MSFT is pending: conflated, no eviction
    assert.equal(q.size, 3);
    q.push({ ev: 'Q', sym: 'TSLA', bp: 5 }); // full and new key: evicts the oldest (AAPL)
    assert.deepEqual(drain(q), [
      { ev: 'Q', sym: 'MSFT', bp: 4 },
      { ev: 'status', bp: 0 },
      { ev: 'Q', sym: 'TSLA', bp: 5 },
    ]);
    assert.deepEqual(q.drops, { oldest: 1, newest: 0, conflated: 2, overflow: 0 });
    assert.deepEqual(
      dropped.map(([e, r]) => [e.bp, r]),
      [
        [1, 'conflated'],
        [2, 'conflated'],
        [3, 'oldest'],
      ],
    );
    // Keys leave the map with their items: AAPL queues afresh.
    q.push({ ev: 'Q', sym: 'AAPL', bp: 6 });
    q.push({ ev: 'Q', sym: 'AAPL', bp: 7 });
    assert.deepEqual(drain(q), [{ ev: 'Q', sym: 'AAPL', bp: 7 }]);
  });

  test('latest stays correct across ring wrap-around and growth', () => {
    const q = new BoundedQueue<[string, number]>({
      capacity: 40,
      overflow: 'latest',
      keyOf: (e) => e[0],
    });
    const expected = new Map<string, number>();
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 30; k++) {
        const key = `k${(k * 7 + round) % 37}`;
        q.push([key, round * 100 + k]);
        expected.set(key, round * 100 + k);
      }
      // Consume a few so the head moves and the ring wraps.
      for (let i = 0; i < 5; i++) {
        const item = q.shift();
        if (item) assert.equal(item[1], expected.get(item[0]));
        if (item) expected.delete(item[0]);
      }
      assert.ok(q.size <= 40);
    }
    for (const [key, value] of drain(q)) {
      assert.equal(value, expected.get(key));
      expected.delete(key);
    }
    assert.equal(q.size, 0);
  });

  test('latest requires keyOf; bad capacity and policy are refused', () => {
    const code = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        return isPolygonStreamError(err) ? err.code : err;
      }
      return undefined;
    };
    assert.equal(
      code(() => new BoundedQueue({ overflow: 'latest' })),
      ErrorCode.InvalidOption,
    );
    assert.equal(
      code(() => new BoundedQueue({ capacity: 0 })),
      ErrorCode.InvalidOption,
    );
    assert.equal(
      code(() => new BoundedQueue({ capacity: 1.5 })),
      ErrorCode.InvalidOption,
    );
    assert.equal(
      code(() => new BoundedQueue({ overflow: 'block' as never })),
      ErrorCode.InvalidOption,
    );
  });

  test('error: pending items are delivered, then the iterator throws QUEUE_OVERFLOW', async () => {
    let ended: string | undefined;
    const q = new BoundedQueue<number>({
      capacity: 3,
      overflow: 'error',
      onEnd: (reason) => (ended = reason),
    });
    assert.deepEqual(pushAll(q, [1, 2, 3, 4, 5]), [true, true, true, false, false]);
    assert.equal(ended, 'failed');
    assert.equal(q.open, false);
    assert.deepEqual(q.drops, { oldest: 0, newest: 0, conflated: 0, overflow: 1 });
    const seen: number[] = [];
    await assert.rejects(
      async () => {
        for await (const n of q) seen.push(n);
      },
      (err: unknown) => {
        assert.ok(isPolygonStreamError(err, ErrorCode.QueueOverflow));
        assert.equal(err.details['capacity'], 3);
        assert.equal(err.details['pending'], 3);
        assert.equal(err.details['pushed'], 3);
        assert.match(err.message, /3 events pending/);
        return true;
      },
    );
    assert.deepEqual(seen, [1, 2, 3]);
    assert.deepEqual(await q.next(), { done: true, value: undefined }); // the error is thrown once
  });
});

describe('BoundedQueue async iteration', () => {
  test('delivers in order, waiting for pushes, and ends after close', async () => {
    const q = new BoundedQueue<number>({ capacity: 100 });
    q.push(1);
    q.push(2);
    const consumed = (async () => {
      const out: number[] = [];
      for await (const n of q) out.push(n);
      return out;
    })();
    await new Promise((r) => setImmediate(r));
    for (const n of range(5, 3)) q.push(n); // the first goes straight to the waiting consumer
    q.close();
    assert.equal(q.push(99), false); // refused after close, not counted as a drop
    assert.equal(q.dropped, 0);
    assert.deepEqual(await consumed, [1, 2, 3, 4, 5, 6, 7]);
  });

  test('fail(err) delivers pending items, then throws err', async () => {
    const q = new BoundedQueue<number>();
    q.push(1);
    const boom = new Error('boom');
    q.fail(boom);
    const it = q[Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { done: false, value: 1 });
    await assert.rejects(it.next(), boom);
    assert.deepEqual(await it.next(), { done: true, value: undefined });
  });

  test('fail(err) rejects a consumer already waiting', async () => {
    const q = new BoundedQueue<number>();
    const waiting = q.next();
    q.fail(new Error('down'));
    await assert.rejects(waiting, /down/);
  });

  test('break out of for-await calls return(): the queue ends and discards', async () => {
    const ends: string[] = [];
    const q = new BoundedQueue<number>({ onEnd: (r) => ends.push(r) });
    pushAll(q, [1, 2, 3, 4]);
    const seen: number[] = [];
    for await (const n of q) {
      seen.push(n);
      if (n === 2) break;
    }
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(ends, ['returned']);
    assert.equal(q.size, 0);
    assert.equal(q.open, false);
    assert.equal(q.push(5), false);
  });

  test('an AbortSignal ends a waiting iteration cleanly', async () => {
    const ac = new AbortController();
    const q = new BoundedQueue<number>({ signal: ac.signal });
    q.push(1);
    const consumed = (async () => {
      const out: number[] = [];
      for await (const n of q) out.push(n);
      return out;
    })();
    await new Promise((r) => setImmediate(r));
    ac.abort();
    assert.deepEqual(await consumed, [1]);
    assert.equal(q.open, false);
    assert.equal(q.push(2), false);
  });

  test('abort discards pending items; an already-aborted signal ends at once', async () => {
    const ac = new AbortController();
    const q = new BoundedQueue<number>({ signal: ac.signal });
    pushAll(q, [1, 2, 3]);
    ac.abort();
    assert.equal(q.size, 0);
    assert.deepEqual(await q.next(), { done: true, value: undefined });

    const ended: string[] = [];
    const q2 = new BoundedQueue<number>({
      signal: AbortSignal.abort(),
      onEnd: (r) => ended.push(r),
    });
    assert.equal(q2.open, false);
    assert.deepEqual(ended, ['aborted']);
    assert.deepEqual(await q2.next(), { done: true, value: undefined });
  });

  test('abort after an overflow failure ends cleanly instead of throwing', async () => {
    const ac = new AbortController();
    const q = new BoundedQueue<number>({ capacity: 1, overflow: 'error', signal: ac.signal });
    pushAll(q, [1, 2]);
    ac.abort();
    assert.deepEqual(await q.next(), { done: true, value: undefined });
  });
});

describe('BoundedQueue memory', () => {
  for (const overflow of ['drop-oldest', 'drop-newest', 'latest'] as const) {
    test(`${overflow}: capacity never exceeded under 100k pushes`, () => {
      const q = new BoundedQueue<number>({ capacity: 1000, overflow, keyOf: (n) => n % 5000 });
      for (let i = 0; i < 100_000; i++) {
        q.push(i);
        if (i % 7 === 0) q.shift();
        assert.ok(q.size <= 1000);
      }
      assert.equal(q.peak, 1000);
      assert.equal(q.pushed + q.drops.newest, 100_000); // every push accepted or refused
      const rest = drain(q);
      assert.equal(rest.length, 1000);
      // Order is preserved for the survivors.
      for (let i = 1; i < rest.length; i++)
        assert.ok(rest[i]! > rest[i - 1]! || overflow === 'latest');
    });
  }

  test('the ring starts small and grows only as needed', () => {
    const q = new BoundedQueue<number>({ capacity: 1_000_000 });
    for (const n of range(100)) q.push(n);
    assert.deepEqual(drain(q), range(100));
  });
});
