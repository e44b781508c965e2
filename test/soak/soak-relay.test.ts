/**
 * Soak: 200 downstream clients connecting, subscribing, flapping subscribe/unsubscribe and leaving
 * for a bounded time (SOAK_RELAY_MS, 30 s) against a relay on the simulator, over real sockets,
 * with data flowing all along. Then: the upstream set is exactly the minimal cover of what the
 * remaining clients hold, every remaining client gets exactly its topics, and once everyone has
 * left the upstream set is empty and the relay's heap and open handles are back where they were.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { startRelay } from '../../src/relay/index.js';
import { startSimulator } from '../../src/simulator/index.js';
import { covers, topicKey, wildcardOf } from '../../src/protocol/symbols.js';
import { isAck, isStatus, TestClient } from '../helpers/sim.js';
import { trade } from '../helpers/relay.js';
import { sleep, until } from '../helpers/until.js';

const CHURN_MS = Number(process.env['SOAK_RELAY_MS'] ?? 30_000);
const CLIENTS = 200;
const SYMBOLS = Array.from({ length: 30 }, (_, i) => `S${i}`);
const TOPICS = [...SYMBOLS.flatMap((s) => [`T.${s}`, `Q.${s}`]), 'T.*'];

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A seeded generator (mulberry32): the same churn on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const quote = (sym: string, p: number): object => ({
  ev: 'Q',
  sym,
  bx: 4,
  bp: p,
  bs: 1,
  ax: 4,
  ap: p + 0.01,
  as: 1,
  c: 0,
  t: 1_700_000_000_000 + p,
  q: p,
  z: 3,
});

/** The upstream topics a set of held topics needs: a wildcard covers its stream's symbols. */
function minimalCover(held: Iterable<string>): string[] {
  const keys = new Set([...held].map((t) => topicKey('stocks', t)!));
  return [...keys].filter((k) => k.endsWith('.*') || !keys.has(wildcardOf(k))).sort();
}

/** The process's open resources: timers apart from the rest (sockets, servers, pipes). */
function resources(): { timers: number; other: string } {
  const all = process.getActiveResourcesInfo().filter((r) => r !== 'Immediate');
  const timers = all.filter((r) => r === 'Timeout').length;
  return {
    timers,
    other: all
      .filter((r) => r !== 'Timeout')
      .sort()
      .join(','),
  };
}

const heapMb = (): number => {
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};

test(
  `soak: ${CLIENTS} relay clients churning for ${CHURN_MS / 1000} s`,
  { timeout: CHURN_MS + 120_000 },
  async (t) => {
    const sim = await startSimulator({ eventsPerSecond: 0, messageLogBytes: 0 });
    const relay = await startRelay({
      key: 'upstream-key',
      upstreamHost: sim.url,
      tokens: ['desk'],
      maxClients: CLIENTS + 50,
    });
    const open = new Set<TestClient>();
    try {
      const handlesBefore = resources();
      const heapBefore = heapMb();
      const rand = random(20_261_205);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
      const held = new Map<TestClient, Set<string>>();
      const deadline = Date.now() + CHURN_MS;
      let sessions = 0;
      let flaps = 0;

      const connect = async (): Promise<TestClient> => {
        const c = new TestClient(
          new WebSocket(`${relay.url}/stocks`, { perMessageDeflate: false }),
        );
        open.add(c);
        await c.waitFor(isStatus('connected'));
        await c.auth('desk');
        sessions++;
        return c;
      };
      /** One client's life: sessions of subscribes, flaps and unsubscribes until the deadline. */
      const life = async (): Promise<void> => {
        let c = await connect();
        held.set(c, new Set());
        while (Date.now() < deadline) {
          const mine = held.get(c)!;
          const action = rand();
          if (action < 0.4) {
            const topic = pick(TOPICS);
            c.send({ action: 'subscribe', params: topic });
            mine.add(topic);
          } else if (action < 0.7) {
            // A flap: subscribe and unsubscribe, unanswered, ending on either side.
            const topic = pick(TOPICS);
            for (let i = 0; i < 10; i++) {
              c.send({ action: 'subscribe', params: topic });
              c.send({ action: 'unsubscribe', params: topic });
              flaps++;
            }
            mine.delete(topic);
            if (rand() < 0.5) {
              c.send({ action: 'subscribe', params: topic });
              mine.add(topic);
            }
          } else if (action < 0.9 && mine.size > 0) {
            const topic = pick([...mine]);
            c.send({ action: 'unsubscribe', params: topic });
            mine.delete(topic);
          } else if (action >= 0.97) {
            // Leave (sometimes abruptly) and come back as a new connection.
            held.delete(c);
            open.delete(c);
            if (rand() < 0.5) c.close();
            else c.ws.close();
            c = await connect();
            held.set(c, new Set());
          }
          // The events received are not kept: only what the end checks needs.
          c.events.length = 0;
          c.frames.length = 0;
          // A user's pause between actions, 20-200 ms from the seeded generator: the churn's pace.
          await sleep(20 + rand() * 180);
        }
      };
      let n = 0;
      const feed = setInterval(() => {
        n++;
        sim.publish('stocks', [trade(pick(SYMBOLS), n), quote(pick(SYMBOLS), n)]);
      }, 20);
      try {
        await Promise.all(Array.from({ length: CLIENTS }, () => life()));
      } finally {
        clearInterval(feed);
      }

      // Every remaining client's last messages are answered: a final subscribe is acked.
      const remaining = [...held.keys()];
      await Promise.all(
        remaining.map(async (c) => {
          const from = c.events.length;
          c.send({ action: 'subscribe', params: 'T.END' });
          await c.waitFor(isAck('subscribed', 'T.END'), from, 20_000);
          held.get(c)!.add('T.END');
        }),
      );
      const wanted = minimalCover(remaining.flatMap((c) => [...held.get(c)!]));
      const upstream = await sim.waitFor((s) => s.authenticated);
      const upstreamSet = (): string[] =>
        [...upstream.subscriptions].map((topic) => topicKey('stocks', topic)!).sort();
      await until(() => {
        const relayTopics = (relay.metrics().upstreamTopics['stocks'] ?? []).map((topic) =>
          topicKey('stocks', topic)!,
        );
        return (
          JSON.stringify(upstreamSet()) === JSON.stringify(wanted) &&
          JSON.stringify(relayTopics.sort()) === JSON.stringify(wanted)
        );
      }, 'the upstream set is the cover of what clients hold');

      // One trade and one quote of every symbol, then an end marker everyone holds.
      for (const c of remaining) c.events.length = 0;
      const check = SYMBOLS.flatMap((s, i) => [trade(s, 1e6 + i), quote(s, 1e6 + i)]);
      sim.publish('stocks', check);
      sim.publish('stocks', [trade('END', 2e6)]);
      await Promise.all(
        remaining.map(async (c) => {
          await c.waitFor((e) => e.ev === 'T' && e.sym === 'END', 0, 20_000);
          const keys = new Map([...held.get(c)!].map((topic) => [topicKey('stocks', topic)!, 1]));
          const expected = check
            .map((e) => e as { ev: string; sym: string })
            .filter((e) => covers(keys, e.ev, `${e.ev}.${e.sym}`))
            .map((e) => `${e.ev}.${e.sym}`);
          const got = c.events
            .filter((e) => e.ev !== 'status' && e.sym !== 'END')
            .map((e) => `${e.ev}.${String(e.sym)}`);
          assert.deepEqual(got, expected, `client holding ${[...held.get(c)!].join(',')}`);
        }),
      );

      for (const c of open) c.close();
      open.clear();
      await until(() => relay.connections().length === 0, 'every client has gone');
      await until(() => upstream.subscriptions.size === 0, 'the upstream set is empty');
      // Sockets and servers exactly as before; timers at most one more: the upstream client's pong
      // deadline, armed by each ping for a while (a steady timer, not a per-client one).
      await until(() => {
        const now = resources();
        return now.other === handlesBefore.other && now.timers <= handlesBefore.timers + 1;
      }, 'open handles are back where they were').catch((err: unknown) => {
        throw new Error(
          `${String(err)}: ${JSON.stringify({ before: handlesBefore, now: resources() })}`,
        );
      });
      const heapAfter = heapMb();
      t.diagnostic(
        JSON.stringify({
          sessions,
          flaps,
          remaining: remaining.length,
          upstreamTopicsAtEnd: wanted.length,
          heapBeforeMb: Math.round(heapBefore),
          heapAfterMb: Math.round(heapAfter),
          metrics: relay.metrics(),
        }),
      );
      assert.ok(sessions >= CLIENTS, `sessions ${sessions}`);
      assert.ok(heapAfter - heapBefore < 20, `heap ${heapBefore} MB → ${heapAfter} MB`);
    } finally {
      for (const c of open) c.close();
      await relay.close();
      await sim.close();
    }
  },
);
