/**
 * Soak: the backfill proof (test/helpers/backfill-proof.ts) over seeded random faults: abrupt TCP
 * drops, forced disconnects, half-open sockets and outages, on stocks T, Q, AM, options T, crypto
 * XT and forex C. With a perfect REST every gap is filled; with REST trailing the stream by
 * 200 ms, 1 s and 3 s, serving forming bars, or failing (a random fault before each drop), every
 * event of the simulator's tape is delivered once, in order, or lies in a range a gap named
 * missing, and no live event waits past maxHoldMs. Then the same through a relay, with a `T.*`
 * client next to per-symbol ones. SOAK_DROPS (the perfect-REST run), SOAK_VARIANT_DROPS (each
 * other run), SOAK_SEED and SOAK_OUTAGE_MS (longest outage; 1–10 s outages: 10000) vary it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProof, type ProofOptions } from '../helpers/backfill-proof.js';
import { runRelayProof } from '../helpers/relay-proof.js';

const DROPS = Number(process.env['SOAK_DROPS'] ?? 100);
const VARIANT_DROPS = Number(process.env['SOAK_VARIANT_DROPS'] ?? 50);
const SEED = Number(process.env['SOAK_SEED'] ?? 20_251_205);
const OUTAGE_MS = Number(process.env['SOAK_OUTAGE_MS'] ?? 400);

const base = {
  liveMs: [50, 150],
  outageMs: [Math.min(100, OUTAGE_MS), OUTAGE_MS],
} as const;

test(
  `soak: a perfect REST fills every gap, nothing lost or twice, over ${DROPS} random drops`,
  { timeout: 600_000 },
  async (t) => {
    const result = await runProof({ ...base, drops: DROPS, seed: SEED, complete: true });
    t.diagnostic(JSON.stringify(result));
    assert.equal(
      Object.values(result.faults).reduce((a, b) => a + b, 0),
      DROPS,
    );
    assert.ok(result.backfilled > 0);
  },
);

const VARIANTS: [name: string, options: Partial<ProofOptions>][] = [
  ['REST 200 ms behind', { sim: { restLagMs: 200, restLagJitterMs: 50 } }],
  ['REST 1 s behind', { sim: { restLagMs: 1_000, restLagJitterMs: 200 } }],
  ['REST 3 s behind', { sim: { restLagMs: 3_000, restLagJitterMs: 300 } }],
  ['REST serving forming bars', { sim: { restFormingBars: true } }],
  ['REST failing now and then', { restFaults: true, backfill: { maxHoldMs: 3_000 } }],
];

for (const [i, [name, options]] of VARIANTS.entries()) {
  test(
    `soak: ${name}: misses only inside reported ranges, over ${VARIANT_DROPS} random drops`,
    { timeout: 900_000 },
    async (t) => {
      const result = await runProof({
        ...base,
        drops: VARIANT_DROPS,
        seed: SEED + i + 1,
        ...options,
      });
      t.diagnostic(JSON.stringify(result));
      assert.ok(result.backfilled > 0);
      assert.ok(result.reported.filled > 0, JSON.stringify(result.reported));
    },
  );
}

test(
  'soak: through a relay with REST 1 s behind and forming bars, T.* next to per-symbol clients',
  { timeout: 600_000 },
  async (t) => {
    const result = await runRelayProof({
      outages: 20,
      seed: SEED,
      sim: { restLagMs: 1_000, restLagJitterMs: 200, restFormingBars: true },
    });
    t.diagnostic(JSON.stringify(result));
    assert.ok(result.gaps >= 20);
  },
);
