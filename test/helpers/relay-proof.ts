/**
 * The backfill proof through a relay: a relay with backfill in front of the simulator (REST
 * optionally trailing the stream and serving forming bars), a `T.*` client and per-symbol
 * clients side by side, seeded upstream outages and drops while the market moves; then each
 * per-symbol client's events compared with the simulator's tape: every event once, in order, or
 * inside a range the relay's gap named missing; the `T.*` client's filled symbols in order too;
 * no client gets a symbol it did not ask for.
 */
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { MissingRange } from '../../src/index.js';
import type { WireEvent } from '../../src/protocol/codec.js';
import { STREAMS } from '../../src/protocol/streams.js';
import { eventKey, splitTopic, topicKey } from '../../src/protocol/symbols.js';
import { startRelay, type Relay } from '../../src/relay/index.js';
import { startSimulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { compareWithTape, contentKey } from './backfill-proof.js';
import { isData, isStatus, TestClient } from './sim.js';

const TOKEN = 'proof-token';
/** Per client, its topics; the first client takes the wildcard. */
const CLIENTS = ['T.*', 'T.AAPL,Q.AAPL', 'T.MSFT,AM.MSFT', 'T.AAPL'];

export interface RelayProofOptions {
  outages: number;
  seed: number;
  sim?: SimulatorOptions;
  maxHoldMs?: number;
}

export interface RelayProofResult {
  compared: Record<string, number>;
  missing: number;
  gaps: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isGap = (e: WireEvent): boolean => e.ev === 'status' && e['status'] === 'gap';

export async function runRelayProof(o: RelayProofOptions): Promise<RelayProofResult> {
  let state = o.seed >>> 0;
  const random = (): number => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
  const sim = await startSimulator({
    eventsPerSecond: 2_000,
    tickMs: 10,
    windowScale: 0.01,
    seed: o.seed,
    ...o.sim,
  });
  let relay: Relay | undefined;
  const clients: TestClient[] = [];
  const ranges = new Map<string, MissingRange[]>();
  let gaps = 0;
  try {
    relay = await startRelay({
      key: 'relay-proof-key',
      upstreamHost: sim.url,
      tokens: [TOKEN],
      backfill: {
        liveWaitMs: 150,
        requestsPerSecond: 1_000,
        ...(o.maxHoldMs === undefined ? {} : { maxHoldMs: o.maxHoldMs }),
      },
      upstream: { reconnect: { initialDelayMs: 20, maxDelayMs: 50, maxAttempts: Infinity } },
    });
    relay.on('gap', (_cluster, gap) => {
      gaps++;
      const named = { ...gap.partial, ...gap.unfilled };
      for (const [topic, p] of Object.entries(named)) {
        const key = topicKey('stocks', topic)!;
        ranges.set(key, [...(ranges.get(key) ?? []), ...(p.missing ?? [])]);
      }
    });
    for (const topics of CLIENTS) {
      const c = new TestClient(new WebSocket(`${relay.url}/stocks`, { perMessageDeflate: false }));
      clients.push(c);
      await c.waitFor(isStatus('connected', 'Connected Successfully'));
      await c.auth(TOKEN);
      await c.subscribe(topics);
    }
    await sleep(300);
    for (let i = 0; i < o.outages; i++) {
      const upstream = await sim.waitFor((c) => c.authenticated, 10_000);
      if (random() < 0.5) sim.outage(200 + random() * 400);
      else upstream.drop();
      // Every client hears the gap status (sent once the fill settles), then live data again.
      for (const c of clients) {
        await waitCount(c, isGap, i + 1, 30_000);
      }
      await sleep(100 + random() * 300);
    }
    await sleep(300);
  } finally {
    for (const c of clients) c.close();
    await relay?.close();
  }
  const compared: Record<string, number> = {};
  let missing = 0;
  try {
    for (const [n, topics] of CLIENTS.entries()) {
      const c = clients[n]!;
      const data = c.events.filter(isData);
      const wanted = new Set(topics.split(',').map((t) => topicKey('stocks', t)!));
      const keys = wanted.has('T.*') ? ['T.AAPL', 'T.MSFT'] : [...wanted];
      if (!wanted.has('T.*')) {
        for (const e of data)
          assert.ok(
            wanted.has(eventKey('stocks', e)!),
            `client ${n}: ${e.ev} ${String(e['sym'])} not asked for`,
          );
      }
      for (const key of keys) {
        const stream = STREAMS.find(
          (s) =>
            s.cluster === 'stocks' && s.feed === 'market' && s.prefix === splitTopic(key)!.prefix,
        )!;
        const got = data.filter((e) => eventKey('stocks', e) === key);
        assert.ok(got.length > 0, `client ${n} ${key}: events`);
        missing += compareWithTape(
          `client ${n} ${key}`,
          got,
          sim.history('stocks', key),
          ranges.get(key) ?? [],
          contentKey(stream),
        );
        compared[`${n} ${key}`] = got.length;
      }
    }
  } finally {
    await sim.close();
  }
  return { compared, missing, gaps };
}

async function waitCount(
  c: TestClient,
  predicate: (e: WireEvent) => boolean,
  count: number,
  ms: number,
): Promise<void> {
  const end = Date.now() + ms;
  while (c.events.filter(predicate).length < count) {
    if (Date.now() > end) assert.fail(`timed out waiting for gap status #${count}`);
    await sleep(10);
  }
}
