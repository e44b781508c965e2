/**
 * Redis Cluster URLs (`redis+cluster://[[user]:password@]host:port[,host:port…]`) as the sink, the
 * reader and the CLI's --sink take them: parsed into seed nodes and credentials, refused with
 * INVALID_OPTION saying what is wrong (never showing the password), and the hash slot of a key
 * computed as Redis does (the integration test checks it against CLUSTER KEYSLOT as well).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { ErrorCode } from '../../src/errors.js';
import { parseRedisUrl } from '../../src/cli/args.js';
import { redactUrlPassword } from '../../src/redact.js';
import { readStream, RedisSink } from '../../src/redis/index.js';
import { parseClusterUrl } from '../../src/redis/cluster-url.js';
import { keySlot } from '../../src/redis/key-slot.js';
import { checkRedisUrl } from '../../src/redis/open-redis.js';

test('a cluster URL: its seed nodes, user and password', () => {
  assert.deepEqual(parseClusterUrl('redis+cluster://127.0.0.1:7000,127.0.0.1:7001,[::1]:7002'), {
    nodes: [
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.1', port: 7001 },
      { host: '::1', port: 7002 },
    ],
  });
  assert.deepEqual(parseClusterUrl('redis+cluster://:p%40ss@h1:1/'), {
    nodes: [{ host: 'h1', port: 1 }],
    password: 'p@ss',
  });
  assert.deepEqual(parseClusterUrl('REDIS+CLUSTER://app:pw@redis-a.example:6379/0'), {
    nodes: [{ host: 'redis-a.example', port: 6379 }],
    username: 'app',
    password: 'pw',
  });
});

test('a malformed cluster URL: INVALID_OPTION saying what is wrong, the password masked', () => {
  const cases: [string, RegExp][] = [
    ['redis+cluster://', /expected redis\+cluster:\/\/\[\[user\]:password@\]host:port/],
    ['redis+cluster://:hunter2@h1:1,h2', /seed node 'h2' is not host:port/],
    ['redis+cluster://:hunter2@h1:1,,h2:2', /seed node '' is not host:port/],
    ['redis+cluster://:hunter2@h1:1/3', /no path, query or fragment/],
    ['redis+cluster://:hunter2@h1:99999', /seed node 'h1:99999' is not host:port/],
    ['redis+cluster://h1:1?tls=1', /no path, query or fragment/],
    ['redis+cluster://:%zz@h1:1', /not valid percent-encoding/],
  ];
  for (const [url, why] of cases) {
    for (const make of [
      () => new RedisSink({ url, cluster: 'stocks' }),
      () => readStream({ url, key: 'k', group: 'g', consumer: 'c' }),
    ]) {
      assert.throws(make, (err: { code?: string; message: string }) => {
        assert.equal(err.code, ErrorCode.InvalidOption, url);
        assert.match(
          err.message,
          /url must be a redis:\/\/ or rediss:\/\/ URL, or redis\+cluster:/,
        );
        assert.match(err.message, why, url);
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      });
    }
  }
});

test('well-formed cluster URLs pass, for the sink, the reader and --sink', () => {
  const url = 'redis+cluster://:hunter2@127.0.0.1:7000,127.0.0.1:7001';
  assert.doesNotThrow(() => checkRedisUrl(url, 'x'));
  assert.doesNotThrow(() => new RedisSink({ url, cluster: 'stocks' }));
  assert.equal(parseRedisUrl(` ${url} `), url);
  assert.throws(() => parseRedisUrl('redis+cluster://h1'), InvalidArgumentError);
  assert.throws(
    () => parseRedisUrl('redis+cluster://h1'),
    /redis\+cluster:\/\/\[:password@\]host:port/,
  );
});

test('redactUrlPassword masks a cluster URL password, wherever the hosts make it no WHATWG URL', () => {
  assert.equal(
    redactUrlPassword('redis+cluster://:hunter2@h1:1,h2:2'),
    'redis+cluster://:***@h1:1,h2:2',
  );
  assert.equal(
    redactUrlPassword('redis+cluster://app:hun@ter2@h1:1,h2:2'),
    'redis+cluster://app:***@h1:1,h2:2',
  );
  assert.equal(redactUrlPassword('redis+cluster://h1:1,h2:2'), 'redis+cluster://h1:1,h2:2');
  assert.equal(redactUrlPassword('redis+cluster://:hunter2@h1:1'), 'redis+cluster://:***@h1:1');
  assert.equal(redactUrlPassword('not a url hunter2'), '<unparseable URL>');
});

test('keySlot: CRC16/XMODEM mod 16384 of the key, or of its hash tag', () => {
  // CRC16/XMODEM("123456789") = 0x31C3, the algorithm's check value.
  assert.equal(keySlot('123456789'), 0x31c3);
  assert.equal(keySlot('foo'), 12182); // as the Redis Cluster specification gives it
  assert.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'));
  assert.equal(keySlot('{user1000}.following'), keySlot('user1000'));
  // An empty tag is no tag: the whole key is hashed. Only the first {…} counts.
  assert.notEqual(keySlot('{}a'), keySlot(''));
  assert.equal(keySlot('{a}{b}'), keySlot('a'));
  assert.equal(keySlot('x{a}'), keySlot('a'));
  assert.equal(keySlot('{polygon:stocks:3}:dead'), keySlot('{polygon:stocks:3}'));
  assert.equal(keySlot('{polygon:stocks}:dead'), keySlot('polygon:stocks'));
  for (const key of ['', 'polygon:stocks', 'café', '𝄞']) {
    const slot = keySlot(key);
    assert.ok(Number.isInteger(slot) && slot >= 0 && slot < 16384, key);
  }
});
