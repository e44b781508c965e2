/**
 * The backfill proof: StreamClients with `backfill` on, per-symbol topics on several clusters,
 * seeded random faults while the simulated market keeps moving (abrupt TCP drops, forced
 * disconnects, half-open sockets found by the heartbeat, server outages refusing reconnects),
 * optionally with the simulator's REST trailing the stream, serving forming bars and failing
 * (a random REST fault before each drop), then everything each client delivered compared with
 * the simulator's own tape. The invariant: per topic, every event of the tape is delivered once,
 * in order, or lies inside a range a `gap` event named as missing; a topic reported `filled` has
 * nothing missing; no live trade or quote waits longer than `maxHoldMs` (plus slack for a loaded
 * machine) between the market and the listener.
 */
import { frontContracts } from '../../src/simulator/futures/contracts.js';
import assert from 'node:assert/strict';
import type { WireEvent } from '../../src/protocol/codec.js';
import { historyIdentity } from '../../src/protocol/rest/rest-history.js';
import { STREAMS, type Cluster } from '../../src/protocol/streams.js';
import { eventKey, splitTopic, topicKey } from '../../src/protocol/symbols.js';
import {
  StreamClient,
  type BackfillOptions,
  type Gap,
  type MissingRange,
  type PolygonStreamError,
} from '../../src/index.js';
import {
  startSimulator,
  type RestFault,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import { eventTime } from '../../src/protocol/timestamps.js';
import { sleep, until } from './until.js';

/** The simulator's front contract of a futures product (tickers move with the calendar). */
const front = (root: string): string =>
  frontContracts(new Date()).find((c) => c.product.root === root)!.ticker;

export const PROOF_TOPICS: Record<string, string[]> = {
  stocks: ['T.AAPL', 'Q.AAPL', 'AM.AAPL'],
  options: ['T.O:SPY251219C00650000'],
  crypto: ['XT.BTC-USD'],
  forex: ['C.EUR-USD'],
  // Futures reuse T and Q with other fields: the whole-market path and one exchange's.
  futures: [`T.${front('CL')}`],
  'futures/cme': [`T.${front('ES')}`, `Q.${front('ES')}`],
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
  /** More simulator options: `restLagMs`, `restFormingBars` … */
  sim?: SimulatorOptions;
  /** More backfill options (`maxHoldMs` …). */
  backfill?: BackfillOptions;
  /** Before each drop, one random REST fault (or none) for the next fills. */
  restFaults?: boolean;
  /** Every gap must be filled completely (a perfect REST). */
  complete?: boolean;
}

export interface ProofResult {
  /** Events compared, per topic. */
  compared: Record<string, number>;
  backfilled: number;
  gaps: number;
  faults: Record<Fault, number>;
  /** Topic gaps reported filled / partial / unfilled (interruptions left out). */
  reported: { filled: number; partial: number; unfilled: number };
  /** Tape events not delivered, every one inside a range reported missing. */
  missing: number;
  /** Longest wait of a live trade or quote between the market and the listener, ms. */
  maxLiveDelayMs: number;
}

/** REST faults a real provider shows now and then; one (or none) is set before each drop. */
const REST_FAULTS: (RestFault | undefined)[] = [
  undefined,
  undefined,
  { status: 429, retryAfter: 1, times: 2 },
  { status: 500, times: 3 },
  { status: 503, times: 100 },
  { slowBodyMs: 600, times: 4 },
  { reset: true, times: 2 },
  { emptyPages: true, times: 1 },
  { corrupt: 'order', times: 1 },
  { corrupt: 'types', times: 1 },
  { corrupt: 'ticker', times: 1 },
];

/** What compares two events: their identity, and for bars their volume and close too. */
export function contentKey(stream: (typeof STREAMS)[number]): (e: WireEvent) => string {
  return (e) => {
    const id = historyIdentity(stream, e)!;
    return e['e'] === undefined ? id : `${id} v${String(e['v'])} c${String(e['c'])}`;
  };
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

export async function runProof(o: ProofOptions): Promise<ProofResult> {
  const random = prng(o.seed);
  const between = ([lo, hi]: readonly [number, number]): number => lo + random() * (hi - lo);
  const sim = await startSimulator({
    apiKeys: [KEY],
    eventsPerSecond: 1_000,
    tickMs: 10,
    windowScale: 0.01,
    seed: o.seed,
    // The tape must keep the whole run: about 1 350 events/s are logged here, so the default
    // 250 000 last about 3 minutes, less than the REST-3-s-behind soak takes (about 3.5), and a
    // tape trimmed of a topic's first events fails the comparison.
    maxHistoryEvents: 2_000_000,
    ...o.sim,
  });
  const maxHoldMs = o.backfill?.maxHoldMs ?? 5_000;
  let maxLiveDelayMs = 0;
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
        backfill: { liveWaitMs: 150, requestsPerSecond: 1_000, ...o.backfill },
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
        else if ((e as WireEvent)['e'] === undefined) {
          maxLiveDelayMs = Math.max(maxLiveDelayMs, Date.now() - eventTime(e as WireEvent));
        }
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
      if (o.restFaults) {
        const rest = REST_FAULTS[Math.floor(random() * REST_FAULTS.length)];
        sim.faults.rest.splice(0, sim.faults.rest.length, ...(rest ? [{ ...rest }] : []));
      }
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
      await until(() => sim.connections().every((c) => !conns.includes(c)), 'old gone', 5_000);
      await until(settled, `fault ${i + 1} (${fault}) recovered and filled`, 30_000);
    }
    sim.faults.rest.length = 0;
    await sleep(300);
    await until(settled, 'the last gap filled', 30_000);
  } finally {
    for (const c of clients) await c.closeStream();
    await sim.close();
  }
  assert.ok(
    errors.every((e) => !/HISTORY|BACKFILL/.test(e.code)),
    errors.map((e) => e.message).join('\n'),
  );
  // Per topic, the ranges the gap events named as missing.
  const ranges = new Map<string, MissingRange[]>();
  const reported = { filled: 0, partial: 0, unfilled: 0 };
  for (const g of gaps) {
    reported.filled += Object.keys(g.filled ?? {}).length;
    for (const [topic, p] of Object.entries(g.partial ?? {})) {
      reported.partial++;
      ranges.set(topic, [...(ranges.get(topic) ?? []), ...p.missing]);
    }
    for (const [topic, u] of Object.entries(g.unfilled ?? {})) {
      if (/interrupted/.test(u.reason)) continue;
      reported.unfilled++;
      assert.ok(u.missing, `${topic}: an unfilled topic names its range: ${JSON.stringify(u)}`);
      ranges.set(topic, [...(ranges.get(topic) ?? []), ...u.missing]);
    }
  }
  if (o.complete) {
    assert.deepEqual(reported.partial + reported.unfilled, 0, JSON.stringify(gaps.slice(-3)));
  }
  const compared: Record<string, number> = {};
  let missing = 0;
  for (const [cluster, topics] of Object.entries(PROOF_TOPICS)) {
    for (const topic of topics) {
      const key = topicKey(cluster, topic)!;
      const stream = STREAMS.find(
        (s) => s.cluster === cluster && s.prefix === splitTopic(topic)!.prefix,
      )!;
      const id = contentKey(stream);
      const got = delivered.get(`${cluster} ${key}`) ?? [];
      const tape = sim.history(cluster, key);
      assert.ok(got.length > 0, `${topic}: events delivered`);
      missing += compareWithTape(topic, got, tape, ranges.get(topic) ?? [], id);
      compared[topic] = got.length;
    }
  }
  assert.ok(
    maxLiveDelayMs <= maxHoldMs + 2_000,
    `a live event waited ${maxLiveDelayMs} ms (maxHoldMs ${maxHoldMs})`,
  );
  return { compared, backfilled, gaps: gaps.length, faults, reported, missing, maxLiveDelayMs };
}

/**
 * Check one topic's delivered events against the tape from the first delivered on: each tape
 * event delivered next, in order, once, or inside one of `ranges` (reported missing). Returns
 * how many tape events were missing.
 */
export function compareWithTape(
  topic: string,
  got: readonly WireEvent[],
  tape: readonly WireEvent[],
  ranges: readonly MissingRange[],
  id: (e: WireEvent) => string,
): number {
  const inRange = (e: WireEvent): boolean =>
    ranges.some((r) => eventTime(e) >= r.from && eventTime(e) < r.to);
  let missing = 0;
  let i = tape.findIndex((e) => id(e) === id(got[0]!));
  assert.ok(i >= 0, `${topic}: the first delivered event is on the tape`);
  for (const [j, e] of got.entries()) {
    while (i < tape.length && id(tape[i]!) !== id(e)) {
      assert.ok(
        inRange(tape[i]!),
        `${topic}: ${id(tape[i]!)} (t ${eventTime(tape[i]!)}) missing before delivered #${j} ${id(e)}, and no gap named its time missing: ${JSON.stringify(ranges)}`,
      );
      missing++;
      i++;
    }
    assert.ok(
      i < tape.length,
      `${topic}: delivered #${j} ${id(e)} twice, out of order or not on the tape`,
    );
    i++;
  }
  return missing;
}
