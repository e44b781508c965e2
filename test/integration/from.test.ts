/**
 * History, then live, against the simulator with its REST trailing the stream: from a past
 * moment, every event of the tape is delivered once and in order (or inside a range a report
 * named missing), across drops; one `caughtUp` per topic; history comes page by page, the
 * pages never held whole; a consumer slower than history gets its queue's policy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WireEvent } from '../../src/protocol/codec.js';
import { STREAMS } from '../../src/protocol/streams.js';
import { eventKey, splitTopic, topicKey } from '../../src/protocol/symbols.js';
import { eventTime } from '../../src/protocol/timestamps.js';
import {
  StreamClient,
  type CaughtUp,
  type Gap,
  type MissingRange,
  PolygonStreamError,
} from '../../src/index.js';
import { startSimulator } from '../../src/simulator/index.js';
import { compareWithTape, contentKey } from '../helpers/backfill-proof.js';
import { until } from '../helpers/until.js';

const TOPICS = ['T.AAPL', 'Q.AAPL', 'T.MSFT'];
const PAGE = 50;
const RECONNECT = { initialDelayMs: 10, maxDelayMs: 50, jitter: 0, stableAfterMs: 50 };

test('from a past moment: history page by page, then live, every tape event once, across drops', async () => {
  const sim = await startSimulator({
    eventsPerSecond: 600,
    tickMs: 10,
    pastMs: 60_000,
    historyMs: 120_000,
    restLagMs: 150,
    restLagJitterMs: 100,
    // Each REST page takes 150 ms to arrive: catching up takes several pages' time, long enough
    // to drop the connection in the middle of it.
    restFaults: [{ slowBodyMs: 150 }],
  });
  const from = Date.now() - 40_000;
  const client = new StreamClient('k', 'stocks', {
    host: sim.url,
    backfill: { liveWaitMs: 100, maxHoldMs: 3_000 },
    history: { pageLimit: PAGE, retryDelayMs: 10 },
    reconnect: RECONNECT,
    onError: () => undefined,
    onClose: () => undefined,
  });
  const got = new Map<string, WireEvent[]>();
  const caught: CaughtUp[] = [];
  const gaps: Gap[] = [];
  let history = 0;
  /** Events delivered per topic key when the first drop came. */
  const atDrop = new Map<string, number>();
  const counts = () => TOPICS.map((t) => got.get(topicKey('stocks', t)!)?.length ?? 0);
  /** Until every topic has delivered more events than `before` counted. */
  const more = (before: number[], what: string) =>
    until(() => counts().every((n, i) => n > before[i]!), what);
  client.on('*', (e) => {
    const key = eventKey('stocks', e as WireEvent);
    if (key === undefined || e.ev === 'status') return;
    if (client.isBackfilled(e)) history++;
    got.set(key, [...(got.get(key) ?? []), e as WireEvent]);
  });
  client.on('caughtUp', (c) => caught.push(c));
  client.on('gap', (g) => gaps.push(g));
  try {
    await client.startStreamThread({ pingInterval: 0 });
    await client.subscribe(TOPICS, { from });
    // Drop twice: once while catching up (history delivered, no topic caught up yet), once after.
    await until(() => history >= PAGE, 'a page of history', 10_000);
    assert.equal(caught.length, 0, 'the first drop lands before any topic caught up');
    for (const [key, events] of got) atDrop.set(key, events.length);
    for (const c of sim.connections()) c.drop();
    await until(() => caught.length >= TOPICS.length, 'every topic caught up', 15_000);
    await more(counts(), 'live events on every topic after catching up');
    for (const c of sim.connections()) c.drop();
    await until(() => gaps.length >= 2 && client.state === 'open', 'second reconnect', 10_000);
    // Live events after the second gap's fill, so the tape comparison covers its seam.
    await more(counts(), 'live events on every topic after the second gap');
  } finally {
    await client.closeStream();
    await sim.close();
  }
  // One caughtUp per topic (a drop during catch-up resumes it: still one), each filled or
  // naming what may be missing.
  assert.deepEqual(caught.map((c) => c.topic).sort(), [...TOPICS].sort());
  if (process.env['FROM_DEBUG']) console.log(caught, gaps);
  const ranges = new Map<string, MissingRange[]>();
  for (const c of caught) {
    assert.notEqual(c.status, 'unfilled', JSON.stringify(c));
    if (c.status === 'filled') assert.deepEqual(c.missing, []);
    ranges.set(c.topic, [...c.missing]);
    // Bounded: at most one page plus the seam's tail held at once, never the whole history.
    assert.ok(c.peak! <= 2 * PAGE, `${c.topic}: held ${c.peak} REST events at once`);
    assert.ok(c.pages! >= 2, `${c.topic}: history came in ${c.pages} pages`);
  }
  for (const g of gaps) {
    for (const [topic, p] of Object.entries(g.partial ?? {})) {
      ranges.set(topic, [...(ranges.get(topic) ?? []), ...p.missing]);
    }
  }
  assert.ok(history > 3 * PAGE, `history delivered: ${history}`);
  // A topic the drop cut after some of its history was delivered resumed from its last event
  // delivered (not from `from` again, which would deliver twice: compareWithTape checks that).
  const cut = caught.filter((c) => (atDrop.get(topicKey('stocks', c.topic)!) ?? 0) > 0);
  assert.ok(cut.length > 0, 'the drop cut a topic part way through its history');
  for (const c of cut) assert.ok(c.from > from, `${c.topic}: resumed from ${c.from}, not ${from}`);
  for (const topic of TOPICS) {
    const key = topicKey('stocks', topic)!;
    const stream = STREAMS.find(
      (s) => s.cluster === 'stocks' && s.prefix === splitTopic(topic)!.prefix,
    )!;
    const id = contentKey(stream);
    const delivered = got.get(key) ?? [];
    const tape = sim.history('stocks', key).filter((e) => eventTime(e) >= from);
    assert.ok(delivered.length > PAGE, `${topic}: ${delivered.length} events`);
    // The first delivered is the tape's first from `from` on (or inside a missing range).
    const first = tape.findIndex((e) => id(e) === id(delivered[0]!));
    const skipped = tape.slice(0, first);
    const inRange = (e: WireEvent): boolean =>
      (ranges.get(topic) ?? []).some((r) => eventTime(e) >= r.from && eventTime(e) < r.to);
    assert.ok(first >= 0 && skipped.every(inRange), `${topic}: starts at from`);
    compareWithTape(topic, delivered, tape, ranges.get(topic) ?? [], id);
    assert.ok(eventTime(delivered[0]!) >= from);
  }
});

test('a slow consumer gets its queue policy; wildcards and repeats are refused', async () => {
  const sim = await startSimulator({ eventsPerSecond: 400, tickMs: 10, pastMs: 30_000 });
  const client = new StreamClient('k', 'stocks', {
    host: sim.url,
    history: { pageLimit: PAGE },
    onError: () => undefined,
    onClose: () => undefined,
  });
  try {
    await client.startStreamThread({ pingInterval: 0 });
    const events = client.events({ ev: 'T', capacity: 10, overflow: 'drop-oldest' });
    const caught = new Promise<CaughtUp>((r) => client.on('caughtUp', r));
    await client.subscribe('T.AAPL', { from: '30s' });
    const report = await caught;
    assert.ok(report.events > 20, `history: ${report.events} events`);
    // The consumer read nothing while history came: its queue kept the newest 10, dropped the rest.
    assert.equal(client.stats().queueDepth, 10);
    assert.ok(client.stats().dropped >= report.events - 10);
    const next = await events.next();
    assert.equal(next.done, false);
    await events.return?.();
    assert.throws(
      () => client.subscribe('T.*', { from: '1m' }),
      (e: unknown) => e instanceof PolygonStreamError && e.code === 'NO_HISTORY',
    );
    assert.throws(
      () => client.subscribe('T.AAPL', { from: '1m' }),
      (e: unknown) => e instanceof PolygonStreamError && /already subscribed/.test(e.message),
    );
    assert.throws(
      () => client.subscribe('T.MSFT', { from: '1m', snap: true } as never),
      (e: unknown) =>
        e instanceof PolygonStreamError && /options are snapshot, from/.test(e.message),
    );
  } finally {
    await client.closeStream();
    await sim.close();
  }
});

test('topics queued behind a slow request gate are not given up for waiting their turn', async () => {
  // 8 topics through a gate of one request at a time at 4 a second: the last topics' first query
  // leaves the gate seconds after their first live event, far past maxHoldMs (300 ms). Waiting in
  // the gate is not REST failing to make progress.
  const names = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOG', 'META', 'TSLA', 'AMD'];
  const sim = await startSimulator({
    eventsPerSecond: 800,
    tickMs: 10,
    pastMs: 30_000,
    tickers: { stocks: names },
  });
  const topics = names.map((s) => `T.${s}`);
  const client = new StreamClient('k', 'stocks', {
    host: sim.url,
    backfill: { maxHoldMs: 300, concurrency: 1, requestsPerSecond: 4 },
    onError: () => undefined,
    onClose: () => undefined,
  });
  const caught: CaughtUp[] = [];
  const history = new Map<string, number>();
  client.on('T', (e) => {
    if (client.isBackfilled(e)) history.set(e.sym, (history.get(e.sym) ?? 0) + 1);
  });
  client.on('caughtUp', (c) => caught.push(c));
  try {
    await client.startStreamThread({ pingInterval: 0 });
    await client.subscribe(topics, { from: '20s' });
    await until(() => caught.length === topics.length, 'every topic caught up', 20_000);
  } finally {
    await client.closeStream();
    await sim.close();
  }
  for (const c of caught) {
    assert.equal(c.status, 'filled', JSON.stringify(c));
    assert.ok((history.get(c.topic.slice(2)) ?? 0) > 0, `${c.topic}: history delivered`);
  }
  // The gate really made them wait: live events were held longer than maxHoldMs, yet filled.
  const longest = Math.max(...caught.map((c) => c.heldMs));
  assert.ok(longest > 3 * 300, `live events held at most ${longest} ms`);
  // A query's window is taken when it leaves the gate: one that waited past its topic's first
  // live event reaches it, so that topic needs no second query for the seam. At 4 requests a
  // second, at least the last four topics waited a second or more (about 25 trades each).
  const once = caught.filter((c) => c.queries === 1).length;
  assert.ok(
    once >= 4,
    `topics filled by one query: ${once} of 8 (${caught.map((c) => c.queries)})`,
  );
});

test('a subscribe that times out keeps its fill (the topic stays subscribed); a refused one stops', async () => {
  const sim = await startSimulator({
    eventsPerSecond: 400,
    tickMs: 10,
    pastMs: 30_000,
    tickers: { stocks: ['AAPL', 'MSFT'] },
  });
  // The server subscribes T.AAPL (its data flows) but never acknowledges it; it refuses T.MSFT.
  sim.faults.silentTopics.add('T.AAPL');
  sim.faults.rejectTopics.set('T.MSFT', 'not entitled to T.MSFT');
  const client = new StreamClient('k', 'stocks', {
    host: sim.url,
    subscribeTimeoutMs: 1_000,
    onError: () => undefined,
    onClose: () => undefined,
  });
  let history = 0;
  let live = 0;
  client.on('T', (e) => void (client.isBackfilled(e) ? history++ : live++));
  const caught: CaughtUp[] = [];
  client.on('caughtUp', (c) => caught.push(c));
  try {
    await client.startStreamThread({ pingInterval: 0 });
    await assert.rejects(
      client.subscribe('T.MSFT', { from: '20s' }),
      (e: unknown) => e instanceof PolygonStreamError && e.code === 'SUBSCRIBE_FAILED',
    );
    const refused = caught.find((c) => c.topic === 'T.MSFT');
    assert.equal(refused?.status, 'unfilled', JSON.stringify(refused));
    assert.match(refused.reason!, /subscription failed: .*not entitled/);
    // Asked once, the simulator makes AAPL's 30 s of past now, at 400 events/s. Then no data
    // while subscribing, or T.AAPL's first trade would count as its acknowledgement.
    await client.history('T.AAPL', { from: Date.now() - 1_000, to: Date.now() });
    sim.setEventsPerSecond(0);
    await assert.rejects(
      client.subscribe('T.AAPL', { from: '20s' }),
      (e: unknown) => e instanceof PolygonStreamError && e.code === 'SUBSCRIBE_TIMEOUT',
    );
    assert.equal(client.subscriptions().has('T.AAPL'), true, 'the topic stays in the set');
    assert.equal(caught.length, 1, 'T.AAPL is still catching up');
    sim.setEventsPerSecond(400);
    await until(() => caught.length === 2, 'T.AAPL caught up', 10_000);
    const report = caught[1]!;
    assert.equal(report.topic, 'T.AAPL');
    assert.equal(report.status, 'filled', JSON.stringify(report));
    assert.equal(report.events, history);
    assert.ok(history > 20, `history delivered: ${history}`);
    await until(() => live > 0, 'a live trade after the history', 5_000);
  } finally {
    await client.closeStream();
    await sim.close();
  }
});
