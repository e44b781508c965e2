/**
 * The relay with `backfill`: after an upstream outage, downstream clients get the events they
 * missed from REST history, in order, before the live ones, with a `gap` status saying what was
 * filled; the relay counts them. The simulator is one market, so its history is the truth.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WireEvent } from '../../src/protocol/codec.js';
import { gapMessage } from '../../src/relay/index.js';
import { isData, type TestClient } from '../helpers/sim.js';
import { withRelay } from '../helpers/relay.js';
import { runRelayProof } from '../helpers/relay-proof.js';

const T = { timeout: 20_000 };

const isGap = (e: WireEvent): boolean => e.ev === 'status' && e['status'] === 'gap';

/** The sequence numbers a client got for `sym` of stream `ev`, in arrival order. */
const seqs = (c: TestClient, ev: string, sym: string): number[] =>
  c.events.filter((e) => e.ev === ev && e['sym'] === sym).map((e) => e['q'] as number);

describe('relay with backfill', () => {
  it('fills an upstream outage for its clients: every event once, in order, then live', T, () =>
    withRelay(
      {
        sim: { eventsPerSecond: 600, tickMs: 10 },
        relay: { backfill: { liveWaitMs: 200 } },
      },
      async ({ sim, relay, open }) => {
        const a = await open();
        await a.subscribe('T.AAPL,Q.MSFT');
        const b = await open();
        await b.subscribe('T.AAPL');
        await a.waitForMany((e) => e.ev === 'T', 5);

        sim.outage(400);
        const gap = await a.waitFor(isGap, 0, 10_000);
        assert.match(
          String(gap['message']),
          /^relay: the upstream connection was down from .+ to .+ \(data last heard .+\); filled from REST history: \d+ events; complete on 2 topics$/,
        );
        const after = a.events.indexOf(gap);
        // Live again: more trades after the gap.
        await a.waitForMany((e) => e.ev === 'T', 5, after + 1, 10_000);
        await b.waitFor(isGap, 0, 10_000);

        for (const [c, ev, sym, key] of [
          [a, 'T', 'AAPL', 'T.AAPL'],
          [a, 'Q', 'MSFT', 'Q.MSFT'],
          [b, 'T', 'AAPL', 'T.AAPL'],
        ] as const) {
          const got = seqs(c, ev, sym);
          const first = got[0]!;
          const last = got.at(-1)!;
          const truth = sim
            .history('stocks', key)
            .map((e) => e['q'] as number)
            .filter((q) => q >= first && q <= last);
          assert.ok(truth.length > got.length / 2, `${key}: history spans what was received`);
          assert.deepEqual(got, truth, `${key}: every event of the market once, in order`);
        }
        // The outage really lost events upstream: some came from history.
        const m = relay.metrics();
        assert.ok(m.backfilledEvents > 0, `backfilled ${m.backfilledEvents}`);
        assert.ok(a.events.filter(isData).length > 0);
        // Both topics' fills were complete, and the scrape says so.
        assert.deepEqual(m.backfills, { filled: 2, partial: 0 });
        assert.equal(m.upstreams['stocks']?.gaps, 1);
        const scrape = await (await fetch(relay.metricsUrl!)).text();
        assert.match(scrape, /^polygon_stream_relay_backfills_total\{status="filled"\} 2$/m);
        assert.match(scrape, /^polygon_stream_relay_backfilled_events_total [1-9]\d*$/m);
      },
    ),
  );

  it('fills per-symbol topics a wildcard carries upstream: each client its own, in order', T, () =>
    withRelay(
      {
        sim: { eventsPerSecond: 4_000, tickMs: 10 },
        relay: { backfill: { liveWaitMs: 200 } },
      },
      async ({ sim, open }) => {
        const wild = await open();
        await wild.subscribe('T.*');
        const a = await open();
        await a.subscribe('T.MSFT');
        const b = await open();
        await b.subscribe('T.AAPL');
        await a.waitForMany((e) => e.ev === 'T', 3, 0, 10_000);
        await b.waitForMany((e) => e.ev === 'T', 3, 0, 10_000);

        sim.outage(400);
        const gap = await a.waitFor(isGap, 0, 15_000);
        const text = String(gap['message']);
        assert.match(text, /complete on 2 topics/, text);
        assert.match(text, /not filled: T\.\* \(NO_HISTORY\)/, text);
        for (const c of [a, b]) {
          const after = c.events.indexOf(c.events.find(isGap)!);
          await c.waitForMany((e) => e.ev === 'T', 3, after + 1, 10_000);
        }
        await wild.waitFor(isGap, 0, 10_000);
        for (const [c, sym, exact] of [
          [a, 'MSFT', true],
          [b, 'AAPL', true],
          [wild, 'MSFT', false],
          [wild, 'AAPL', false],
        ] as const) {
          const got = seqs(c, 'T', sym);
          const truth = sim
            .history('stocks', `T.${sym}`)
            .map((e) => e['q'] as number)
            .filter((q) => q >= got[0]! && q <= got.at(-1)!);
          if (exact) assert.deepEqual(got, truth, `T.${sym}: every event once, in order`);
          else {
            // The wildcard client gets the filled symbols in order too (a subsequence).
            let i = 0;
            for (const q of got) {
              while (i < truth.length && truth[i] !== q) i++;
              assert.ok(i < truth.length, `T.* ${sym}: q ${q} twice or out of order`);
              i++;
            }
          }
        }
        // Nothing a client did not subscribe to.
        assert.ok(a.events.filter(isData).every((e) => e['sym'] === 'MSFT'));
        assert.ok(b.events.filter(isData).every((e) => e['sym'] === 'AAPL'));
      },
    ),
  );

  it('says what was not filled, and why', () => {
    const base = {
      from: Date.UTC(2026, 0, 2, 14, 59, 49),
      lostAt: Date.UTC(2026, 0, 2, 15),
      to: Date.UTC(2026, 0, 2, 15, 0, 5),
    };
    const when =
      'the upstream connection was down from 2026-01-02T15:00:00.000Z to 2026-01-02T15:00:05.000Z (data last heard 2026-01-02T14:59:49.000Z)';
    assert.equal(
      gapMessage({ ...base, topics: ['T.AAPL'] }),
      `${when}; events in between were not received`,
    );
    const unfilled = Object.fromEntries(
      ['T.*', 'LULD.AAPL', 'T.A', 'T.B', 'T.C', 'T.D'].map((t, i) => [
        t,
        { code: i < 2 ? 'NO_HISTORY' : 'BACKFILL_SKIPPED', reason: 'why' },
      ]),
    );
    assert.equal(
      gapMessage({
        ...base,
        topics: [],
        filled: { 'T.AAPL': 12, 'Q.MSFT': 30 },
        partial: {
          'T.MSFT': {
            events: 8,
            missing: [
              { from: base.lostAt, to: base.to, code: 'BACKFILL_INCOMPLETE', reason: 'lag' },
            ],
          },
        },
        unfilled,
      }),
      `${when}; filled from REST history: 50 events; complete on 2 topics; partial (ranges may lack events): T.MSFT (BACKFILL_INCOMPLETE); not filled: T.* (NO_HISTORY), LULD.AAPL (NO_HISTORY), T.A (BACKFILL_SKIPPED), T.B (BACKFILL_SKIPPED), T.C (BACKFILL_SKIPPED) and 1 more`,
    );
  });
});

describe('relay with backfill, REST 500 ms behind and serving forming bars', () => {
  it(
    'a T.* client and per-symbol clients side by side: misses only where the gap said',
    { timeout: 90_000 },
    async (t) => {
      const result = await runRelayProof({
        outages: 3,
        seed: 11,
        sim: { restLagMs: 500, restFormingBars: true },
        maxHoldMs: 3_000,
      });
      assert.ok(result.gaps >= 3);
      t.diagnostic(JSON.stringify(result));
    },
  );
});
