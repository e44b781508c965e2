/**
 * The README's Python consumer (redis-py), run exactly as README.md has it between the
 * `python-example` markers, against a real redis-server fed by a RedisSink: every event arrives,
 * in order, from v2 entries (a frame split past `entryEvents`, frames of one event) and from an
 * entry of the old one-event format; every entry is acknowledged. Skipped (counted, named) without
 * redis-server or without a python3 that can `import redis`; CI / REQUIRE_PYTHON_REDIS=1 fail then.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import type { WireEvent } from '../../src/protocol/codec.js';
import { RedisSink } from '../../src/redis/index.js';
import type { RedisServer } from '../helpers/redis.js';
import { requirePythonRedis } from '../helpers/python-redis.js';
import { fieldsOf, pendingCount, privateRedis, trades, waitFor } from '../helpers/redis-stream.js';
import { ROOT } from '../helpers/spawn.js';

const python = requirePythonRedis();
let server: RedisServer;
let admin: Redis;
const { T } = privateRedis(
  'python',
  (s, a) => {
    server = s;
    admin = a;
  },
  { skip: python.skip },
);

/** The Python code between the README's markers, without its fence. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const block =
    /<!-- python-example:start -->\n```python\n([\s\S]*?)```\n<!-- python-example:end -->/.exec(
      readme,
    );
  assert.ok(block, 'README.md has the Python example between its markers');
  return block[1]!;
}

test(
  'the README Python consumer reads every event the sink wrote, in order, and acks',
  T,
  async () => {
    const key = 'polygon:stocks'; // the example's key
    // One entry of the old format first: the example reads it as a batch of one.
    const old: WireEvent = { ev: 'T', sym: 'OLD', p: 1, s: 1, q: 0 };
    await admin.xadd(key, '*', 'ev', 'T', 'sym', 'OLD', 'data', JSON.stringify(old));
    const sink = new RedisSink({ url: server.url, streamKey: key, entryEvents: 25 });
    const given: WireEvent[] = [];
    try {
      await sink.connect();
      let q = 1;
      for (const size of [1, 60, 7, 1, 1, 25, 3]) {
        const frame = trades(q, size);
        q += size;
        given.push(...frame);
        sink.writeFrame([{ ev: 'status', status: 'connected', message: 'x' }, ...frame]);
      }
      await waitFor('written', () => sink.stats().written === given.length);
    } finally {
      await sink.close();
    }
    // Queued while the sink checked Redis: merged and split into entries of at most 25 events.
    const sizes = (await admin.xrange(key, '-', '+'))
      .slice(1)
      .map(([, f]) => Number(fieldsOf(f)['n']));
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      given.length,
    );
    assert.ok(sizes.length >= 4 && sizes.every((n) => n >= 1 && n <= 25), sizes.join());

    const run = await promisify(execFile)(python.path!, ['-c', await readmeExample()], {
      env: { ...process.env, REDIS_URL: server.url },
      timeout: 20_000,
    });
    const handled = run.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as WireEvent);
    assert.deepEqual(handled, [old, ...given]);
    assert.equal(await pendingCount(admin, key, 'py-workers'), 0, 'every entry acknowledged');
  },
);
