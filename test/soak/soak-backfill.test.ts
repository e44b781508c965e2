/**
 * Soak: the backfill proof (test/helpers/backfill-proof.ts) over 100 seeded random faults: abrupt
 * TCP drops, forced disconnects, half-open sockets and outages, on stocks T, Q, AM, options T,
 * crypto XT and forex C; every event of the simulator's tape delivered once, in order.
 * SOAK_DROPS, SOAK_SEED and SOAK_OUTAGE_MS (longest outage; 1–10 s outages: 10000) vary the run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProof } from '../helpers/backfill-proof.js';

const DROPS = Number(process.env['SOAK_DROPS'] ?? 100);
const SEED = Number(process.env['SOAK_SEED'] ?? 20_251_205);
const OUTAGE_MS = Number(process.env['SOAK_OUTAGE_MS'] ?? 400);

test(
  `soak: backfill loses nothing and duplicates nothing over ${DROPS} random drops`,
  { timeout: 600_000 },
  async (t) => {
    const result = await runProof({
      drops: DROPS,
      seed: SEED,
      liveMs: [50, 150],
      outageMs: [Math.min(100, OUTAGE_MS), OUTAGE_MS],
    });
    t.diagnostic(JSON.stringify(result));
    assert.equal(
      Object.values(result.faults).reduce((a, b) => a + b, 0),
      DROPS,
    );
    assert.ok(result.backfilled > 0);
  },
);
