/**
 * The CLI's status line as a unit: what LinkWatch counts from the client's state and reconnect
 * notifications (driven here by hand, in the order a real client emits them), and how the line
 * and the exit summary read.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import type { ConnectionState, ReconnectInfo } from '../../src/index.js';
import { PolygonStreamError } from '../../src/index.js';
import { type LinkFigures, LinkWatch, RATE_WINDOW_MS } from '../../src/cli/output/link.js';
import { formatStats, formatSummary } from '../../src/cli/output/status-line.js';
import { gapLine } from '../../src/cli/messages.js';

/** A stand-in for the client's notifications: `on(name, listener)` like StreamClient's. */
class Notifier {
  private readonly emitter = new EventEmitter();
  private state: ConnectionState = 'idle';
  on(name: string, listener: (payload: unknown) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
  go(state: ConnectionState): void {
    this.emitter.emit('state', { state, previous: this.state });
    this.state = state;
  }
  retry(attempt: number, code = 'CONNECTION_FAILED'): void {
    this.go('reconnecting');
    const info: ReconnectInfo = {
      attempt,
      delayMs: 1000,
      cause: new PolygonStreamError(code as 'CONNECTION_FAILED', 'gone'),
    };
    this.emitter.emit('reconnect', info);
  }
}

function watched(max: number | undefined = 20) {
  let now = 1_000_000;
  const link = new LinkWatch(max, () => now);
  const client = new Notifier();
  link.attach(client as never);
  return { link, client, tick: (ms: number) => (now += ms) };
}

describe('LinkWatch', () => {
  test('connecting, then live; only data events count', () => {
    const { link, client } = watched();
    assert.equal(link.figures().state, 'connecting');
    client.go('connecting');
    client.go('authenticating');
    assert.equal(link.figures().state, 'connecting');
    client.go('open');
    for (let i = 0; i < 5; i++) link.dataEvent();
    const f = link.figures();
    assert.deepEqual(
      [f.state, f.live, f.events, f.reconnects, f.attempts],
      ['live', true, 5, 0, 0],
    );
  });

  test('one outage that took three attempts is one reconnect (three attempts)', () => {
    const { link, client, tick } = watched();
    client.go('connecting');
    client.go('authenticating');
    client.go('open');
    link.dataEvent();
    for (const attempt of [1, 2, 3]) {
      client.retry(attempt);
      assert.equal(link.figures().state, `reconnecting ${attempt}/20`);
      client.go('connecting');
      assert.equal(link.figures().state, `reconnecting ${attempt}/20`, 'while the attempt runs');
      tick(1500);
    }
    const during = link.figures();
    assert.equal(during.live, false);
    assert.equal(during.quietMs, 4500);
    assert.deepEqual([during.reconnects, during.attempts], [0, 3]);
    client.go('authenticating');
    client.go('open');
    const after = link.figures();
    assert.deepEqual([after.state, after.reconnects, after.attempts], ['live', 1, 3]);
    client.go('closing');
    client.go('closed');
    assert.equal(link.figures().state, 'closed');
  });

  test('retries of the first connection are connecting, not reconnects', () => {
    const { link, client, tick } = watched();
    client.go('connecting');
    client.retry(1);
    client.go('connecting');
    client.retry(2);
    assert.equal(link.figures().state, 'connecting');
    assert.equal(link.wasLive, false);
    tick(2000);
    client.go('connecting');
    client.go('authenticating');
    client.go('open');
    const f = link.figures();
    assert.deepEqual([f.state, f.reconnects, f.attempts, link.wasLive], ['live', 0, 0, true]);
  });

  test('max_connections with reclaim: reclaiming until live again', () => {
    const { link, client } = watched();
    client.go('connecting');
    client.go('authenticating');
    client.go('open');
    client.retry(0, 'MAX_CONNECTIONS');
    assert.equal(link.figures().state, 'reclaiming');
    client.go('connecting');
    assert.equal(link.figures().state, 'reclaiming');
    client.go('authenticating');
    client.go('open');
    assert.deepEqual([link.figures().state, link.figures().attempts], ['live', 0]);
    assert.equal(link.figures().reconnects, 1);
  });
});

describe('the rate: events per second now, beside the totals', () => {
  /** `perSecond` data events a second for `seconds`, spread evenly (one batch per 100 ms tick). */
  function feed(w: ReturnType<typeof watched>, perSecond: number, seconds: number): void {
    for (let t = 0; t < seconds * 10; t++) {
      for (let i = 0; i < perSecond / 10; i++) w.link.dataEvent();
      w.tick(100);
    }
  }

  function live(): ReturnType<typeof watched> {
    const w = watched();
    w.client.go('connecting');
    w.client.go('authenticating');
    w.client.go('open');
    return w;
  }

  test(`the last ${RATE_WINDOW_MS / 1000} s, not the average since start`, () => {
    const w = live();
    feed(w, 1000, 20);
    assert.ok(Math.abs(w.link.figures().eventsPerSecond - 1000) < 50);
    feed(w, 100, RATE_WINDOW_MS / 1000 + 1);
    const f = w.link.figures();
    // Since start it would be 20,600 / 26 s ≈ 792.
    assert.ok(Math.abs(f.eventsPerSecond - 100) < 15, `${f.eventsPerSecond} ev/s`);
    assert.equal(f.events, 20_600);
    assert.match(formatStats(f, client), /^live · 100 ev\/s · 20,600 events · /);
  });

  test('falls to 0 when data stops while live; the totals stay', () => {
    const w = live();
    feed(w, 200, 3);
    const before = w.link.figures();
    assert.equal(before.events, 600);
    w.tick(RATE_WINDOW_MS / 2);
    const fading = w.link.figures().eventsPerSecond;
    assert.ok(fading > 0 && fading < before.eventsPerSecond, `${fading} ev/s half-way`);
    w.tick(RATE_WINDOW_MS);
    const after = w.link.figures();
    assert.deepEqual([after.state, after.eventsPerSecond, after.events], ['live', 0, 600]);
    assert.equal(after.quietMs, RATE_WINDOW_MS * 1.5 + 100, 'since the last event, 100 ms in');
    assert.match(formatStats(after, client), /^live · 0\.0 ev\/s · 600 events · /);
  });

  test('time spent connecting does not dilute the first seconds', () => {
    const w = watched();
    w.client.go('connecting');
    w.tick(3000); // a slow first connect
    w.client.go('authenticating');
    w.client.go('open');
    feed(w, 100, 1);
    // Counted from when it was live: 100 in 1 s, not 100 in 4 s.
    assert.ok(Math.abs(w.link.figures().eventsPerSecond - 100) < 1);
  });
});

const figures: LinkFigures = {
  state: 'live',
  live: true,
  events: 12345,
  eventsPerSecond: 201.4,
  reconnects: 1,
  attempts: 1,
  quietMs: 20,
  uptimeMs: 61_000,
};
const client = {
  dropped: 2,
  latencyMs: { samples: 5, p50: 2.4, p99: 11, min: 1, max: 12, last: 3 },
};

describe('status line', () => {
  test('live: state first, then rate, data events, reconnects, drops, latency', () => {
    assert.equal(
      formatStats(figures, client),
      'live · 201 ev/s · 12,345 events · 1 reconnect · 2 drops · latency p50 2ms p99 11ms',
    );
    assert.match(
      formatStats({ ...figures, eventsPerSecond: 0 }, { dropped: 0, latencyMs: null }),
      /^live · 0\.0 ev\/s .* latency -$/,
    );
  });

  test('during an outage: no rate, how long nothing has arrived, the attempts', () => {
    const line = formatStats(
      { ...figures, state: 'reconnecting 2/20', live: false, quietMs: 4_210, attempts: 3 },
      client,
    );
    assert.equal(
      line,
      'reconnecting 2/20 · no data 4.2s · 12,345 events · 1 reconnect (3 attempts) · 2 drops · latency p50 2ms p99 11ms',
    );
    assert.doesNotMatch(line, /ev\/s/);
  });

  test('summary at exit: events and how long, no state', () => {
    assert.equal(
      formatSummary({ ...figures, events: 5, state: 'closed', live: false }, client),
      '5 events in 61.0s · 1 reconnect · 2 drops · latency p50 2ms p99 11ms',
    );
  });
});

describe('backfill in the status and gap lines', () => {
  const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 23);
  const base = { from: 1_000, lostAt: 1_500, to: 3_000, topics: ['T.AAPL', 'T.MSFT', 'Q.*'] };

  test('the status line counts partial fills beside the backfilled events', () => {
    const c = { ...client, backfilled: 1_200 };
    assert.match(formatStats(figures, c), / · 1,200 backfilled · /);
    assert.match(
      formatStats(figures, { ...c, partialFills: 2 }),
      / · 1,200 backfilled \(2 partial fills\) · /,
    );
  });

  test('the gap line says what was filled completely, in part (with ranges) and not at all', () => {
    const line = gapLine(
      {
        ...base,
        filled: { 'T.AAPL': 40 },
        partial: {
          'T.MSFT': {
            events: 2,
            missing: [{ from: 2_000, to: 2_500, code: 'BACKFILL_INCOMPLETE', reason: 'lag' }],
          },
        },
        unfilled: { 'Q.*': { code: 'NO_HISTORY', reason: 'wildcard' } },
      },
      clock,
    );
    assert.equal(
      line,
      'reconnected: no data from 00:00:01.000 to 00:00:03.000; re-subscribed 3 topic(s); filled 1 topic(s) completely, 42 event(s) from history; partial: T.MSFT (may lack 00:00:02.000–00:00:02.500: BACKFILL_INCOMPLETE); not filled: Q.* (NO_HISTORY)',
    );
    assert.equal(
      gapLine(base, clock),
      'reconnected: no data from 00:00:01.000 to 00:00:03.000; re-subscribed 3 topic(s)',
    );
  });
});
