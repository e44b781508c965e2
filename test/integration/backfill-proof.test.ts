/**
 * No data lost without saying so: stocks T, Q, AM, options T, crypto XT and forex C filled from the
 * simulator's REST history through seeded random drops, forced disconnects, half-open sockets and
 * outages, compared with the simulator's tape (test/helpers/backfill-proof.ts): with a perfect
 * REST every gap is filled; with REST trailing the stream, serving forming bars and failing,
 * every event is delivered once, in order, or lies in a range a gap named missing. The long runs
 * are in test/soak/soak-backfill.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProof } from '../helpers/backfill-proof.js';

const SEED = Number(process.env['PROOF_SEED'] ?? 7);

test(
  'backfill, perfect REST: every event present, none twice, order kept, through 8 drops',
  { timeout: 90_000 },
  async (t) => {
    const result = await runProof({
      drops: 8,
      seed: SEED,
      liveMs: [100, 300],
      outageMs: [200, 600],
      complete: true,
    });
    assert.ok(result.backfilled > 0, 'events came from history');
    assert.ok(result.gaps >= 8 * 4, `gaps: ${result.gaps}`);
    for (const [topic, n] of Object.entries(result.compared)) assert.ok(n >= 3, `${topic}: ${n}`);
    t.diagnostic(JSON.stringify(result));
  },
);

test(
  'backfill, REST 1 s behind with forming bars and faults: misses only where reported',
  { timeout: 120_000 },
  async (t) => {
    const result = await runProof({
      drops: 6,
      seed: SEED + 1,
      liveMs: [100, 300],
      outageMs: [200, 600],
      sim: { restLagMs: 1_000, restLagJitterMs: 200, restFormingBars: true },
      backfill: { maxHoldMs: 3_000 },
      restFaults: true,
    });
    assert.ok(result.backfilled > 0, 'events came from history');
    assert.ok(result.reported.filled > 0, JSON.stringify(result.reported));
    t.diagnostic(JSON.stringify(result));
  },
);
