/**
 * Snapshot on subscribe against the simulator, REST lag on: the snapshot is the tape's last event
 * at the REST horizon (never one generated after it, never an older one than the horizon allows),
 * delivered marked (`isSnapshot`) before every live event of its topic and never after a newer one
 * (over many topics at a high rate, with slow REST answers holding live events); a REST failure
 * lets live events flow and reports `failed`; wildcards, bars, unknown tickers and topics already
 * live get `none` (NO_SNAPSHOT); bad options throw INVALID_OPTION; the key never shows.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  ErrorCode,
  PolygonStreamError,
  StreamClient,
  type SnapshotReport,
} from '../../src/index.js';
import type { WireEvent } from '../../src/protocol/codec.js';
import { historyIdentity } from '../../src/protocol/rest/rest-history.js';
import { STREAMS } from '../../src/protocol/streams.js';
import { CLI, killAll, spawnNode } from '../helpers/spawn.js';
import {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import { sleep, until } from '../helpers/until.js';

const KEY = 'SNAPSHOT-SECRET-KEY';
const T = { timeout: 20_000 };
const sims = new Set<Simulator>();
const clients = new Set<StreamClient>();
after(async () => {
  killAll();
  for (const c of clients) await c.closeStream();
  for (const s of sims) await s.close();
});

async function simulator(options: SimulatorOptions): Promise<Simulator> {
  const sim = await startSimulator({ apiKeys: [KEY], ...options });
  sims.add(sim);
  return sim;
}

/** Put tickers on the tape (a REST request does), so they have a past REST can serve. */
async function touch(sim: Simulator, tickers: readonly string[]): Promise<void> {
  const base = sim.url.replace('ws:', 'http:');
  for (const t of tickers) {
    const res = await fetch(`${base}/v2/last/trade/${t}`, {
      headers: { Authorization: `Bearer ${KEY}` },
    });
    await res.text();
  }
}

interface Run {
  client: StreamClient<'stocks'>;
  /** Data events by topic key, in delivery order, with whether each was a snapshot. */
  byTopic: Map<string, { event: WireEvent; snapshot: boolean }[]>;
  reports: SnapshotReport[];
  errors: string[];
}

async function open(sim: Simulator, options: object = {}): Promise<Run> {
  const run: Run = { byTopic: new Map(), reports: [], errors: [] } as never;
  run.client = new StreamClient(KEY, 'stocks', {
    host: sim.url,
    onError: (_c, e) => run.errors.push(e.message),
    onClose: () => undefined,
    ...options,
  });
  clients.add(run.client as StreamClient);
  run.client.on('*', (e) => {
    if (e.ev === 'status') return;
    const key = `${e.ev}.${(e as { sym: string }).sym}`;
    const list = run.byTopic.get(key) ?? [];
    list.push({ event: e as WireEvent, snapshot: run.client.isSnapshot(e) });
    run.byTopic.set(key, list);
  });
  run.client.on('snapshot', (r) => run.reports.push(r));
  await run.client.startStreamThread();
  return run;
}

const stream = (ev: string) => STREAMS.find((s) => s.cluster === 'stocks' && s.ev === ev)!;

describe('snapshot on subscribe', () => {
  it(
    "is the tape's last event at the lagging REST horizon, delivered first and marked",
    T,
    async () => {
      const LAG = 400;
      const TICK = 10;
      const sim = await simulator({ eventsPerSecond: 2_000, tickMs: TICK, restLagMs: LAG });
      await touch(sim, ['AAPL']);
      // A fixed wait for the REST lag to be real: the past the touch made is served only LAG ms
      // after it (only REST itself shows it, and polling REST would spend the key's request rate
      // the client needs next); 300 ms spare for a loaded machine.
      await sleep(LAG + 300);
      const run = await open(sim);
      const t0 = Date.now();
      await run.client.subscribe(['T.AAPL', 'Q.AAPL'], { snapshot: true });
      await until(() => run.reports.length === 2, 'two snapshot reports');
      const t1 = Date.now();
      await until(() => (run.byTopic.get('T.AAPL')?.length ?? 0) > 3, 'live trades');
      for (const topic of ['T.AAPL', 'Q.AAPL']) {
        const report = run.reports.find((r) => r.topic === topic)!;
        assert.equal(report.status, 'delivered', JSON.stringify(report));
        const delivered = run.byTopic.get(topic)!;
        const first = delivered[0]!;
        assert.ok(first.snapshot, `${topic}: the first event delivered is the snapshot`);
        assert.equal(delivered.filter((d) => d.snapshot).length, 1);
        assert.equal(first.event['t'], report.time);
        const tape = sim.history('stocks', topic);
        const k = tape.findIndex((e) => JSON.stringify(e) === JSON.stringify(first.event));
        assert.ok(k >= 0, `${topic}: the snapshot is an event of the tape, every field equal`);
        const t = first.event['t'] as number;
        assert.ok(t <= t1 - LAG, `${topic}: nothing generated after the horizon is served`);
        const next = tape[k + 1];
        assert.ok(next, `${topic}: the tape went on after the snapshot`);
        // The next tape event was not yet generated at the horizon (>= t0 - LAG), and an event is
        // generated at most one tick after its time: so it is later than t0 - LAG - TICK.
        assert.ok(
          (next['t'] as number) > t0 - LAG - TICK - 5,
          `${topic}: the snapshot is the last event at the horizon, not an older one`,
        );
      }
      assert.ok(!JSON.stringify(run.reports).includes(KEY));
    },
  );

  it(
    'never comes after a newer live event of its topic, across 40 topics at a high rate',
    T,
    async () => {
      const tickers = [
        'AAPL',
        'MSFT',
        'NVDA',
        'AMZN',
        'GOOGL',
        'GOOG',
        'META',
        'TSLA',
        'AVGO',
        'AMD',
      ];
      const more = ['NFLX', 'INTC', 'ADBE', 'CSCO', 'PEP', 'COST', 'QCOM', 'PYPL', 'PLTR', 'COIN'];
      const all = [...tickers, ...more];
      const sim = await simulator({
        eventsPerSecond: 4_000,
        tickMs: 5,
        // A lag longer than the client's REST requests wait on this loaded machine: the horizon is
        // then before the subscribe, so the snapshots are older than the live events held.
        restLagMs: 1_000,
        // Slow answers for half the tickers: their live events are held meanwhile.
        restFaults: tickers.map((ticker) => ({ ticker, slowBodyMs: 300 })),
      });
      // On the tape longer than the lag before the subscribe: REST can serve every ticker (a fixed
      // wait, as the touched past is served only restLagMs after the touch; 300 ms spare).
      await touch(sim, all);
      await sleep(1_300);
      const run = await open(sim, { history: { requestsPerSecond: 1_000, concurrency: 40 } });
      const topics = all.flatMap((t) => [`T.${t}`, `Q.${t}`]);
      await run.client.subscribe(topics, { snapshot: true });
      await until(() => run.reports.length === topics.length, 'every report');
      // A fixed quiet period of live events after the snapshots: a live event older than its
      // topic's snapshot, or the snapshot's event again, would be delivered within it.
      await sleep(300);
      const statuses = run.reports.map((r) => r.status);
      assert.ok(
        statuses.filter((s) => s === 'delivered').length >= topics.length / 2,
        `most topics got a snapshot: ${statuses.join(',')}`,
      );
      assert.ok(
        run.reports.some((r) => r.held > 0),
        'some live events were held',
      );
      for (const topic of topics) {
        const list = run.byTopic.get(topic) ?? [];
        const snaps = list.filter((d) => d.snapshot);
        const report = run.reports.find((r) => r.topic === topic)!;
        assert.equal(snaps.length, report.status === 'delivered' ? 1 : 0, topic);
        if (snaps.length === 0) continue;
        assert.ok(list[0]!.snapshot, `${topic}: the snapshot is the first event delivered`);
        const s = snaps[0]!.event;
        const id = historyIdentity(stream(s.ev), s);
        for (const { event } of list.slice(1)) {
          assert.ok((event['t'] as number) >= (s['t'] as number), `${topic}: no live event older`);
          assert.notEqual(historyIdentity(stream(event.ev), event), id, `${topic}: not twice`);
        }
      }
    },
  );

  it('a REST failure lets live events flow and reports failed', T, async () => {
    const sim = await simulator({
      eventsPerSecond: 1_000,
      tickMs: 10,
      restFaults: [{ ticker: 'MSFT', status: 500 }],
    });
    const run = await open(sim, { history: { maxRetries: 0 } });
    await run.client.subscribeStockTrades(['MSFT'], { snapshot: true });
    await until(() => run.reports.length === 1, 'the report');
    const report = run.reports[0]!;
    assert.equal(report.status, 'failed');
    assert.equal(report.code, ErrorCode.HistoryFailed);
    assert.match(report.reason!, /HTTP 500/);
    assert.ok(!report.reason!.includes(KEY), 'the key never shows');
    const before = run.byTopic.get('T.MSFT')?.length ?? 0;
    await until(() => (run.byTopic.get('T.MSFT')?.length ?? 0) > before + 3, 'live trades after');
    assert.ok(run.byTopic.get('T.MSFT')!.every((d) => !d.snapshot));
  });

  it('wildcards, bars, unknown tickers and topics already live get none, coded', T, async () => {
    const sim = await simulator({ eventsPerSecond: 500, tickMs: 10 });
    const run = await open(sim);
    await run.client.subscribe('T.AAPL');
    await run.client.subscribe(['T.*', 'AM.AAPL', 'T.ZZZZ', 'T.AAPL'], { snapshot: true });
    await until(() => run.reports.length === 4, 'four reports');
    const by = new Map(run.reports.map((r) => [r.topic, r]));
    for (const topic of ['T.*', 'AM.AAPL', 'T.ZZZZ', 'T.AAPL']) {
      assert.equal(by.get(topic)?.status, 'none', topic);
      assert.equal(by.get(topic)?.code, ErrorCode.NoSnapshot, topic);
    }
    assert.match(by.get('T.*')!.reason!, /wildcard/);
    assert.match(by.get('AM.AAPL')!.reason!, /forming/);
    assert.match(by.get('T.ZZZZ')!.reason!, /404/);
    assert.match(by.get('T.AAPL')!.reason!, /already subscribed/);
  });

  it('bad options throw INVALID_OPTION naming what is allowed', T, async () => {
    const sim = await simulator({ eventsPerSecond: 0 });
    const run = await open(sim);
    const invalid = (fn: () => unknown, pattern: RegExp): void => {
      assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof PolygonStreamError);
        assert.equal(e.code, ErrorCode.InvalidOption);
        assert.match(e.message, pattern);
        return true;
      });
    };
    invalid(
      () => run.client.subscribe('T.AAPL', { snapshot: 'yes' } as never),
      /snapshot must be true or false/,
    );
    invalid(() => run.client.subscribe('T.AAPL', { snap: true } as never), /options are snapshot/);
    invalid(() => run.client.subscribe('T.AAPL', 'snapshot' as never), /options must be an object/);
    invalid(
      () => run.client.subscribeStockTrades(['AAPL'], { snapshots: true } as never),
      /options are snapshot, from, forceUppercaseSymbols/,
    );
    invalid(
      () => run.client.subscribe('Q.AAPL', { snapshot: true, from: '5m' }),
      /snapshot must be left out with from/,
    );
    const started = await open(sim, { start: '5m', allowDuplicateClient: true });
    invalid(
      () => started.client.subscribe('Q.AAPL', { snapshot: true }),
      /snapshot is left out on a client with a start/,
    );
  });

  it('cli: stream --snapshot prints a marked snapshot line before the live lines', T, async () => {
    // REST trailing the stream: its latest trade is older than any live one after the subscribe
    // (the snapshot is asked for as the subscribe is sent), so it is delivered, not stale, however
    // slowly this machine asks. AAPL goes on the tape with its past first, and the test waits
    // until REST serves a latest trade of it (the past counts as generated when first asked for).
    const sim = await simulator({ eventsPerSecond: 1_000, tickMs: 10, restLagMs: 300 });
    const latest = `${sim.url.replace('ws:', 'http:')}/v2/last/trade/AAPL`;
    const auth = { headers: { Authorization: `Bearer ${KEY}` } };
    for (let tries = 0; (await fetch(latest, auth).then((r) => r.status)) !== 200; tries++) {
      assert.ok(tries < 100, 'REST serves a latest AAPL trade within 10 s');
      // Every 100 ms, not until()'s 10: well under the key's 100 REST requests a second.
      await sleep(100);
    }
    const args = ['stream', '--snapshot', '--subscribe', 'T.AAPL', '--format', 'pretty'];
    const more = ['--no-color', '--max-events', '30', '--host', sim.url, '--key', KEY];
    const result = await spawnNode([CLI, ...args, ...more]).result;
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n').filter((l) => /\sT\s+AAPL\s/.test(l));
    assert.ok(lines.length > 3, result.stdout);
    assert.match(
      lines[0]!,
      /\[snapshot\]$/,
      `the first trade line is the snapshot: ${result.stderr}`,
    );
    assert.ok(
      lines.slice(1).every((l) => !l.includes('[snapshot]')),
      'live lines are not marked',
    );
    assert.ok(!result.stdout.includes(KEY) && !result.stderr.includes(KEY));
  });
});
