/**
 * The Redis sink's parts that need no Redis: cutting queued frames into entries (one per frame,
 * large frames split, frames queued behind a busy Redis merged up to `entryEvents`), putting
 * failed entries back in order, encoding entries as (n, data) with the unserializable left out,
 * and the options that shape entries and the in-flight window.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WireEvent } from '../../src/protocol/codec.js';
import { FrameQueue } from '../../src/redis/sink/frame-queue.js';
import { encodeEntries } from '../../src/redis/sink/encode-entries.js';
import { decodeEntry } from '../../src/redis/reader/decode-entry.js';
import { sinkSettings } from '../../src/redis/sink/sink-options.js';
import { ErrorCode, isPolygonStreamError } from '../../src/errors.js';

let q = 0;
const frame = (n: number): WireEvent[] => Array.from({ length: n }, () => ({ ev: 'T', q: ++q }));
const qs = (entries: WireEvent[][]) => entries.map((e) => e.map((x) => x['q'] as number));
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('FrameQueue: one entry per frame; queued frames merged while they fit; large frames split', () => {
  q = 0;
  const queue = new FrameQueue();
  queue.push(frame(3));
  assert.deepEqual(qs(queue.take(100, 10)), [[1, 2, 3]], 'a frame alone is one entry');
  queue.push(frame(3)); // 4..6
  queue.push(frame(4)); // 7..10
  queue.push(frame(5)); // 11..15: does not fit beside 4..10
  queue.push([]); // nothing
  queue.push(frame(25)); // 16..40: split 10 + 10 + 5, the 5 merged with what follows
  queue.push(frame(2)); // 41..42
  assert.equal(queue.length, 39);
  assert.deepEqual(qs(queue.take(100, 10)), [
    range(4, 10),
    range(11, 15),
    range(16, 25),
    range(26, 35),
    range(36, 42),
  ]);
  assert.equal(queue.length, 0);
});

test('FrameQueue: a take stops at whole entries within maxEvents (at least one entry)', () => {
  q = 0;
  const queue = new FrameQueue();
  queue.push(frame(4)); // 1..4
  queue.push(frame(4)); // 5..8
  queue.push(frame(30)); // 9..38
  assert.deepEqual(qs(queue.take(6, 5)), [range(1, 4)], '1..4 + 5..8 would pass 6 events');
  assert.deepEqual(qs(queue.take(3, 5)), [range(5, 8)], 'one entry even past maxEvents');
  assert.deepEqual(qs(queue.take(12, 5)), [range(9, 13), range(14, 18)]);
  assert.equal(queue.length, 20);
  // Failed in transit: back in front, in order, as they were cut; the split frame's rest after.
  queue.requeue([range(9, 13), range(14, 18)].map((e) => e.map((n) => ({ ev: 'T', q: n }))));
  assert.equal(queue.length, 30);
  assert.deepEqual(qs(queue.take(1000, 100)), [range(9, 38)], 'merged again when they fit');
});

test('FrameQueue: a long backlog is taken in order without losing or repeating an event', () => {
  q = 0;
  const queue = new FrameQueue();
  const sizes = Array.from({ length: 5000 }, (_, i) => 1 + ((i * 7) % 23));
  for (const n of sizes) queue.push(frame(n));
  const got: number[] = [];
  while (queue.length > 0) {
    const entries = queue.take(500, 50);
    for (const e of entries) assert.ok(e.length >= 1 && e.length <= 50, `entry of ${e.length}`);
    assert.ok(entries.length === 1 || entries.flat().length <= 500);
    got.push(...entries.flat().map((x) => x['q'] as number));
  }
  assert.deepEqual(got, range(1, q));
});

test('encodeEntries: (n, data) per entry, decoded back to the same events; the unserializable left out', () => {
  const bad: WireEvent = { ev: 'T', q: 2, big: 1n as unknown as number };
  const left: WireEvent[] = [];
  const encoded = encodeEntries(
    [[{ ev: 'T', q: 1 }, bad, { ev: 'Q', q: 3 }], [bad], [{ ev: 'A', q: 4 }]],
    (event) => left.push(event),
  );
  assert.deepEqual(left, [bad, bad]);
  assert.equal(encoded.events, 3);
  assert.deepEqual(encoded.args, [
    '2',
    '[{"ev":"T","q":1},{"ev":"Q","q":3}]',
    '1',
    '[{"ev":"A","q":4}]',
  ]);
  assert.deepEqual(decodeEntry(['n', encoded.args[0]!, 'data', encoded.args[1]!]), {
    events: encoded.entries[0],
  });
});

test('sink options entryEvents, maxInFlight, batchSize: positive integers, named when wrong', () => {
  const url = 'redis://127.0.0.1:6379';
  const settings = sinkSettings({ url, streamKey: 'k' });
  assert.deepEqual(
    [settings.entryEvents, settings.maxInFlight, settings.batchSize],
    [100, 4, 10_000],
  );
  for (const option of ['entryEvents', 'maxInFlight', 'batchSize'] as const) {
    for (const bad of [0, -1, 1.5, '4', Infinity]) {
      assert.throws(
        () => sinkSettings({ url, streamKey: 'k', [option]: bad as number }),
        (err: unknown) =>
          isPolygonStreamError(err, ErrorCode.InvalidOption) &&
          err.message.includes(option) &&
          /integer/.test(err.message),
        `${option}: ${String(bad)}`,
      );
    }
  }
});
