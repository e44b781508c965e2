/**
 * No data lost across drops: stocks T, Q, AM, options T, crypto XT and forex C filled from the
 * simulator's REST history through seeded random drops, forced disconnects, half-open sockets and
 * outages, compared with the simulator's tape (test/helpers/backfill-proof.ts). The 100-drop run
 * is in soak-backfill.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProof } from '../helpers/backfill-proof.js';

test(
  'backfill: every event present, none twice, order kept, through 8 drops',
  { timeout: 60_000 },
  async (t) => {
    const result = await runProof({
      drops: 8,
      seed: Number(process.env['PROOF_SEED'] ?? 7),
      liveMs: [100, 300],
      outageMs: [200, 600],
    });
    assert.ok(result.backfilled > 0, 'events came from history');
    assert.ok(result.gaps >= 8 * 4, `gaps: ${result.gaps}`);
    for (const [topic, n] of Object.entries(result.compared)) assert.ok(n >= 3, `${topic}: ${n}`);
    t.diagnostic(JSON.stringify(result));
  },
);
