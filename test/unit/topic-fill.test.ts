/**
 * One topic's fill without a socket or timers: REST answers taken once each (alike events
 * counted, not merged), whole or page by page (`answer`, `add`, `answered`), the proof that REST
 * reached the first live event, what is delivered (at the end, or streamed by `release`), and the
 * missing ranges reported when the fill ends unproven, cut short or fed bad rows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { historyTopic } from '../../src/client/history/history-topic.js';
import { TopicFill } from '../../src/client/fills/topic-fill.js';
import type { WireEvent } from '../../src/protocol/codec.js';

const quote = (t: number, b = 1.1, a = 1.2): WireEvent => ({
  ev: 'C',
  p: 'EUR/USD',
  x: 1,
  b,
  a,
  t,
});
const fill = (from = 1_000): TopicFill =>
  new TopicFill('C.EUR-USD', 'C.EUR-USD', historyTopic('forex', 'market', 'C.EUR-USD'), from, 0);
const times = (f: TopicFill): number[] => f.fresh([]).events.map((e) => e['t'] as number);
const ts = (events: readonly WireEvent[]): number[] => events.map((e) => e['t'] as number);
const identity = historyTopic('forex', 'market', 'C.EUR-USD').route.identity;
const LIMITS = { maxHoldMs: 3_000, concurrency: 8, requestsPerSecond: 50 };

describe('TopicFill', () => {
  test('alike events are kept as many times as REST has them; repeats across answers once', () => {
    const f = fill();
    f.take([quote(1_000), quote(1_005), quote(1_005)]);
    // The next answer starts at the last time collected and repeats what was there.
    f.take([quote(1_005), quote(1_005), quote(1_005), quote(1_007)]);
    assert.deepEqual(times(f), [1_000, 1_005, 1_005, 1_005, 1_007]);
    f.take([quote(1_007), quote(1_008)]);
    assert.deepEqual(times(f), [1_000, 1_005, 1_005, 1_005, 1_007, 1_008]);
  });

  test('proven only by a row at or after the first live event; later rows come live', () => {
    const f = fill();
    f.firstLive = 1_010;
    f.take([quote(1_001), quote(1_009)]);
    assert.equal(f.proven, false);
    assert.deepEqual(
      f.missing(5_000, LIMITS).map((r) => [r.from, r.to, r.code]),
      [[1_009, 1_010, 'BACKFILL_INCOMPLETE']],
    );
    f.take([quote(1_009), quote(1_010), quote(1_012)]);
    assert.equal(f.proven, true);
    assert.deepEqual(times(f), [1_001, 1_009, 1_010]);
    assert.deepEqual(f.missing(5_000, LIMITS), []);
    // What the stream delivered before the gap, or holds, is not delivered again.
    f.held = [quote(1_010)];
    const { events, duplicates } = f.fresh(['t1001 b1.1 a1.2']);
    assert.deepEqual(
      events.map((e) => e['t']),
      [1_009],
    );
    assert.equal(duplicates, 2);
  });

  test('no live event: nothing proven, the range up to now reported', () => {
    const f = fill();
    f.take([quote(1_002)]);
    const [range] = f.missing(9_000, LIMITS);
    assert.deepEqual([range!.from, range!.to], [1_002, 9_000]);
    assert.match(range!.reason, /no live event came to prove/);
  });

  test('bad rows are reported at their time (or the whole query window), merged', () => {
    const f = fill();
    f.firstLive = 2_000;
    f.take([quote(1_500), quote(2_000)]);
    f.reject({ time: 1_600, reason: 'a string for a number' }, { from: 1_000, to: 2_001 });
    f.reject({ time: 1_600, reason: 'again' }, { from: 1_000, to: 2_001 });
    f.reject({ time: undefined, reason: 'another ticker' }, { from: 1_700, to: 1_800 });
    assert.deepEqual(
      f.missing(5_000, LIMITS).map((r) => [r.from, r.to, r.code]),
      [
        [1_600, 1_601, 'HISTORY_INVALID'],
        [1_700, 1_800, 'HISTORY_INVALID'],
      ],
    );
    assert.equal(f.rejected, 3);
  });

  test('cut short: the rest of the gap is reported with the reason', () => {
    const f = fill();
    f.firstLive = 3_000;
    f.take([quote(1_200)]);
    f.cut = { code: 'BACKFILL_OVERFLOW', reason: 'too many held' };
    assert.deepEqual(
      f.missing(5_000, LIMITS).map((r) => [r.from, r.to, r.code]),
      [[1_200, 3_000, 'BACKFILL_OVERFLOW']],
    );
  });

  test('one answer in pages: alike rows across a page boundary kept, the next answer repeats none', () => {
    const f = fill();
    f.answer();
    f.add([quote(1_000), quote(1_005)]);
    // The page boundary falls between two alike quotes: both are REST's, both kept.
    f.add([quote(1_005), quote(1_007), quote(1_007)]);
    f.answered();
    assert.deepEqual(times(f), [1_000, 1_005, 1_005, 1_007, 1_007]);
    assert.equal(f.peak, 5);
    // The next answer starts at 1 007 and repeats its two rows, then brings a third alike one.
    f.answer();
    f.add([quote(1_007), quote(1_007)]);
    f.add([quote(1_007), quote(1_009)]);
    f.answered();
    assert.deepEqual(times(f), [1_000, 1_005, 1_005, 1_007, 1_007, 1_007, 1_009]);
    assert.equal(f.answers, 2);
  });

  test('an answer that failed part way counts what it gave against the next', () => {
    const f = fill();
    f.answer();
    f.add([quote(1_000), quote(1_004), quote(1_004, 1.3)]);
    f.answered(); // the next page never came
    f.answer();
    f.add([quote(1_004), quote(1_004, 1.3), quote(1_004, 1.4), quote(1_006)]);
    f.answered();
    assert.deepEqual(
      f.fresh([]).events.map((e) => [e['t'], e['b']]),
      [
        [1_000, 1.1],
        [1_004, 1.1],
        [1_004, 1.3],
        [1_004, 1.4],
        [1_006, 1.1],
      ],
    );
  });

  test('an answer still at its start: alike rows at the start counted by the most any answer gave', () => {
    const f = fill();
    f.answer();
    f.add([quote(1_000), quote(1_000)]);
    f.answered();
    f.answer();
    f.add([quote(1_000)]);
    f.answered();
    f.answer();
    f.add([quote(1_000), quote(1_000), quote(1_000)]);
    f.answered();
    assert.deepEqual(times(f), [1_000, 1_000, 1_000]);
  });

  test('add: rows past the first live event prove the fill and are left to the stream', () => {
    const f = fill();
    f.firstLive = 1_008;
    f.answer();
    f.add([quote(1_003)]);
    assert.equal(f.proven, false);
    f.add([quote(1_008), quote(1_009)]);
    f.answered();
    assert.equal(f.proven, true);
    assert.deepEqual(times(f), [1_003, 1_008]);
  });

  test('release: only rows older than the safe time, less those seen at the start, once', () => {
    const f = fill(1_000);
    const seenBefore = quote(1_000, 1.1);
    f.answer();
    f.add([seenBefore, quote(1_000, 1.2), quote(1_003), quote(1_005), quote(1_010)]);
    assert.deepEqual(f.release(1_000, [identity(seenBefore)]), []);
    assert.equal(f.releasedThrough, -Infinity);
    // The stream delivered `seenBefore` before the fill's start: it is left out, counted.
    const out = f.release(1_005, [identity(seenBefore)]);
    assert.deepEqual(
      out.map((e) => [e['t'], e['b']]),
      [
        [1_000, 1.2],
        [1_003, 1.1],
      ],
    );
    assert.equal(f.releasedDuplicates, 1);
    assert.equal(f.streamed, 2);
    assert.equal(f.releasedThrough, 1_003);
    // Released rows leave the fill: what is left waits for the end (or the next release).
    assert.deepEqual(times(f), [1_005, 1_010]);
    f.add([quote(1_012)]);
    f.answered();
    // `seen` counts once, at the first release only; later rows are never compared with it.
    assert.deepEqual(ts(f.release(1_011, [identity(quote(1_005))])), [1_005, 1_010]);
    assert.equal(f.streamed, 4);
    assert.deepEqual(times(f), [1_012]);
    assert.equal(f.peak, 5);
  });

  test('an unproven fill says truly where its REST query was: in the gate, on the wire, answered', () => {
    const reason = (f: TopicFill, now: number): string => f.missing(now, LIMITS)[0]!.reason;
    const f = fill();
    f.firstLive = 1_010;
    f.phase = 'queued';
    f.phaseAt = 2_000;
    // Waiting for a turn in the request gate is not REST trailing the stream.
    assert.match(reason(f, 5_000), /waited 3000 ms for its turn in the request gate/);
    assert.match(reason(f, 5_000), /backfill\.concurrency 8 .*backfill\.requestsPerSecond 50/);
    assert.doesNotMatch(reason(f, 5_000), /trails the stream/);
    f.phase = 'sent';
    assert.match(reason(f, 5_000), /on the wire 3000 ms without a complete answer/);
    f.phase = 'idle';
    assert.match(reason(f, 5_000), /no REST answer came within backfill\.maxHoldMs \(3000 ms\)/);
    // Only an answer that came and stopped short of the first live event means REST trails.
    f.take([quote(1_001)]);
    assert.match(reason(f, 5_000), /REST answered, but .* it trails the stream/);
  });
});
