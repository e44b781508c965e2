/**
 * `stream --sink … --partitions N`: the built CLI (dist/cli/main.js, `npm run build` first)
 * streaming from its embedded simulator into N partition streams of a private redis-server.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { WireEvent } from '../../src/protocol/codec.js';
import { symbolOf } from '../../src/protocol/symbols.js';
import { partitionKey, partitionOf } from '../../src/redis/partition-keys.js';
import type { RedisServer } from '../helpers/redis.js';
import { CLI, killAll, spawnNode } from '../helpers/spawn.js';
import { privateRedis, streamEvents } from '../helpers/redis-stream.js';

let server: RedisServer;
let admin: Redis;
// Registered first, so it runs first: the CLIs end before their Redis does.
after(() => killAll());
const { T, freshKey } = privateRedis('parts', (s, a) => {
  server = s;
  admin = a;
});

describe('CLI --partitions', () => {
  test(
    'stream --sink --partitions 4: each symbol in its partition stream, in order',
    T,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'polygon-stream-partitions-'));
      try {
        const out = join(dir, 'out.ndjson');
        const key = freshKey();
        // prettier-ignore
        const r = await spawnNode(
        [CLI, 'stream', '--sink', server.url, '--stream-key', key, '--partitions', '4', '-n', '300', '-q', '--out', out],
        { timeoutMs: 30_000 },
      ).result;
        assert.equal(r.code, 0, r.stderr);
        assert.match(
          r.stderr,
          /publishing to Redis streams \{parts:\S+:0\} … \{parts:\S+:3\} \(4 partitions of parts:\S+ by symbol\)/,
        );
        assert.match(r.stderr, /^sink: 300 written, 0 lost, 0 dropped$/m);
        const recorded = (await readFile(out, 'utf8'))
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as WireEvent);
        assert.equal(recorded.length, 300);
        let total = 0;
        for (let p = 0; p < 4; p++) {
          const events = await streamEvents(admin, partitionKey(key, p, 4));
          total += events.length;
          const expected = recorded.filter((e) => partitionOf(symbolOf(e), 4) === p);
          assert.deepEqual(events, expected, `partition ${p}: its symbols, in --out order`);
        }
        assert.equal(total, 300);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  test('--partitions needs --sink and a positive integer (exit 2)', T, async () => {
    const cases: [string[], RegExp][] = [
      [['--partitions', '4'], /--partitions needs --sink/],
      [['--sink', server.url, '--partitions', '0'], /--partitions/],
      [['--sink', server.url, '--partitions', 'many'], /--partitions/],
    ];
    for (const [args, pattern] of cases) {
      const r = await spawnNode([CLI, 'stream', '-n', '5', ...args]).result;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
  });
});
