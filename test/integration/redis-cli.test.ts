/**
 * `stream` / `record` with `--sink redis://…`: the built CLI (dist/cli/main.js, `npm run build`
 * first — `npm test` does it) streaming from its embedded simulator into a private redis-server
 * (test/helpers/redis.ts); and examples/redis-workers.ts against the same server.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { freePort, requireRedis, startRedis, type RedisServer } from '../helpers/redis.js';
import { CLI, killAll, type Result, type Running, spawnNode } from '../helpers/spawn.js';
import { fieldProblems } from '../helpers/futures-fields.js';
import { fieldsOf, streamEvents } from '../helpers/redis-stream.js';
import { until } from '../helpers/until.js';

const redis = requireRedis();

const T = { timeout: 60_000, skip: redis.skip };
const servers: RedisServer[] = [];
const admins: Redis[] = [];
let server: RedisServer;
let admin: Redis;
let dir = '';

/** `node [args]` from the repo root, no API key; SIGKILLed after `timeoutMs`. */
const start = (args: string[], timeoutMs = 30_000): Running => spawnNode(args, { timeoutMs });

const cli = (args: string[], timeoutMs?: number): Promise<Result> =>
  start([CLI, ...args], timeoutMs).result;

async function newServer(settings?: string[]): Promise<{ server: RedisServer; admin: Redis }> {
  const s = await startRedis(settings);
  servers.push(s);
  const a = new Redis(s.url, { maxRetriesPerRequest: null });
  admins.push(a);
  return { server: s, admin: a };
}

before(async () => {
  if (redis.skip) return;
  dir = await mkdtemp(join(tmpdir(), 'polygon-stream-redis-cli-'));
  ({ server, admin } = await newServer());
});

after(async () => {
  killAll();
  for (const a of admins) a.disconnect();
  await Promise.all(servers.map((s) => s.dispose()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A stream's entries as field objects (entry format v2: `n` and `data`, a JSON array). */
async function entriesOf(redis: Redis, key: string) {
  return (await redis.xrange(key, '-', '+')).map(([, fields]) => fieldsOf(fields));
}

/** Every entry is in format v2: `n` is the length of `data`, an array of events. */
function assertV2(entries: Record<string, string>[]): void {
  for (const entry of entries) {
    const data = JSON.parse(entry['data']!) as unknown[];
    assert.ok(Array.isArray(data) && data.length > 0, entry['data']);
    assert.equal(entry['n'], String(data.length));
  }
}

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
}

describe('stream --sink', { concurrency: true }, () => {
  test(
    'every event reaches polygon:{cluster} with every field, in the order of --out',
    T,
    async () => {
      const out = join(dir, 'all.ndjson');
      const r = await cli([
        'stream',
        '--sink',
        server.url,
        '-n',
        '500',
        '-q',
        '--out',
        out,
        '--stats',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        /publishing to Redis stream polygon:stocks at redis:\/\/127\.0\.0\.1:\d+/,
      );
      assert.match(r.stderr, /^sink: 500 written, 0 lost, 0 dropped$/m);
      assert.match(r.stderr, /^stats: .* · sink 500 written · 0 lost · 0 dropped$/m);
      const recorded = await lines(out);
      assert.equal(recorded.length, 500);
      assertV2(await entriesOf(admin, 'polygon:stocks'));
      const events = await streamEvents(admin, 'polygon:stocks');
      assert.equal(events.length, 500);
      events.forEach((event, i) => assert.deepEqual(event, JSON.parse(recorded[i]!), `event ${i}`));
      assert.ok(new Set(events.map((e) => e.ev)).size === 2, 'T.* and Q.* by default');
    },
  );

  test(
    'futures: an exchange path fans out to polygon:futures/cme, futures events only',
    T,
    async () => {
      const out = join(dir, 'cme.ndjson');
      const args = ['stream', '--cluster', 'futures/cme', '--sink', server.url];
      const r = await cli([...args, '-n', '200', '-q', '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /publishing to Redis stream polygon:futures\/cme at /);
      const recorded = await lines(out);
      assertV2(await entriesOf(admin, 'polygon:futures/cme'));
      const events = await streamEvents(admin, 'polygon:futures/cme');
      assert.equal(events.length, 200);
      events.forEach((event, i) => {
        assert.deepEqual(event, JSON.parse(recorded[i]!), `event ${i}`);
        assert.deepEqual(fieldProblems(event), [], JSON.stringify(event));
      });
    },
  );

  test(
    'record --stream-key --maxlen N, no group: N newest entries kept, the unread trims count as lost, exit 1',
    T,
    async () => {
      const out = join(dir, 'trimmed.ndjson');
      const args = ['record', out, '--stock-trades', '--sink', server.url];
      // One entry per frame (a few events each): a ceiling of 3 entries trims most of 300 events.
      args.push('--stream-key', 'test:{cluster}:trim', '--maxlen', '~3', '-n', '300', '-q');
      const r = await cli(args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /^sink \[REDIS_TRIMMED_UNREAD\]: the maxLen ceiling \(3 entries\) trimmed \d+ events \(\d+ entries\)/m,
      );
      const recorded = await lines(out);
      const entries = await entriesOf(admin, 'test:stocks:trim');
      assert.equal(entries.length, 3);
      assertV2(entries);
      const events = await streamEvents(admin, 'test:stocks:trim');
      // What Redis holds is written; the rest, every event before it, trimmed unread.
      const kept = events.length;
      const lost = 300 - kept;
      assert.ok(kept > 0 && lost > 0, `${kept} kept`);
      assert.match(
        r.stderr,
        new RegExp(
          `^sink: ${kept} written, ${lost} lost \\(0 restart, ${lost} trimmed unread\\), 0 dropped$`,
          'm',
        ),
      );
      assert.deepEqual(
        events,
        recorded.slice(-kept).map((l) => JSON.parse(l) as unknown),
      );
      assert.ok(events.every((e) => e.ev === 'T'));
    },
  );

  test(
    'Redis unreachable at start: exit 1, URL named without its password, nothing streamed',
    T,
    async () => {
      const port = await freePort();
      const out = join(dir, 'never.ndjson');
      const url = `redis://:hunter2@127.0.0.1:${port}`;
      const r = await cli(['stream', '--sink', url, '--maxlen', '100', '--out', out, '-n', '5']);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        new RegExp(
          `^error \\[REDIS_UNAVAILABLE\\]: --sink: Redis is not reachable at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}`,
        ),
      );
      assert.ok(!r.stderr.includes('hunter2'), r.stderr);
      assert.equal(existsSync(out), false, 'no --out file when the sink cannot connect');
    },
  );

  test('usage errors exit 2 and name the flag', T, async () => {
    const cases: [string[], RegExp][] = [
      [['--sink', server.url, '--maxlen', '0'], /--maxlen/],
      [['--sink', server.url, '--maxlen', '~'], /--maxlen/],
      [['--sink', server.url, '--maxlen', 'lots'], /--maxlen/],
      [['--sink', server.url, '--maxlen', '-5'], /--maxlen/],
      [['--maxlen', '~1000'], /--maxlen needs --sink/],
      [['--stream-key', 'k'], /--stream-key needs --sink/],
      [['--sink', server.url, '--stream-key', ' '], /--stream-key/],
      [['--sink', 'http://127.0.0.1:6379'], /--sink/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(['stream', '-n', '5', ...args])));
    results.forEach((r, i) => {
      const [args, pattern] = cases[i]!;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stdout, '');
    });
  });

  test(
    'Redis restarts mid-stream: the socket keeps being read, the sink catches up',
    T,
    async () => {
      const own = await newServer();
      const out = join(dir, 'restart.ndjson');
      const args = ['stream', '--sink', own.server.url, '-d', '4s', '-q', '--out', out];
      const run = start([CLI, ...args]);
      await run.waitFor(/publishing to Redis stream/, 'stderr');
      await until(
        async () => (await own.admin.xlen('polygon:stocks')) > 0,
        'events in Redis before the restart',
      );
      await own.server.restart(); // SHUTDOWN SAVE, start again: what was written survives
      const r = await run.result;
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /^sink \[REDIS_UNAVAILABLE\]: lost Redis at redis:\/\/127\.0\.0\.1:\d+/m,
      );
      const summary = /^sink: (\d+) written, 0 lost, 0 dropped$/m.exec(r.stderr);
      assert.ok(summary, r.stderr);
      const recorded = await lines(out);
      // ~200 events/s for 4 s: the outage did not hold the WebSocket up.
      assert.ok(recorded.length > 500, `${recorded.length} events recorded`);
      // At least once: a batch whose reply was lost may be there twice; first copies in order.
      const seen = new Set<string>();
      const firsts: unknown[] = [];
      for (const event of await streamEvents(own.admin, 'polygon:stocks')) {
        const text = JSON.stringify(event);
        if (seen.has(text)) continue;
        seen.add(text);
        firsts.push(event);
      }
      assert.deepEqual(
        firsts,
        recorded.map((l) => JSON.parse(l) as unknown),
      );
      assert.ok(Number(summary[1]) >= recorded.length);
    },
  );
});

describe('stream --sink into a full Redis', () => {
  test(
    'every event refused for memory: one report when it starts, one at the end, exit 1',
    T,
    async () => {
      const own = await newServer(['--maxmemory-policy', 'noeviction']);
      await own.admin.config('SET', 'maxmemory', '1'); // any write is now past the limit
      const r = await cli(['stream', '--sink', own.server.url, '-n', '200', '-q']);
      assert.equal(r.code, 1, r.stderr);
      const reports = r.stderr.split('\n').filter((l) => l.startsWith('sink [REDIS_MEMORY_FULL]'));
      assert.equal(reports.length, 2, r.stderr);
      assert.match(reports[0]!, /refused writes for memory/);
      assert.match(reports[1]!, /closed while Redis was full .*; 200 events dropped$/);
      assert.match(r.stderr, /^sink: 0 written, 0 lost, 200 dropped \(200 refused for memory\)$/m);
      assert.doesNotMatch(r.stderr, /REDIS_UNAVAILABLE/);
    },
  );
});

describe('examples/redis-workers.ts', () => {
  test(
    'simulator → client → sink → 4 workers: every event handled exactly once, split fairly',
    T,
    async () => {
      const args = ['--import', 'tsx', 'examples/redis-workers.ts', '--redis', server.url];
      const r = await start([...args, '--events', '10000'], 50_000).result;
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(
        r.stdout,
        /^published 10000 events to polygon:stocks:\d+ in \d+ ms \(dropped 0\)$/m,
      );
      const workers = [...r.stdout.matchAll(/^worker \d \(pid \d+\): (\d+) events$/gm)];
      assert.equal(workers.length, 4, r.stdout);
      // A fair split: the workers all read before the first event and take turns (COUNT 10, 1 ms
      // per event); each gets at least half an even share (it was 8,000 / 2,000 / 0 / 0).
      for (const [line, count] of workers)
        assert.ok(Number(count) >= 1_250, `${line}\n${r.stdout}`);
      assert.match(r.stdout, /^split: each worker within \d+% of an even share \(2500\)/m);
      assert.match(r.stdout, /^workers handled 10000 of 10000 events/m);
      assert.match(r.stdout, /^exactly once: all 10000 events handled by exactly one worker$/m);
    },
  );
});
