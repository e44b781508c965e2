/**
 * Per-symbol partitions against a real redis-server: the sink routes every symbol to one partition
 * stream, in order; consumers of a group share the partitions through leases, each symbol handled
 * in order; a consumer SIGKILLed mid-batch has its partitions taken over within the documented
 * time (about 4/3 × leaseMs), order kept, only what it handled and did not acknowledge handled
 * again; a consumer that joins gets its share; a lease taken away stops that partition only; the
 * lease's local end (mock Date). The CLI's --partitions: redis-partitions-cli.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { WireEvent } from '../../src/protocol/codec.js';
import type { PolygonStreamError } from '../../src/errors.js';
import { RedisSink, StreamReader } from '../../src/redis/index.js';
import { leaseKeyOf, partitionKey, partitionOf } from '../../src/redis/partition-keys.js';
import type { RedisServer } from '../helpers/redis.js';
import { privateRedis, streamEvents, waitFor } from '../helpers/redis-stream.js';
import { decodeEntry } from '../../src/redis/reader/decode-entry.js';
import { PartitionLeases } from '../../src/redis/reader/partitions/partition-leases.js';
import { spawnNode } from '../helpers/spawn.js';

const P = 8;
const LEASE_MS = 600;
/** 40 symbols: every one of the 8 partitions gets some. */
const SYMBOLS = Array.from({ length: 40 }, (_, i) => `SYM${i}`);
let server: RedisServer;
let admin: Redis;
const { T, everything, freshKey } = privateRedis('parts', (s, a) => {
  server = s;
  admin = a;
});

/** Trade `q`: symbols in turn, so each frame holds many symbols. */
function trade(q: number): WireEvent {
  return { ev: 'T', sym: SYMBOLS[q % SYMBOLS.length], p: 1, s: 1, t: 1e12 + q, q };
}

/** `frames` frames of `per` trades from `from` through a partitioned sink; closes it. */
async function publish(key: string, from: number, frames: number, per: number): Promise<void> {
  const sink = new RedisSink({ url: server.url, streamKey: key, partitions: P });
  await sink.connect();
  for (let f = 0; f < frames; f++) {
    sink.writeFrame(Array.from({ length: per }, (_, k) => trade(from + f * per + k)));
  }
  await sink.close();
  const s = sink.stats();
  assert.equal(s.written, frames * per);
  assert.equal(s.dropped, 0);
}

interface Handled {
  consumer: string;
  claimed?: boolean;
  partition: number;
  sym: string;
  q: number;
}

function reader(key: string, consumer: string, signal: AbortSignal): StreamReader {
  return new StreamReader({
    url: server.url,
    key,
    group: 'g',
    consumer,
    partitions: P,
    leaseMs: LEASE_MS,
    blockMs: 50,
    count: 20,
    start: '0',
    signal: AbortSignal.any([signal, everything]),
    onError: (err: PolygonStreamError) => assert.fail(`${consumer}: ${err.code} ${err.message}`),
  });
}

/** Runs a reader, recording what it handled (a little async work per event). */
function consume(r: StreamReader, consumer: string, log: Handled[]): Promise<void> {
  return (async () => {
    for await (const entry of r.entries()) {
      await new Promise((resolve) => setImmediate(resolve));
      log.push({
        consumer,
        claimed: entry.claimed,
        partition: entry.partition!,
        sym: String(entry.event['sym']),
        q: Number(entry.event['q']),
      });
    }
  })();
}

/** Who owns each partition's lease now. */
async function owners(key: string, partitions = P): Promise<(string | null)[]> {
  return Promise.all(
    Array.from({ length: partitions }, (_, p) =>
      admin.get(leaseKeyOf(partitionKey(key, p, partitions), 'g')),
    ),
  );
}

/** Per consumer and symbol, the q's handled are strictly increasing. */
function assertOrderPerConsumer(log: readonly Handled[]): void {
  const last = new Map<string, number>();
  for (const h of log) {
    const k = `${h.consumer} ${h.sym}`;
    const before = last.get(k) ?? -1;
    assert.ok(h.q > before, `${h.consumer} handled ${h.sym} q ${h.q} after q ${before}`);
    last.set(k, h.q);
  }
}

describe('RedisSink partitions', () => {
  test('every symbol goes to one partition stream, {key:p}, in the order written', T, async () => {
    const key = freshKey();
    await publish(key, 0, 25, 40);
    const bySymbol = new Map<string, { p: number; qs: number[] }>();
    for (let p = 0; p < P; p++) {
      for (const e of await streamEvents(admin, partitionKey(key, p, P))) {
        const event = e as unknown as { sym: string; q: number };
        const seen = bySymbol.get(event.sym) ?? { p, qs: [] };
        assert.equal(seen.p, p, `${event.sym} in partitions ${seen.p} and ${p}`);
        assert.equal(p, partitionOf(event.sym, P));
        seen.qs.push(event.q);
        bySymbol.set(event.sym, seen);
      }
    }
    assert.equal(bySymbol.size, SYMBOLS.length);
    for (const [sym, { qs }] of bySymbol) {
      assert.equal(qs.length, 25, sym);
      assert.deepEqual(
        qs,
        [...qs].sort((a, b) => a - b),
        `${sym} in write order`,
      );
    }
    assert.equal(await admin.exists(key), 0, 'nothing written to the key itself');
  });
});

describe('partition leases', () => {
  test(
    'held until a sixth of leaseMs before the lease as sent runs out (mock Date), renewed, released',
    T,
    async (t) => {
      const key = freshKey();
      const cmd = new Redis(server.url, { maxRetriesPerRequest: null });
      const settings = { key, group: 'g', consumer: 'c', partitions: 2, leaseMs: 60_000 };
      const taken: number[] = [];
      const leases = new PartitionLeases(cmd, settings, (p) => taken.push(p));
      try {
        t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
        await leases.tick();
        assert.deepEqual(taken.sort(), [0, 1]);
        assert.deepEqual(await owners(key, 2), ['c', 'c']);
        // Only local time passes: Redis still holds the leases (60 s of real time).
        t.mock.timers.tick(50_000 - 1);
        assert.ok(leases.holds(0) && leases.holds(1));
        t.mock.timers.tick(1);
        assert.ok(!leases.holds(0) && !leases.holds(1), 'no longer surely held: stop handing out');
        await leases.tick();
        assert.ok(leases.holds(0) && leases.holds(1), 'renewed: Redis still had this consumer');
        await admin.set(leaseKeyOf(partitionKey(key, 1, 2), 'g'), 'other', 'PX', 60_000);
        await leases.tick();
        assert.deepEqual(leases.owned(), [0], 'a renewal refused: partition 1 lost');
        await leases.leave();
        assert.deepEqual(await owners(key, 2), [null, 'other']);
        assert.equal(await admin.zcard(`{${key}}:consumers:g`), 0, 'heartbeat removed');
      } finally {
        cmd.disconnect();
      }
    },
  );
});

describe('readStream partitions', () => {
  test('a lease taken away: that partition is handled no more, the others go on', T, async () => {
    const key = freshKey();
    const ac = new AbortController();
    const log: Handled[] = [];
    const loop = consume(reader(key, 'c1', ac.signal), 'c1', log);
    await waitFor('c1 owning all 8', async () => (await owners(key)).every((o) => o === 'c1'));
    const stolen = partitionOf(SYMBOLS[0], P);
    const lease = leaseKeyOf(partitionKey(key, stolen, P), 'g');
    await admin.set(lease, 'thief', 'PX', 60_000);
    await publish(key, 0, 10, 40);
    const others = 400 - 10 * SYMBOLS.filter((s) => partitionOf(s, P) === stolen).length;
    await waitFor('the other partitions handled', () => log.length >= others);
    // c1 found out (its heartbeat counts 7) and still handled nothing from the stolen partition.
    await waitFor('c1 owning 7', async () => (await admin.hget(`{${key}}:owned:g`, 'c1')) === '7');
    ac.abort();
    await loop;
    assert.equal(log.length, others);
    assert.ok(log.every((h) => h.partition !== stolen));
    assert.equal(await admin.get(lease), 'thief', 'the thief keeps its lease');
  });

  test(
    '4 consumers on 8 partitions: every event once, per-symbol order, 2 partitions each',
    T,
    async () => {
      const key = freshKey();
      const ac = new AbortController();
      const log: Handled[] = [];
      const names = ['c1', 'c2', 'c3', 'c4'];
      const loops = names.map((c) => consume(reader(key, c, ac.signal), c, log));
      await publish(key, 0, 50, 40);
      await waitFor('2,000 events handled', () => log.length >= 2_000);
      await waitFor('two partitions each', async () => {
        const now = await owners(key);
        return names.every((c) => now.filter((o) => o === c).length === 2);
      });
      await publish(key, 2_000, 50, 40);
      await waitFor('4,000 events handled', () => log.length >= 4_000);
      ac.abort();
      await Promise.all(loops);
      assert.equal(log.length, 4_000, 'no event twice');
      assert.deepEqual(new Set(log.map((h) => h.q)).size, 4_000, 'every event once');
      assertOrderPerConsumer(log);
      // Partitions moved between consumers while they joined, yet each symbol's events were
      // handled in order overall: a partition changes hands only after its batch was acknowledged.
      const lastBySym = new Map<string, number>();
      for (const h of log) {
        assert.ok(h.q > (lastBySym.get(h.sym) ?? -1), `${h.sym} q ${h.q} out of order`);
        lastBySym.set(h.sym, h.q);
      }
      for (const h of log) assert.equal(h.partition, partitionOf(h.sym, P));
      assert.deepEqual(await owners(key), Array(P).fill(null), 'leases released on stop');
    },
  );

  test('a consumer that joins gets its share within a few lease periods', T, async () => {
    const key = freshKey();
    const ac = new AbortController();
    const log: Handled[] = [];
    const loops = ['c1', 'c2'].map((c) => consume(reader(key, c, ac.signal), c, log));
    await waitFor('4 partitions each', async () => {
      const now = await owners(key);
      return (
        now.filter((o) => o === 'c1').length === 4 && now.filter((o) => o === 'c2').length === 4
      );
    });
    const joined = Date.now();
    loops.push(consume(reader(key, 'c3', ac.signal), 'c3', log));
    await waitFor(
      'the newcomer owning 2 or 3 of 8, every partition owned',
      async () => {
        const now = await owners(key);
        const mine = now.filter((o) => o === 'c3').length;
        return mine >= 2 && now.every((o) => o !== null);
      },
      6 * LEASE_MS,
    );
    const tookMs = Date.now() - joined;
    await publish(key, 0, 10, 40);
    await waitFor('400 events handled', () => log.length >= 400);
    ac.abort();
    await Promise.all(loops);
    assert.ok(
      log.some((h) => h.consumer === 'c3'),
      'the newcomer handled events',
    );
    assert.equal(new Set(log.map((h) => h.q)).size, 400);
    assertOrderPerConsumer(log);
    assert.ok(tookMs < 6 * LEASE_MS, `joined in ${tookMs} ms`);
  });

  test(
    'a consumer SIGKILLed mid-batch: its partitions taken over within 4/3 × leaseMs (+ slack), order kept, only its unacknowledged events again',
    T,
    async (t) => {
      const key = freshKey();
      const ac = new AbortController();
      const log: Handled[] = [];
      const survivors = ['c1', 'c2', 'c3'].map((c) => consume(reader(key, c, ac.signal), c, log));
      // prettier-ignore
      const child = spawnNode(
        ['--import', 'tsx', 'test/helpers/partition-consumer.ts', server.url, key, 'g', 'victim', String(P), String(LEASE_MS), '2', '70'],
        { timeoutMs: 25_000 },
      );
      await child.waitFor(/ready/);
      const started = Date.now();
      await waitFor('the victim owning partitions', async () =>
        (await owners(key)).some((o) => o === 'victim'),
      );
      await waitFor('shares settled', async () => {
        const now = await owners(key);
        return ['c1', 'c2', 'c3', 'victim'].every((c) => now.filter((o) => o === c).length === 2);
      });
      const victimParts = (await owners(key)).flatMap((o, p) => (o === 'victim' ? [p] : []));
      await publish(key, 0, 50, 40);
      // Mid-batch: it handled 70 events and hangs in the 71st, which is pending with the rest of
      // its batch (20 entries a read) and maybe another partition's batch.
      const stalled = await child.waitFor(/stalled \d+ \d+/);
      const stalledQ = Number(stalled.split(' ')[2]);
      const pendingQs: number[] = [];
      for (const p of victimParts) {
        const stream = partitionKey(key, p, P);
        const pending = (await admin.xpending(stream, 'g', '-', '+', 1000, 'victim')) as [string][];
        for (const [id] of pending) {
          const decoded = decodeEntry<{ q: number }>((await admin.xrange(stream, id, id))[0]![1]);
          if ('events' in decoded) pendingQs.push(...decoded.events.map((e) => e.q));
        }
      }
      assert.ok(pendingQs.includes(stalledQ), `q ${stalledQ} pending with ${pendingQs.join(',')}`);
      child.child.kill('SIGKILL');
      const killed = Date.now();
      await child.result;
      const victim = child
        .stdout()
        .split('\n')
        .filter((l) => /^\d+ \S+ \d+$/.test(l))
        .map((l) => {
          const [partition, sym, q] = l.split(' ');
          return { consumer: 'victim', partition: Number(partition), sym: sym!, q: Number(q) };
        });
      await waitFor('its partitions owned by survivors', async () => {
        const now = await owners(key);
        return victimParts.every((p) => now[p] !== null && now[p] !== 'victim');
      });
      const takenMs = Date.now() - killed;
      await waitFor('every event handled', () => {
        const seen = new Set([...log, ...victim].map((h) => h.q));
        return seen.size === 2_000;
      });
      ac.abort();
      await Promise.all(survivors);
      assertOrderPerConsumer(log);
      assertOrderPerConsumer(victim);
      const victimQs = new Set(victim.map((h) => h.q));
      const counts = new Map<number, number>();
      for (const h of [...log, ...victim]) counts.set(h.q, (counts.get(h.q) ?? 0) + 1);
      const twice = [...counts].filter(([, n]) => n > 1).map(([q]) => q);
      for (const q of twice) {
        assert.equal(counts.get(q), 2, `q ${q} handled ${counts.get(q)} times`);
        assert.ok(victimQs.has(q), `q ${q} handled twice though the victim never had it`);
      }
      // Only what the victim handled in entries it had not acknowledged (pending when it was
      // killed) comes again; nothing more.
      const pendingSet = new Set(pendingQs);
      for (const q of twice)
        assert.ok(pendingSet.has(q), `q ${q} handled twice but was acknowledged`);
      // Everything it had pending was taken over and handled (claimed) by a survivor.
      for (const q of pendingQs) {
        const by = log.find((h) => h.q === q);
        assert.ok(by?.claimed, `q ${q}, pending to the victim, handled by a survivor as claimed`);
      }
      assert.ok(
        takenMs <= (4 / 3) * LEASE_MS + 1_500,
        `taken over in ${takenMs} ms (lease ${LEASE_MS} ms; loaded machine: slack 1.5 s)`,
      );
      t.diagnostic(
        `taken over in ${takenMs} ms; ${twice.length} handled twice (${Date.now() - started} ms)`,
      );
    },
  );
});
