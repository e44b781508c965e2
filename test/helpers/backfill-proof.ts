/**
 * The backfill proof: StreamClients with `backfill` on, per-symbol topics on several clusters,
 * seeded random faults while the simulated market keeps moving (abrupt TCP drops, forced
 * disconnects, half-open sockets found by the heartbeat, server outages refusing reconnects),
 * then everything each client delivered compared with the simulator's own tape: every event
 * present, none twice, per-topic order kept.
 */
import assert from 'node:assert/strict';
import type { WireEvent } from '../../src/protocol/codec.js';
import { historyIdentity } from '../../src/protocol/rest-history.js';
import { STREAMS, type Cluster } from '../../src/protocol/streams.js';
import { eventKey, splitTopic, topicKey } from '../../src/protocol/symbols.js';
import { StreamClient, type Gap, type PolygonStreamError } from '../../src/index.js';
import { startSimulator } from '../../src/simulator/index.js';

export const PROOF_TOPICS: Record<string, string[]> = {
  stocks: ['T.AAPL', 'Q.AAPL', 'AM.AAPL'],
  options: ['T.O:SPY251219C00650000'],
  crypto: ['XT.BTC-USD'],
  forex: ['C.EUR-USD'],
};

const KEY = 'proof-key';
type Fault = 'drop' | 'force' | 'half-open' | 'outage';
const FAULTS: Fault[] = ['drop', 'force', 'half-open', 'outage'];

export interface ProofOptions {
  drops: number;
  seed: number;
  /** Live time between faults, ms: [min, max). */
  liveMs: readonly [number, number];
  /** Outage length, ms: [min, max). */
  outageMs: readonly [number, number];
}

export interface ProofResult {
  /** Events compared, per topic. */
  compared: Record<string, number>;
  backfilled: number;
  gaps: number;
  faults: Record<Fault, number>;
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

export async function runProof(o: ProofOptions): Promise<ProofResult> {
  const random = prng(o.seed);
  const between = ([lo, hi]: readonly [number, number]): number => lo + random() * (hi - lo);
  const sim = await startSimulator({
    apiKeys: [KEY],
    eventsPerSecond: 1_000,
    tickMs: 10,
    windowScale: 0.01,
    seed: o.seed,
  });
  const delivered = new Map<string, WireEvent[]>();
  const errors: PolygonStreamError[] = [];
  const gaps: Gap[] = [];
  const reconnects = new Map<string, number>();
  const gapCount = new Map<string, number>();
  let backfilled = 0;
  const clients: StreamClient[] = [];
  const faults: Record<Fault, number> = { drop: 0, force: 0, 'half-open': 0, outage: 0 };
  try {
    for (const [cluster, topics] of Object.entries(PROOF_TOPICS)) {
      const client = new StreamClient(KEY, cluster as Cluster, {
        host: sim.url,
        backfill: { liveWaitMs: 150, requestsPerSecond: 1_000 },
        history: { retryDelayMs: 20 },
        reconnect: {
          initialDelayMs: 10,
          maxDelayMs: 100,
          factor: 2,
          jitter: 0,
          maxAttempts: 100_000,
          stableAfterMs: 50,
        },
        onError: (_c, e) => errors.push(e as PolygonStreamError),
        onClose: () => undefined,
      });
      clients.push(client);
      client.on('*', (e) => {
        const key = eventKey(cluster, e as WireEvent);
        if (key === undefined || e.ev === 'status') return;
        if (client.isBackfilled(e)) backfilled++;
        const list = delivered.get(`${cluster} ${key}`) ?? [];
        list.push(e as WireEvent);
        delivered.set(`${cluster} ${key}`, list);
      });
      client.on('resubscribe', () => reconnects.set(cluster, (reconnects.get(cluster) ?? 0) + 1));
      client.on('gap', (g) => {
        gaps.push(g);
        gapCount.set(cluster, (gapCount.get(cluster) ?? 0) + 1);
      });
      await client.startStreamThread({ pingInterval: 0.1, pingTimeout: 0.2 });
      await client.subscribe(topics);
    }
    const settled = (): boolean =>
      clients.every((c) => c.state === 'open') &&
      Object.keys(PROOF_TOPICS).every((k) => (gapCount.get(k) ?? 0) >= (reconnects.get(k) ?? 0));
    await sleep(200);
    for (let i = 0; i < o.drops; i++) {
      await sleep(between(o.liveMs));
      const fault = FAULTS[Math.floor(random() * FAULTS.length)]!;
      faults[fault]++;
      const conns = sim.connections();
      if (fault === 'outage') sim.outage(between(o.outageMs));
      for (const c of conns) {
        if (fault === 'drop') c.drop();
        else if (fault === 'force') c.forceDisconnect();
        else if (fault === 'half-open') {
          c.pauseData();
          c.stallPongs();
        }
      }
      await until(() => sim.connections().every((c) => !conns.includes(c)), 5_000, 'old gone');
      await until(settled, 15_000, `fault ${i + 1} (${fault}) recovered and filled`);
    }
    await sleep(300);
    await until(settled, 15_000, 'the last gap filled');
  } finally {
    for (const c of clients) await c.closeStream();
    await sim.close();
  }
  assert.ok(
    errors.every((e) => !/HISTORY|BACKFILL/.test(e.code)),
    errors.map((e) => e.message).join('\n'),
  );
  for (const g of gaps) {
    assert.deepEqual(g.unfilled, {}, `every topic filled: ${JSON.stringify(g.unfilled)}`);
  }
  const compared: Record<string, number> = {};
  for (const [cluster, topics] of Object.entries(PROOF_TOPICS)) {
    for (const topic of topics) {
      const key = topicKey(cluster, topic)!;
      const stream = STREAMS.find(
        (s) => s.cluster === cluster && s.prefix === splitTopic(topic)!.prefix,
      )!;
      const id = (e: WireEvent): string => historyIdentity(stream, e)!;
      const got = (delivered.get(`${cluster} ${key}`) ?? []).map(id);
      const tape = sim.history(cluster, key).map(id);
      assert.ok(got.length > 0, `${topic}: events delivered`);
      const start = tape.indexOf(got[0]!);
      assert.ok(start >= 0, `${topic}: the first delivered event is on the tape`);
      const want = tape.slice(start, start + got.length);
      // Every event of the tape between the first and last delivered, once each, in order.
      assert.deepEqual(got, want, `${topic}: delivered = tape`);
      compared[topic] = got.length;
    }
  }
  return { compared, backfilled, gaps: gaps.length, faults };
}
