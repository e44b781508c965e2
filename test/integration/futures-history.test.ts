/**
 * client.history() on the futures clusters against the simulator's /futures/v1 endpoints: every
 * futures stream's history, by whole-cluster and per-exchange paths, is exactly the simulator's
 * tape over the window, in order, with the stream's own fields.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WireEvent } from '../../src/protocol/codec.js';
import type { FuturesCluster } from '../../src/protocol/streams.js';
import { StreamClient } from '../../src/index.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

const KEY = 'futures-key';
const T = { timeout: 20_000 };

describe('futures history', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ apiKeys: [KEY], eventsPerSecond: 2_000, seed: 7 });
  });
  after(() => sim.close());

  for (const cluster of ['futures', 'futures/nymex'] as FuturesCluster[]) {
    for (const ev of ['T', 'Q', 'A', 'AM']) {
      it(`${cluster} ${ev}: history() is the tape`, T, async () => {
        const ticker = sim.tickers(cluster)[0]!;
        const client = new StreamClient(KEY, cluster, { host: sim.url });
        const to = Date.now() - 1_000;
        const from = to - 5 * 60_000;
        const got = (await client.history(`${ev}.${ticker}`, {
          from,
          to,
        })) as unknown as WireEvent[];
        const time = (e: WireEvent): number =>
          (ev === 'A' || ev === 'AM' ? e['s'] : e['t']) as number;
        const tape = sim.history(cluster, `${ev}.${ticker}`).filter((e) => {
          const t = time(e);
          return t >= from && t < to;
        });
        assert.ok(tape.length > 0, `the tape has ${ev}.${ticker} events in the window`);
        assert.deepEqual(got, tape);
      });
    }
  }
});
