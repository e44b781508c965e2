/**
 * The Redis sink and reader on a real three-node Redis Cluster (test/helpers/redis-cluster.ts:
 * three `redis-server --cluster-enabled yes` on loopback, no persistence): partition streams
 * `{polygon:stocks:p}` spread over the nodes, a consumer group reading every event once, and one
 * node killed (SIGKILL) and started again without its data: only the sinks and readers of the
 * partitions that node holds report the loss (REDIS_DATA_LOST) and re-create their group
 * (REDIS_GROUP_RECREATED). Also: the key slot we compute against CLUSTER KEYSLOT, the run id
 * read on the node owning each key, poison
 * entries dead-lettered both in the stream's slot and, for the default key, across two slots;
 * and the CLI's `stream --sink redis+cluster://…` (dist/ built first).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from 'ioredis';
import { ErrorCode, type PolygonStreamError } from '../../src/errors.js';
import type { WireEvent } from '../../src/protocol/codec.js';
import { RedisSink, StreamReader } from '../../src/redis/index.js';
import { keySlot } from '../../src/redis/key-slot.js';
import { closeRedis, openRedis } from '../../src/redis/open-redis.js';
import { runIdOf } from '../../src/redis/run-id.js';
import {
  deadLetterKeyOf,
  leaseKeyOf,
  partitionKey,
  partitionOf,
} from '../../src/redis/partition-keys.js';
import {
  requireRedisCluster,
  startRedisCluster,
  type RedisCluster,
} from '../helpers/redis-cluster.js';
import { PartitionSinks, readAll } from '../helpers/cluster-partitions.js';
import { streamEvents, waitFor } from '../helpers/redis-stream.js';
import { CLI, killAll, spawnNode } from '../helpers/spawn.js';
import { sleep } from '../helpers/until.js';

const cluster = requireRedisCluster();
const T = { timeout: 30_000, skip: cluster.skip };
const P = 6;
const KEY = 'polygon:stocks';
const SYMBOLS = Array.from({ length: 24 }, (_, i) => `S${i}`);

let c: RedisCluster;
let admin: Cluster;

before(async () => {
  if (cluster.skip) return;
  c = await startRedisCluster();
  admin = new Cluster(
    c.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    { clusterNodeRetryStrategy: () => 100 },
  );
});

after(async () => {
  killAll();
  admin?.disconnect();
  await c?.dispose();
});

/** The port of the node that holds `key`, asked of the nodes themselves (the others say MOVED). */
async function ownerOf(key: string): Promise<number> {
  for (const n of c.nodes) {
    const reply = await c.cli(n.port, 'XLEN', key);
    if (/^\d+\s*$/.test(reply)) return n.port;
  }
  throw new Error(`no node answered XLEN ${key}`);
}

/** Trade `q` of symbol SYMBOLS[q % 24]. */
function trade(q: number): WireEvent {
  return { ev: 'T', sym: SYMBOLS[q % SYMBOLS.length], p: 1, s: 1, t: 1e12 + q, q };
}

/** The q's a stream holds, in stream order (admin through the cluster). */
async function held(key: string): Promise<number[]> {
  return (await streamEvents(admin, key)).map((e) => e['q'] as number);
}

/** Within each symbol, the q's increase (one consumer per partition keeps its order). */
function assertSymbolOrder(events: WireEvent[], where: string): void {
  const last = new Map<string, number>();
  for (const e of events) {
    const sym = e['sym'] as string;
    const q = e['q'] as number;
    assert.ok(q > (last.get(sym) ?? -1), `${where}: ${sym} ${q} after ${last.get(sym)}`);
    last.set(sym, q);
  }
}

describe('RedisSink and readStream on a 3-node Redis Cluster', () => {
  test('keySlot agrees with CLUSTER KEYSLOT, hash tags included', T, async () => {
    const keys = [
      KEY,
      deadLetterKeyOf(KEY),
      ...Array.from({ length: P }, (_, p) => partitionKey(KEY, p, P)),
      deadLetterKeyOf(partitionKey(KEY, 3, P)),
      '{}x',
      '{x}{y}',
      'a{}b{c}',
      'café:€:𝄞',
      '',
    ];
    for (const key of keys) {
      const server = Number(await c.cli(c.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', key));
      assert.equal(keySlot(key), server, key);
    }
    assert.equal(
      keySlot(partitionKey(KEY, 3, P)),
      keySlot(deadLetterKeyOf(partitionKey(KEY, 3, P))),
    );
    assert.notEqual(keySlot(KEY), keySlot(deadLetterKeyOf(KEY)));
  });

  test('the run id of a key is that of the node holding it', T, async () => {
    const client = await openRedis(c.url, { name: 'test', queueing: 'none' });
    try {
      const ports = new Set<number>();
      for (let p = 0; p < P; p++) {
        const key = partitionKey(KEY, p, P);
        const port = await ownerOf(key);
        ports.add(port);
        const info = await c.cli(port, 'INFO', 'server');
        assert.equal(await runIdOf(client, key), /^run_id:(\w+)/m.exec(info)?.[1], key);
      }
      assert.ok(ports.size >= 2);
    } finally {
      await closeRedis(client);
    }
  });

  test(
    'six partition streams over the nodes; a group reads every event once, in symbol order',
    T,
    async () => {
      const prefix = 'spread';
      const sinks = new PartitionSinks(c.url, P, prefix);
      const readerReports: PolygonStreamError[][] = Array.from({ length: P }, () => []);
      const reading = readAll(c.url, P, prefix, readerReports);
      const N = 6_000;
      try {
        await sinks.connect();
        for (let q = 0; q < N; q += 100) {
          sinks.write(Array.from({ length: 100 }, (_, k) => trade(q + k)));
        }
        await waitFor('every event read', () => reading.total() >= N, 15_000);
        // A fixed quiet period: a duplicate delivery would arrive within it and fail `got.length`.
        await sleep(200);
      } finally {
        await reading.stop();
        await sinks.close();
      }

      const owners = new Set(await Promise.all(sinks.sinks.map((s) => ownerOf(s.key))));
      assert.ok(owners.size >= 2, `partitions on ${owners.size} node(s)`);
      const got = reading.got.flat().map((e) => e['q'] as number);
      assert.equal(got.length, N, 'each event once');
      assert.deepEqual(
        [...new Set(got)].sort((a, b) => a - b),
        Array.from({ length: N }, (_, q) => q),
      );
      reading.got.forEach((events, p) => {
        assertSymbolOrder(events, `partition ${p}`);
        for (const e of events) assert.equal(partitionOf(e['sym'] as string, P), p);
      });
      for (const [p, s] of sinks.stats().entries()) {
        assert.equal(s.written, sinks.given[p], `partition ${p} written`);
        assert.equal(s.dropped, 0);
      }
      assert.deepEqual(sinks.reports.flat(), []);
      assert.deepEqual(readerReports.flat(), []);
      assert.deepEqual(reading.failures, []);
    },
  );

  test(
    'a node killed and started without its data: its partitions report the loss, the rest go on',
    T,
    async () => {
      const prefix = 'restart';
      const sinks = new PartitionSinks(c.url, P, prefix);
      const readerReports: PolygonStreamError[][] = Array.from({ length: P }, () => []);
      const reading = readAll(c.url, P, prefix, readerReports);
      let q = 0;
      let writer: NodeJS.Timeout | undefined;
      let holds: number[][];
      let hit: number[];
      let spared: number[];
      const dataLost = (p: number) =>
        sinks.reports[p]!.filter((e) => e.code === ErrorCode.RedisDataLost);
      const recreated = (p: number) =>
        readerReports[p]!.filter((e) => e.code === ErrorCode.RedisGroupRecreated);
      try {
        await sinks.connect();
        const owners = await Promise.all(sinks.sinks.map((s) => ownerOf(s.key)));
        const victim = c.nodes.find((n) => n.port === owners[0])!;
        hit = owners.flatMap((port, p) => (port === victim.port ? [p] : []));
        spared = owners.flatMap((port, p) => (port === victim.port ? [] : [p]));
        assert.ok(spared.length > 0, 'some partitions live on the other nodes');
        writer = setInterval(() => sinks.write(Array.from({ length: 20 }, () => trade(q++))), 5);
        await waitFor(
          'every partition written and read (each group made) before the kill',
          () => sinks.stats().every((s) => s.written > 0) && reading.got.every((g) => g.length > 0),
        );
        await victim.stop({ save: false });
        // The outage's length, a fixed part of the scenario: the writer goes on against a dead node.
        await sleep(1_000);
        await victim.start();
        await c.waitReady();
        const readAtRestart = reading.got.map((g) => g.length);
        await waitFor(
          'the loss reported, the groups re-created and every partition read after the restart',
          () =>
            hit.every((p) => dataLost(p).length > 0 && recreated(p).length > 0) &&
            reading.got.every((g, p) => g.length > readAtRestart[p]!),
        );
        clearInterval(writer);
        await sinks.close();
        const streams = await Promise.all(sinks.sinks.map((s) => held(s.key)));
        holds = streams;
        await waitFor(
          'the readers to reach the end',
          () => {
            const read = reading.got.map((g) => new Set(g.map((e) => e['q'] as number)));
            return streams.every((h, p) => h.every((x) => read[p]!.has(x)));
          },
          10_000,
        );
      } finally {
        clearInterval(writer);
        await reading.stop();
        await sinks.close();
      }

      const stats = sinks.stats();
      assert.deepEqual(reading.failures, []);
      for (let p = 0; p < P; p++) {
        const s = stats[p]!;
        const distinct = new Set(holds[p]).size;
        assert.equal(s.buffered, 0);
        assert.equal(s.written, distinct, `partition ${p}: written = what its stream holds`);
        assert.equal(
          distinct + s.lost.restart + s.dropped,
          sinks.given[p],
          `partition ${p}: every event held, reported lost or dropped`,
        );
      }
      for (let p = 0; p < P; p++) {
        // Besides the loss: at most one outage report per sink (a node down fails every second).
        const others = sinks.reports[p]!.filter((e) => e.code !== ErrorCode.RedisDataLost);
        assert.ok(others.length <= 1, `partition ${p}: ${others.map((e) => e.message).join('; ')}`);
        for (const e of others) assert.equal(e.code, ErrorCode.RedisUnavailable);
      }
      for (const p of hit) {
        const [report, ...more] = dataLost(p);
        assert.equal(more.length, 0, `partition ${p}: one loss report`);
        assert.ok(stats[p]!.lost.restart > 0, `partition ${p} lost what it had written`);
        assert.equal(report?.details.lost, stats[p]!.lost.restart);
        assert.equal(report?.details.restarted, true, 'the run id of the node holding it changed');
        assert.equal(recreated(p).length, 1, `partition ${p}: group re-created once`);
        assert.equal(recreated(p)[0]!.details.redisRestarted, true);
      }
      for (const p of spared) {
        assert.deepEqual(dataLost(p), [], `partition ${p} lost nothing`);
        assert.equal(stats[p]!.lost.restart, 0);
        assert.equal(stats[p]!.dropped, 0);
        assert.deepEqual(recreated(p), []);
      }
    },
  );

  for (const key of [KEY, partitionKey(KEY, 3, P)]) {
    const slots = keySlot(key) === keySlot(deadLetterKeyOf(key)) ? 'one slot' : 'two slots';
    test(`a poison entry of ${key} goes to ${deadLetterKeyOf(key)} (${slots})`, T, async () => {
      const good = (q: number) => ['ev', 'T', 'sym', 'AAPL', 'data', JSON.stringify(trade(q))];
      const ids = [
        await admin.xadd(key, '*', ...good(1)),
        await admin.xadd(key, '*', 'not', 'an event'),
        await admin.xadd(key, '*', ...good(2)),
      ];
      const reports: PolygonStreamError[] = [];
      const got: WireEvent[] = [];
      const reader = new StreamReader({
        url: c.url,
        key,
        group: 'dl',
        consumer: 'w',
        start: '0',
        blockMs: 100,
        onError: (err) => reports.push(err),
      });
      const done = (async () => {
        for await (const e of reader) got.push(e);
      })();
      try {
        await waitFor('both events', () => got.length === 2);
        await waitFor('nothing pending', async () => {
          const [pending] = (await admin.xpending(key, 'dl')) as [number];
          return pending === 0;
        });
      } finally {
        reader.stop();
        await done;
      }
      assert.deepEqual(
        got.map((e) => e['q']),
        [1, 2],
      );
      assert.deepEqual(
        reports.map((e) => e.code),
        [ErrorCode.RedisPoisonEntry],
      );
      const dead = await admin.xrange(deadLetterKeyOf(key), '-', '+');
      assert.equal(dead.length, 1);
      const fields = dead[0]![1];
      assert.equal(fields[fields.indexOf('id') + 1], ids[1]);
      assert.deepEqual(JSON.parse(fields[fields.indexOf('data') + 1]!), { not: 'an event' });
    });
  }

  test(
    'RedisSink and readStream with partitions: three consumers share six partitions over the nodes; one stops, the others take its partitions; every event handled, each symbol in order',
    T,
    async () => {
      const key = 'parted';
      const reports: PolygonStreamError[] = [];
      const sink = new RedisSink({
        url: c.url,
        streamKey: key,
        partitions: P,
        trimIntervalMs: 0,
        onError: (err) => reports.push(err),
      });
      type Handled = { consumer: string; sym: string; q: number };
      const log: Handled[] = [];
      const consume = (consumer: string) => {
        const ac = new AbortController();
        const reader = new StreamReader({
          url: c.url,
          key,
          group: 'g',
          consumer,
          partitions: P,
          leaseMs: 600,
          start: '0',
          blockMs: 100,
          signal: ac.signal,
          onError: (err) => reports.push(err),
        });
        const done = (async () => {
          for await (const e of reader) {
            log.push({ consumer, sym: e['sym'] as string, q: e['q'] as number });
          }
        })();
        return { ac, done };
      };
      const consumers = ['a', 'b', 'c'].map((name) => ({ name, ...consume(name) }));
      const N = 6_000;
      const owners = (): Promise<(string | null)[]> =>
        Promise.all(
          Array.from({ length: P }, (_, p) => admin.get(leaseKeyOf(partitionKey(key, p, P), 'g'))),
        );
      try {
        await sink.connect();
        await waitFor('each consumer owning two partitions', async () => {
          const now = await owners();
          return ['a', 'b', 'c'].every((c) => now.filter((o) => o === c).length === 2);
        });
        for (let q = 0; q < N / 2; q += 100) {
          sink.writeFrame(Array.from({ length: 100 }, (_, k) => trade(q + k)));
        }
        await waitFor('half the events handled', () => new Set(log.map((h) => h.q)).size >= N / 2);
        // One consumer leaves (acknowledging what it handled); the others take its partitions.
        consumers[0]!.ac.abort();
        await consumers[0]!.done;
        const handledByA = log.filter((h) => h.consumer === 'a').length;
        for (let q = N / 2; q < N; q += 100) {
          sink.writeFrame(Array.from({ length: 100 }, (_, k) => trade(q + k)));
        }
        await waitFor('every event handled', () => new Set(log.map((h) => h.q)).size >= N, 20_000);
        assert.equal(log.filter((h) => h.consumer === 'a').length, handledByA, 'a handles no more');
      } finally {
        for (const x of consumers) x.ac.abort();
        await Promise.all(consumers.map((x) => x.done));
        await sink.close();
      }
      const nodes = new Set(
        await Promise.all(Array.from({ length: P }, (_, p) => ownerOf(partitionKey(key, p, P)))),
      );
      assert.ok(nodes.size >= 2, `partitions on ${nodes.size} node(s)`);
      assert.equal(sink.stats().written, N);
      // No report at all: every event was handled, so none may be called missed (a false
      // REDIS_MISSED_ENTRIES came from XINFO STREAM and XINFO GROUPS answered out of order).
      assert.deepEqual(
        reports.map((e) => e.message),
        [],
      );
      // Each symbol in order across consumers (it moves between them only when a partition does),
      // every event exactly once (a consumer that stops cleanly acknowledges what it handled).
      const last = new Map<string, number>();
      for (const h of log) {
        assert.ok(h.q > (last.get(h.sym) ?? -1), `${h.sym} ${h.q} after ${last.get(h.sym)}`);
        last.set(h.sym, h.q);
      }
      assert.equal(log.length, N, 'each event once');
      assert.ok(new Set(log.map((h) => h.consumer)).size === 3, 'all three consumers had a share');
    },
  );

  test(
    'the CLI: stream --sink redis+cluster://… writes every event to the cluster',
    T,
    async () => {
      const r = await spawnNode(
        [CLI, 'stream', '--sink', c.url, '--stream-key', 'cli:{cluster}', '-n', '300', '-q'],
        { timeoutMs: 25_000 },
      ).result;
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /publishing to Redis stream cli:stocks at redis\+cluster:\/\/127\.0\.0\.1:/,
      );
      assert.match(r.stderr, /^sink: 300 written, 0 lost, 0 dropped$/m);
      assert.equal((await streamEvents(admin, 'cli:stocks')).length, 300);
    },
  );
});
