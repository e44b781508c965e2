/**
 * The relay upstream's pacing without a socket, on mock timers: changes gather for the window after
 * the first one, a flush sends only the difference (one subscribe and one unsubscribe message at
 * most, split past 500 topics), and the token bucket holds any interval of T seconds to
 * UPSTREAM_BURST + UPSTREAM_MESSAGES_PER_SECOND × T messages.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import {
  COALESCE_MS,
  type Changes,
  TokenBucket,
  UPSTREAM_BURST,
  UPSTREAM_MESSAGES_PER_SECOND,
  UpstreamChanges,
} from '../../src/relay/upstream-changes.js';

interface Message {
  at: number;
  action: 'subscribe' | 'unsubscribe';
  topics: string[];
}

/**
 * An upstream model: `wanted` is what clients hold, `subscribed` what was sent; every flush sends
 * the difference. Messages are recorded as the wire would see them (500 topics each).
 */
function model(options: { coalesceMs?: number; bucket?: TokenBucket } = {}) {
  const wanted = new Set<string>();
  const subscribed = new Set<string>();
  const messages: Message[] = [];
  const flushes: Changes<string>[] = [];
  const changes = new UpstreamChanges<string>(
    () => ({
      subscribe: [...wanted].filter((t) => !subscribed.has(t)),
      unsubscribe: [...subscribed].filter((t) => !wanted.has(t)),
    }),
    (c) => {
      flushes.push(c);
      for (const action of ['subscribe', 'unsubscribe'] as const) {
        for (let i = 0; i < c[action].length; i += 500) {
          messages.push({ at: Date.now(), action, topics: c[action].slice(i, i + 500) });
        }
        for (const t of c[action]) {
          if (action === 'subscribe') subscribed.add(t);
          else subscribed.delete(t);
        }
      }
    },
    options,
  );
  return {
    wanted,
    subscribed,
    messages,
    flushes,
    changes,
    hold(topic: string): void {
      wanted.add(topic);
      changes.changed();
    },
    drop(topic: string): void {
      wanted.delete(topic);
      changes.changed();
    },
  };
}

function fakeTime(t: TestContext): void {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
}

/** The most messages in any window of `ms` milliseconds. */
function busiest(messages: readonly Message[], ms: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < messages.length; i++) {
    while ((messages[i] as Message).at - (messages[j] as Message).at > ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('TokenBucket', () => {
  it('starts full, refills at its rate up to its size, and says when the next token comes', (t) => {
    fakeTime(t);
    const bucket = new TokenBucket(10, 5);
    assert.equal(bucket.available(), 10);
    bucket.take(10);
    assert.equal(bucket.available(), 0);
    assert.equal(bucket.msUntilNext(), 200);
    t.mock.timers.tick(199);
    assert.equal(bucket.available(), 0);
    assert.equal(bucket.msUntilNext(), 1);
    t.mock.timers.tick(1);
    assert.equal(bucket.available(), 1);
    assert.equal(bucket.msUntilNext(), 0);
    t.mock.timers.tick(60_000);
    assert.equal(bucket.available(), 10, 'never more than its size');
  });

  it('defaults to the documented burst and rate', () => {
    const bucket = new TokenBucket();
    assert.equal(bucket.burst, UPSTREAM_BURST);
    assert.equal(bucket.perSecond, UPSTREAM_MESSAGES_PER_SECOND);
    assert.deepEqual([UPSTREAM_BURST, UPSTREAM_MESSAGES_PER_SECOND, COALESCE_MS], [10, 5, 50]);
  });
});

describe('UpstreamChanges', () => {
  it('flushes once, COALESCE_MS after the first change, with one message per action', (t) => {
    fakeTime(t);
    const m = model();
    m.hold('T.A');
    t.mock.timers.tick(30);
    m.hold('T.B');
    m.hold('T.C');
    t.mock.timers.tick(COALESCE_MS - 31);
    assert.equal(m.flushes.length, 0);
    t.mock.timers.tick(1);
    assert.deepEqual(m.messages, [
      { at: COALESCE_MS, action: 'subscribe', topics: ['T.A', 'T.B', 'T.C'] },
    ]);
    m.drop('T.A');
    m.drop('T.B');
    m.hold('T.D');
    t.mock.timers.tick(COALESCE_MS);
    assert.deepEqual(
      m.messages.slice(1).map((x) => [x.action, x.topics]),
      [
        ['subscribe', ['T.D']],
        ['unsubscribe', ['T.A', 'T.B']],
      ],
    );
    assert.equal(m.changes.pending, false, 'nothing left to do: no timer');
  });

  it('a subscribe then its unsubscribe, or an unsubscribe then its re-subscribe, sends nothing', (t) => {
    fakeTime(t);
    const m = model();
    m.hold('T.A');
    t.mock.timers.tick(COALESCE_MS);
    assert.equal(m.messages.length, 1);
    m.drop('T.A');
    m.hold('T.A');
    m.hold('T.B');
    m.drop('T.B');
    t.mock.timers.tick(COALESCE_MS);
    assert.equal(m.messages.length, 1);
    assert.deepEqual(m.flushes[1], { subscribe: [], unsubscribe: [] });
    assert.deepEqual([...m.subscribed], ['T.A']);
  });

  it('splits past 500 topics and counts each part against the bucket', (t) => {
    fakeTime(t);
    const m = model({ bucket: new TokenBucket(2, 5) });
    for (let i = 0; i < 1_200; i++) m.hold(`T.S${i}`);
    t.mock.timers.tick(COALESCE_MS);
    assert.deepEqual(
      m.messages.map((x) => x.topics.length),
      [500, 500],
    );
    // The rest waits for the next token (200 ms at 5/s).
    t.mock.timers.tick(199);
    assert.equal(m.messages.length, 2);
    t.mock.timers.tick(1);
    assert.deepEqual(
      m.messages.map((x) => x.topics.length),
      [500, 500, 200],
    );
    assert.equal(m.subscribed.size, 1_200);
  });

  it('flapping for 20 s stays under 10 + 5·T messages in every window, and ends exact', (t) => {
    fakeTime(t);
    const m = model();
    m.hold('T.KEEP');
    let flaps = 0;
    for (let ms = 0; ms < 20_000; ms += 3) {
      const topic = `T.F${flaps % 7}`;
      if (m.wanted.has(topic)) m.drop(topic);
      else m.hold(topic);
      flaps++;
      t.mock.timers.tick(3);
    }
    t.mock.timers.tick(5_000);
    for (const windowMs of [0, 200, 1_000, 3_000, 10_000, 25_000]) {
      const ceiling = UPSTREAM_BURST + (UPSTREAM_MESSAGES_PER_SECOND * windowMs) / 1000;
      assert.ok(
        busiest(m.messages, windowMs) <= ceiling,
        `${busiest(m.messages, windowMs)} messages within ${windowMs} ms`,
      );
    }
    // The bucket, not the window, was the limit: 20 s of flushes every 50 ms would be ~800.
    assert.ok(m.messages.length <= UPSTREAM_BURST + UPSTREAM_MESSAGES_PER_SECOND * 25);
    assert.ok(m.messages.length >= 90, `${m.messages.length} messages`);
    assert.deepEqual([...m.subscribed].sort(), [...m.wanted].sort());
    assert.equal(m.changes.pending, false);
  });

  it('when the tokens carry only one message, subscribes and unsubscribes take turns', (t) => {
    fakeTime(t);
    const m = model({ bucket: new TokenBucket(1, 5) });
    for (let i = 0; i < 8; i++) m.hold(`T.OLD${i}`);
    t.mock.timers.tick(COALESCE_MS);
    // From now on, before every token (one per 200 ms), an old topic goes and a new one comes:
    // both kinds are always due, and neither waits more than one turn.
    for (let i = 0; i < 8; i++) {
      m.drop(`T.OLD${i}`);
      m.hold(`T.NEW${i}`);
      t.mock.timers.tick(200);
    }
    assert.deepEqual(
      m.messages.map((x) => x.action),
      ['subscribe', ...Array.from({ length: 4 }, () => ['subscribe', 'unsubscribe']).flat()],
    );
    t.mock.timers.tick(1_000);
    assert.deepEqual([...m.subscribed].sort(), [...m.wanted].sort());
  });

  it('close() clears the timer: no flush after it, and changes are ignored', (t) => {
    fakeTime(t);
    const m = model();
    m.hold('T.A');
    assert.equal(m.changes.pending, true);
    m.changes.close();
    assert.equal(m.changes.pending, false);
    m.hold('T.B');
    assert.equal(m.changes.pending, false);
    t.mock.timers.tick(10_000);
    assert.deepEqual(m.flushes, []);
  });

  it('an empty bucket delays the flush to the next token; changes keep gathering', (t) => {
    fakeTime(t);
    const bucket = new TokenBucket(1, 5);
    bucket.take(1);
    const m = model({ bucket });
    m.hold('T.A');
    t.mock.timers.tick(COALESCE_MS);
    assert.equal(m.flushes.length, 0);
    m.hold('T.B');
    m.drop('T.A');
    t.mock.timers.tick(200 - COALESCE_MS);
    assert.deepEqual(m.messages, [{ at: 200, action: 'subscribe', topics: ['T.B'] }]);
  });
});
