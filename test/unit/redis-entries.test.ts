/**
 * The Redis reader's parts that need no Redis: telling events from poison entries, the missed-entry
 * count from XINFO facts, reports that are never silent, options.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import { decodeEntry } from '../../src/redis/reader/decode-entry.js';
import { readerSettings } from '../../src/redis/reader/reader-options.js';
import { reportError } from '../../src/redis/report.js';
import fc from 'fast-check';
import {
  compareIds,
  MAX_COUNTED_UNREAD,
  missedFrom,
  type StreamFacts,
} from '../../src/redis/reader/missed-entries.js';

test('decodeEntry: v2 entries (n, data = an array of events) and old one-event entries decode to a batch', () => {
  assert.deepEqual(decodeEntry(['n', '2', 'data', '[{"ev":"T","q":1},{"ev":"Q","q":2}]']), {
    events: [
      { ev: 'T', q: 1 },
      { ev: 'Q', q: 2 },
    ],
  });
  // The old format: one event object, ev and sym beside it: a batch of one.
  assert.deepEqual(decodeEntry(['ev', 'T', 'sym', 'A', 'data', '{"ev":"T","q":1}']), {
    events: [{ ev: 'T', q: 1 }],
  });
  // n is optional; unknown fields are ignored; an empty batch is a batch.
  assert.deepEqual(decodeEntry(['data', '[{"ev":"T"}]', 'origin', 'x']), { events: [{ ev: 'T' }] });
  assert.deepEqual(decodeEntry(['n', '0', 'data', '[]']), { events: [] });
});

test('decodeEntry: anything else is poison (the whole entry), with why', () => {
  const cases: [string[], string][] = [
    [['ev', 'T'], 'no data field'],
    [['data', '{oops'], 'data is not JSON'],
    [['data', 'null'], 'data is null, not an event object'],
    [['data', '42'], 'data is a number, not an event object'],
    [['data', '"T"'], 'data is a string, not an event object'],
    [['data', '{"sym":"A"}'], 'data has no string ev field'],
    [['data', '{"ev":null}'], 'data has no string ev field'],
    [['data', '[{"ev":"T"},1]'], 'data[1] is a number, not an event object'],
    [['data', '[[{"ev":"T"}]]'], 'data[0] is an array, not an event object'],
    [['data', '[{"ev":"T"},null]'], 'data[1] is null, not an event object'],
    [['data', '[{"sym":"A"}]'], 'data[0] has no string ev field'],
    [['n', '3', 'data', '[{"ev":"T"},{"ev":"T"}]'], 'n is "3" but data holds 2 events'],
    [['n', 'two', 'data', '[{"ev":"T"},{"ev":"T"}]'], 'n is "two" but data holds 2 events'],
    [['n', '2', 'data', '{"ev":"T"}'], 'n is "2" but data holds 1 event'],
  ];
  for (const [fields, poison] of cases)
    assert.deepEqual(decodeEntry(fields), { poison }, fields.join(' '));
});

test('compareIds orders ms then sequence, past 2^53', () => {
  assert.equal(compareIds('1-0', '1-0'), 0);
  assert.equal(compareIds('1-1', '1-0'), 1);
  assert.equal(compareIds('2-0', '10-0'), -1);
  assert.equal(compareIds('1-18446744073709551615', '1-18446744073709551614'), 1);
});

test('missedFrom: exact counts where Redis can tell, unknown/unsupported where it cannot', async () => {
  const stream = (over: Partial<StreamFacts> = {}): StreamFacts => ({
    length: 50,
    entriesAdded: 100,
    maxDeletedId: '0-0',
    firstId: '51-0',
    lastId: '100-0',
    ...over,
  });
  const never = (): Promise<number | undefined> => assert.fail('no count needed');
  // Behind the first entry: every entry left is unread. Read 10, 50 left: 40 missed.
  assert.deepEqual(
    await missedFrom(stream(), { lastDeliveredId: '10-0', entriesRead: 10 }, never),
    {
      missed: 40,
    },
  );
  // Read up to the trim point exactly: nothing missed.
  assert.deepEqual(
    await missedFrom(stream(), { lastDeliveredId: '50-0', entriesRead: 50 }, never),
    {
      missed: 0,
    },
  );
  // Read to the end after jumping the trim: the lag is what was missed.
  assert.deepEqual(
    await missedFrom(stream(), { lastDeliveredId: '100-0', entriesRead: 60 }, never),
    {
      missed: 40,
    },
  );
  // In the middle: the unread entries are counted (here 30 after 70-0).
  const counted = await missedFrom(
    stream(),
    { lastDeliveredId: '70-0', entriesRead: 30 },
    async (after) => (after === '70-0' ? 30 : assert.fail(after)),
  );
  assert.deepEqual(counted, { missed: 40 });
  // Too many to count now.
  assert.deepEqual(
    await missedFrom(stream(), { lastDeliveredId: '70-0', entriesRead: 30 }, async () => undefined),
    { missed: 'later' },
  );
  // entries-read null (Redis cannot tell): unknown when something was deleted ahead of the group.
  assert.deepEqual(
    await missedFrom(
      stream({ maxDeletedId: '80-0' }),
      { lastDeliveredId: '70-0', entriesRead: null },
      never,
    ),
    { missed: 'unknown' },
  );
  assert.deepEqual(
    await missedFrom(
      stream({ length: 100, firstId: '1-0' }),
      { lastDeliveredId: '70-0', entriesRead: null },
      never,
    ),
    { missed: 0 },
  );
  // Redis before 7.0.
  assert.deepEqual(
    await missedFrom(
      stream({ entriesAdded: undefined }),
      { lastDeliveredId: '1-0', entriesRead: undefined },
      never,
    ),
    { missed: 'unsupported' },
  );
});

test('reportError: onError, else error listeners, else one line on the logger', () => {
  const err = new PolygonStreamError(ErrorCode.RedisPoisonEntry, 'readStream: entry 1-0 is bad');
  const heard: string[] = [];
  const warned: string[] = [];
  const logger = { warn: (message: string) => void warned.push(message) };
  const emitter = new EventEmitter();
  reportError(emitter, (e) => heard.push(`onError ${e.code}`), logger, err);
  emitter.on('error', (e: PolygonStreamError) => heard.push(`listener ${e.code}`));
  reportError(emitter, undefined, logger, err);
  assert.deepEqual(heard, ['onError REDIS_POISON_ENTRY', 'listener REDIS_POISON_ENTRY']);
  assert.deepEqual(warned, []);
  reportError(new EventEmitter(), undefined, logger, err);
  assert.deepEqual(warned, ['polygon-stream [REDIS_POISON_ENTRY] readStream: entry 1-0 is bad']);
});

test('readStream options: the new ones are checked, with their defaults', () => {
  const base = { url: 'redis://127.0.0.1:1', key: 'k', group: 'g', consumer: 'c' };
  const s = readerSettings(base);
  assert.deepEqual(
    [
      s.claimIdleMs,
      s.claimIntervalMs,
      s.maxDeliveries,
      s.deadLetterKey,
      s.checkIntervalMs,
      s.deadConsumerIdleMs,
    ],
    [5_000, 1_000, 5, 'k:dead', 5_000, 60_000],
  );
  assert.throws(
    () => readerSettings({ ...base, maxDeliveries: 0 }),
    /^PolygonStreamError: readStream: maxDeliveries must be an integer/,
  );
  assert.throws(
    () => readerSettings({ ...base, deadLetterKey: 'k' }),
    /readStream: deadLetterKey must be a non-empty key other than key \(got "k"\)/,
  );
  assert.throws(
    () => readerSettings({ ...base, start: '>' as never }),
    /readStream: start must be '\$' or '0'/,
  );
  assert.throws(
    () => readerSettings({ ...base, checkIntervalMs: -1 }),
    /readStream: checkIntervalMs must be a duration/,
  );
});

test('missedFrom: facts read stream first, then group, then unread count never report a miss while the sink adds and the group reads', async () => {
  // A stream never trimmed, entries n-0 for n = 1…added. checkMissed reads XINFO STREAM at t1,
  // XINFO GROUPS at t2 and counts the unread entries (XRANGE, at most lag + 1) at t3; between
  // them the sink may add entries and the group may read some.
  const step = fc.record({ added: fc.nat(50), read: fc.nat(50) });
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 100 }),
      fc.nat(100),
      step,
      step,
      async (a0, r0, s12, s23) => {
        let added = a0;
        let read = Math.min(r0, added);
        const a1 = added;
        added += s12.added;
        read = Math.min(added, read + s12.read);
        const [a2, r2] = [added, read];
        added += s23.added;
        const a3 = added;
        const stream: StreamFacts = {
          length: a1,
          entriesAdded: a1,
          maxDeletedId: '0-0',
          firstId: '1-0',
          lastId: `${a1}-0`,
        };
        const lag = a2 - r2;
        const check = await missedFrom(
          stream,
          { lastDeliveredId: `${r2}-0`, entriesRead: r2 },
          async (after) => {
            assert.equal(after, `${r2}-0`);
            return lag > MAX_COUNTED_UNREAD ? undefined : Math.min(a3 - r2, lag + 1);
          },
        );
        assert.ok(check.missed === 0 || check.missed === 'later', JSON.stringify(check));
      },
    ),
    { numRuns: Number(process.env['FUZZ_RUNS'] ?? 500) },
  );
  // The other order (group facts older than the stream's) is what reported false misses on a
  // cluster: 7 entries added in between, the count capped at lag + 1, so 6 "missed".
  const late: StreamFacts = {
    length: 20,
    entriesAdded: 20,
    maxDeletedId: '0-0',
    firstId: '1-0',
    lastId: '20-0',
  };
  const older = await missedFrom(late, { lastDeliveredId: '10-0', entriesRead: 10 }, async () => 4);
  assert.deepEqual(older, { missed: 6 });
});
