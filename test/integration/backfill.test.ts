/**
 * Backfill as a user sees it: the `gap` event names the topics filled (with counts) and those not
 * filled with a code and reason (wildcards, streams without history, REST refusing the key, a
 * hold overflow, limits); backfilled events are marked (`isBackfilled`) and announced by a
 * `backfill` event before the topic's live events; REST failures never stop the live stream; REST
 * trailing the stream past maxHoldMs gives a `partial` topic whose range holds every lost event,
 * with live events on time; the key never shows; bad options throw INVALID_OPTION.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ErrorCode,
  PolygonStreamError,
  StreamClient,
  type BackfillReport,
  type Gap,
} from '../../src/index.js';
import type { WireEvent } from '../../src/protocol/codec.js';
import { topicOf } from '../../src/protocol/symbols.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { startRestServer } from '../helpers/rest-server.js';
import { sleep, until } from '../helpers/until.js';

const KEY = 'BACKFILL-SECRET-KEY';
const T = { timeout: 15_000 };
const RECONNECT = {
  initialDelayMs: 10,
  maxDelayMs: 50,
  factor: 2,
  jitter: 0,
  maxAttempts: 50,
  stableAfterMs: 50,
};

interface Run {
  client: StreamClient<'stocks'>;
  events: WireEvent[];
  marked: boolean[];
  gaps: Gap[];
  reports: BackfillReport[];
  order: string[];
  logs: string[];
}

async function open(sim: Simulator, options: object, topics: string[]): Promise<Run> {
  const logs: string[] = [];
  const log = (level: string) => (msg: string) => logs.push(`${level} ${msg}`);
  const run: Run = { events: [], marked: [], gaps: [], reports: [], order: [], logs } as never;
  run.client = new StreamClient(KEY, 'stocks', {
    host: sim.url,
    reconnect: RECONNECT,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    onError: (_c, e) => logs.push(`onError ${e.message}`),
    onClose: () => undefined,
    ...options,
  });
  run.client.on('*', (e) => {
    if (e.ev === 'status') return;
    run.events.push(e as WireEvent);
    run.marked.push(run.client.isBackfilled(e));
    run.order.push(run.client.isBackfilled(e) ? 'history' : 'live');
  });
  run.client.on('gap', (g) => run.gaps.push(g));
  run.client.on('backfill', (r) => {
    run.reports.push(r);
    run.order.push(`report ${r.topic}`);
  });
  await run.client.startStreamThread();
  await run.client.subscribe(topics);
  return run;
}

/** Events of `topic` (`T.AAPL`) the client has delivered so far. */
const countOf = (run: Run, topic: string): number =>
  run.events.filter((e) => topicOf(e) === topic).length;

/** Until every topic has delivered a live event: each fill then has a last event to start from. */
async function liveOn(run: Run, topics: string[]): Promise<void> {
  await until(
    () => topics.every((t) => countOf(run, t) > 0),
    `live events on ${topics.join(', ')}`,
  );
}

async function dropAll(sim: Simulator): Promise<void> {
  for (const c of sim.connections()) c.drop();
  // One macrotask, not a wait on time: the dropped sockets' close events run before the caller's.
  await sleep(0);
}

describe('backfill', () => {
  it(
    'gap: filled topics with counts, unfilled with code and reason; events marked',
    T,
    async () => {
      // Q.* lists every reference stock: T.AAPL gets about 1/400 of the rate, so it is high.
      const sim = await startSimulator({
        apiKeys: [KEY],
        eventsPerSecond: 8_000,
        tickMs: 10,
        windowScale: 0.01,
      });
      const run = await open(sim, { backfill: { liveWaitMs: 100 } }, [
        'T.AAPL',
        'Q.*',
        'LULD.AAPL',
      ]);
      try {
        await liveOn(run, ['T.AAPL']);
        sim.outage(300);
        await until(() => run.gaps.length === 1, 'the gap');
        const gap = run.gaps[0]!;
        assert.deepEqual(Object.keys(gap.filled!), ['T.AAPL']);
        assert.ok(gap.filled!['T.AAPL']! > 0, 'trades during the outage came from history');
        assert.equal(gap.unfilled!['Q.*']!.code, ErrorCode.NoHistory);
        assert.match(gap.unfilled!['Q.*']!.reason, /wildcard/);
        assert.equal(gap.unfilled!['LULD.AAPL']!.code, ErrorCode.NoHistory);
        assert.match(gap.unfilled!['LULD.AAPL']!.reason, /limit-up/);
        const [report] = run.reports;
        assert.equal(report!.topic, 'T.AAPL');
        assert.equal(report!.events, gap.filled!['T.AAPL']);
        // The marked events are exactly the report's count, all T.AAPL, before its live events.
        const marked = run.events.filter((_, i) => run.marked[i]);
        assert.equal(marked.length, report!.events);
        assert.ok(marked.every((e) => e.ev === 'T' && e['sym'] === 'AAPL'));
        const firstMarked = run.marked.indexOf(true);
        const lastMarked = run.marked.lastIndexOf(true);
        const aaplAfter = run.events
          .slice(firstMarked)
          .filter((e, i) => e.ev === 'T' && e['sym'] === 'AAPL' && i + firstMarked > lastMarked);
        const qs = [...marked, ...aaplAfter].map((e) => e['q'] as number);
        for (let i = 1; i < qs.length; i++) assert.ok(qs[i]! > qs[i - 1]!, 'q rises across');
        assert.ok(run.order.indexOf('report T.AAPL') > lastMarked);
      } finally {
        await run.client.closeStream();
        await sim.close();
      }
    },
  );

  it(
    'REST refusing the key: unfilled HISTORY_UNAVAILABLE, the stream goes on, key hidden',
    T,
    async () => {
      const sim = await startSimulator({ apiKeys: [KEY], eventsPerSecond: 1_000, tickMs: 10 });
      const rest = await startSimulator({ apiKeys: ['another-key'] });
      const run = await open(
        sim,
        { backfill: { liveWaitMs: 50, restUrl: rest.url.replace('ws:', 'http:') } },
        ['T.AAPL'],
      );
      try {
        await liveOn(run, ['T.AAPL']);
        await dropAll(sim);
        await until(() => run.gaps.length === 1, 'the gap');
        const u = run.gaps[0]!.unfilled!['T.AAPL']!;
        assert.equal(u.code, ErrorCode.HistoryUnavailable);
        assert.match(u.reason, /401/);
        const n = run.events.length;
        await until(() => run.events.length > n + 20, 'live events after the failure');
        assert.equal(run.client.state, 'open');
        assert.ok(!run.marked.includes(true));
        for (const text of [...run.logs, JSON.stringify(run.gaps)]) assert.ok(!text.includes(KEY));
      } finally {
        await run.client.closeStream();
        await Promise.all([sim.close(), rest.close()]);
      }
    },
  );

  it(
    'over maxHeldEvents: gives up on that topic (BACKFILL_OVERFLOW), live goes on',
    T,
    async () => {
      const sim = await startSimulator({ apiKeys: [KEY], eventsPerSecond: 5_000, tickMs: 10 });
      // A REST server that never answers: the held live events overflow.
      const slow = await startRestServer(() => ({ hang: true }));
      const run = await open(sim, { backfill: { maxHeldEvents: 20, restUrl: slow.url } }, [
        'T.AAPL',
        'Q.AAPL',
      ]);
      try {
        await liveOn(run, ['T.AAPL', 'Q.AAPL']);
        await dropAll(sim);
        await until(() => run.gaps.length === 1, 'the gap');
        const g = run.gaps[0]!;
        for (const topic of ['T.AAPL', 'Q.AAPL']) {
          assert.ok(g.unfilled![topic], JSON.stringify(g));
          assert.equal(g.unfilled![topic]!.code, ErrorCode.BackfillOverflow, topic);
          assert.match(g.unfilled![topic]!.reason, /maxHeldEvents \(20\)/);
        }
        const n = run.events.length;
        await until(() => run.events.length > n + 50, 'live events');
      } finally {
        await run.client.closeStream();
        await Promise.all([sim.close(), slow.close()]);
      }
    },
  );

  it('maxGapMs and maxTickers leave topics unfilled with BACKFILL_SKIPPED', T, async () => {
    const sim = await startSimulator({ apiKeys: [KEY], eventsPerSecond: 500, tickMs: 10 });
    const run = await open(sim, { backfill: { maxTickers: 1, liveWaitMs: 20 } }, [
      'T.AAPL',
      'T.MSFT',
    ]);
    try {
      await liveOn(run, ['T.AAPL', 'T.MSFT']);
      await dropAll(sim);
      await until(() => run.gaps.length === 1, 'the gap');
      const g = run.gaps[0]!;
      assert.equal(Object.keys(g.filled!).length, 1);
      const [skipped] = Object.values(g.unfilled!);
      assert.equal(skipped!.code, ErrorCode.BackfillSkipped);
      assert.match(skipped!.reason, /maxTickers \(1\)/);
    } finally {
      await run.client.closeStream();
      await sim.close();
    }
  });

  it(
    'a drop while filling: reported interrupted, the next gap covers it, nothing lost',
    T,
    async () => {
      const sim = await startSimulator({ apiKeys: [KEY], eventsPerSecond: 2_000, tickMs: 10 });
      // Two requests a second: the second topic's fill is still waiting when the next drop comes.
      const run = await open(sim, { backfill: { liveWaitMs: 50, requestsPerSecond: 2 } }, [
        'T.AAPL',
        'T.MSFT',
      ]);
      try {
        await liveOn(run, ['T.AAPL', 'T.MSFT']);
        await dropAll(sim);
        await until(() => run.reports.length === 1, 'the first topic filled');
        await dropAll(sim);
        await until(() => run.gaps.length === 2, 'two gaps');
        const [first, second] = run.gaps;
        const interrupted = Object.entries(first!.unfilled!);
        assert.equal(interrupted.length, 1);
        assert.equal(interrupted[0]![1].code, ErrorCode.BackfillSkipped);
        assert.match(interrupted[0]![1].reason, /interrupted/);
        assert.deepEqual(Object.keys(second!.filled!).sort(), ['T.AAPL', 'T.MSFT']);
        // Live events after the second fill, so the comparison covers its join with live.
        const filledAt = ['T.AAPL', 'T.MSFT'].map((t) => countOf(run, t));
        await until(
          () => ['T.AAPL', 'T.MSFT'].every((t, i) => countOf(run, t) > filledAt[i]!),
          'live events after the second gap',
        );
        for (const sym of ['AAPL', 'MSFT']) {
          const got = run.events.filter((e) => e['sym'] === sym).map((e) => e['q']);
          const tape = sim.history('stocks', `T.${sym}`).map((e) => e['q']);
          const start = tape.indexOf(got[0]);
          assert.deepEqual(
            got,
            tape.slice(start, start + got.length),
            `${sym}: all, once, in order`,
          );
        }
      } finally {
        await run.client.closeStream();
        await sim.close();
      }
    },
  );

  it(
    'REST 2 s behind, maxHoldMs 400: live flows on time, the topic is partial and names the range',
    T,
    async () => {
      const sim = await startSimulator({
        apiKeys: [KEY],
        eventsPerSecond: 1_000,
        tickMs: 10,
        restLagMs: 2_000,
      });
      const run = await open(sim, { backfill: { liveWaitMs: 50, maxHoldMs: 400 } }, ['T.AAPL']);
      const lateness: number[] = [];
      run.client.on('T', (e) => {
        if (!run.client.isBackfilled(e)) lateness.push(Date.now() - e.t);
      });
      try {
        await liveOn(run, ['T.AAPL']);
        sim.outage(300);
        await until(() => run.gaps.length === 1, 'the gap');
        const gap = run.gaps[0]!;
        assert.deepEqual(gap.filled, {}, 'never filled: REST cannot show the end of the gap');
        const named = gap.partial!['T.AAPL'] ?? gap.unfilled!['T.AAPL'];
        assert.ok(named?.missing?.length, JSON.stringify(gap));
        const [range] = named.missing!;
        assert.equal(range!.code, ErrorCode.BackfillIncomplete);
        assert.match(range!.reason, /maxHoldMs \(400 ms\)/);
        const [report] = run.reports;
        assert.equal(report!.status, 'partial');
        assert.ok(report!.heldMs >= 350 && report!.heldMs < 1_500, `held ${report!.heldMs} ms`);
        // Live trades after the partial fill: their lateness counts too.
        const liveAtGap = lateness.length;
        await until(() => lateness.length > liveAtGap + 3, 'live trades after the gap');
        assert.ok(Math.max(...lateness) < 1_500, `a live trade waited ${Math.max(...lateness)} ms`);
        // Every trade of the tape not delivered lies inside the range reported.
        const got = new Set(run.events.map((e) => e['q']));
        const first = run.events[0]!['t'] as number;
        const last = run.events.at(-1)!['t'] as number;
        const lost = sim
          .history('stocks', 'T.AAPL')
          .filter((e) => (e['t'] as number) >= first && (e['t'] as number) <= last)
          .filter((e) => !got.has(e['q']));
        assert.ok(lost.length > 0, 'the outage lost trades');
        for (const e of lost) {
          const t = e['t'] as number;
          assert.ok(t >= range!.from && t < range!.to, `${t} outside ${JSON.stringify(range)}`);
        }
      } finally {
        await run.client.closeStream();
        await sim.close();
      }
    },
  );

  it(
    'a gap fill still waiting in the request gate when maxHoldMs runs out says so',
    T,
    async () => {
      const names = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOG', 'META'];
      const sim = await startSimulator({
        apiKeys: [KEY],
        eventsPerSecond: 1_000,
        tickMs: 10,
        tickers: { stocks: names },
      });
      // One request at a time, 3 a second: the later topics' requests are still queued at 300 ms.
      const backfill = { liveWaitMs: 50, maxHoldMs: 300, concurrency: 1, requestsPerSecond: 3 };
      const run = await open(
        sim,
        { backfill },
        names.map((s) => `T.${s}`),
      );
      try {
        await liveOn(
          run,
          names.map((s) => `T.${s}`),
        );
        sim.outage(300);
        await until(() => run.gaps.length === 1, 'the gap');
      } finally {
        await run.client.closeStream();
        await sim.close();
      }
      const gap = run.gaps[0]!;
      const reasons = [
        ...Object.values(gap.partial!).flatMap((p) => p.missing.map((r) => r.reason)),
        ...Object.values(gap.unfilled!).map((u) => u.reason),
      ];
      assert.ok(
        reasons.some((r) => /waited \d+ ms for its turn in the request gate/.test(r)),
        reasons.join('\n'),
      );
      // REST has every event at once here: no reason may blame it for trailing the stream.
      for (const r of reasons) assert.doesNotMatch(r, /trails the stream/);
    },
  );

  it(
    'an endless chain of empty pages: live not frozen, the topic named with HISTORY_INVALID',
    T,
    async () => {
      const sim = await startSimulator({ apiKeys: [KEY], eventsPerSecond: 1_000, tickMs: 10 });
      const run = await open(sim, { backfill: { liveWaitMs: 50 } }, ['T.AAPL']);
      try {
        await liveOn(run, ['T.AAPL']);
        sim.faults.rest.push({ emptyPages: true });
        await dropAll(sim);
        await until(() => run.gaps.length === 1, 'the gap');
        const u = run.gaps[0]!.unfilled!['T.AAPL']!;
        assert.equal(u.code, ErrorCode.HistoryInvalid, JSON.stringify(u));
        assert.match(u.reason, /no rows and a next_url/);
        assert.ok(run.reports[0]!.heldMs < 2_000, `held ${run.reports[0]!.heldMs} ms`);
      } finally {
        await run.client.closeStream();
        await sim.close();
      }
    },
  );

  it('bad backfill options throw INVALID_OPTION naming the option', () => {
    const bad: [unknown, RegExp][] = [
      ['yes', /backfill/],
      [{ maxGapMs: -1 }, /backfill\.maxGapMs/],
      [{ maxTickers: 0 }, /backfill\.maxTickers/],
      [{ concurrency: 1.5 }, /backfill\.concurrency/],
      [{ streams: ['t.x'] }, /backfill\.streams/],
      [{ restUrl: 'ftp://x' }, /backfill\.restUrl/],
      [{ requestsPerSecond: 0 }, /backfill\.requestsPerSecond/],
      [{ maxHoldMs: 0 }, /backfill\.maxHoldMs/],
      [{ alsoFill: ['T.AAPL'] }, /backfill\.alsoFill/],
    ];
    for (const [backfill, message] of bad) {
      assert.throws(
        () => new StreamClient(KEY, 'stocks', { backfill: backfill as never }),
        (e: unknown) =>
          e instanceof PolygonStreamError &&
          e.code === ErrorCode.InvalidOption &&
          message.test(e.message),
        JSON.stringify(backfill),
      );
    }
  });
});
