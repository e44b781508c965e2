/**
 * The built package as a consumer project sees it: `import` and `require` through the exports
 * map, the subpath entries, what importing the client loads, and an install without the optional
 * `ioredis` peer. (`npm test` builds first.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
let project: string;
/** A consumer whose node_modules holds a copy of the package and `ws`, and no ioredis. */
let bare: string;

before(() => {
  project = mkdtempSync(join(tmpdir(), 'polygon-stream-consumer-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules', 'polygon-stream'), 'dir');
  writeFileSync(join(project, 'package.json'), '{"name":"consumer","private":true}');

  bare = mkdtempSync(join(tmpdir(), 'polygon-stream-bare-'));
  const pkg = join(bare, 'node_modules', 'polygon-stream');
  mkdirSync(pkg, { recursive: true });
  for (const entry of ['dist', 'bin', 'package.json'])
    cpSync(join(root, entry), join(pkg, entry), { recursive: true });
  for (const dep of ['ws', 'commander']) {
    symlinkSync(join(root, 'node_modules', dep), join(bare, 'node_modules', dep), 'dir');
  }
  writeFileSync(join(bare, 'package.json'), '{"name":"bare-consumer","private":true}');
});
after(() => {
  rmSync(project, { recursive: true, force: true });
  rmSync(bare, { recursive: true, force: true });
});

function run(file: string, source: string, cwd = project): string {
  writeFileSync(join(cwd, file), source);
  return execFileSync(process.execPath, [file], { cwd, encoding: 'utf8', timeout: 20_000 });
}

const SCRIPT = `
  const sim = await startSimulator();
  const client = new StreamClient('k', Cluster.Crypto, { host: sim.url, onMessage: () => {}, onClose: () => {} });
  await client.startStreamThread({ pingInterval: 0 });
  const { topics } = await client.subscribeCryptoTrades(['btc-usd']);
  await client.closeStream();
  await sim.close();
  console.log(typeof StreamClient, topics.join(','), client.state);
`;

test('require() gets the CommonJS builds of the client and polygon-stream/simulator', () => {
  const out = run(
    'consumer.cjs',
    `const { StreamClient, Cluster } = require('polygon-stream');
     const { startSimulator } = require('polygon-stream/simulator');
     (async () => { ${SCRIPT} })();`,
  );
  assert.equal(out.trim(), 'function XT.X:BTC-USD closed');
});

test('import gets the ES module builds of the client and polygon-stream/simulator', () => {
  const out = run(
    'consumer.mjs',
    `import { StreamClient, Cluster } from 'polygon-stream';
     import { startSimulator } from 'polygon-stream/simulator'; ${SCRIPT}`,
  );
  assert.equal(out.trim(), 'function XT.X:BTC-USD closed');
});

test('importing the client loads neither ioredis nor the simulator', () => {
  const cjs = run(
    'loaded.cjs',
    `require('polygon-stream');
     const files = Object.keys(require.cache);
     console.log(JSON.stringify({
       ioredis: files.some((f) => f.includes('/ioredis/')),
       simulator: files.some((f) => f.includes('simulator')),
     }));`,
  );
  assert.deepEqual(JSON.parse(cjs), { ioredis: false, simulator: false });
  // ESM: the client entry and its chunks never name ioredis or the simulator's server.
  const esm = run(
    'loaded.mjs',
    `import { readFileSync } from 'node:fs';
     import { createRequire } from 'node:module';
     const dist = createRequire(import.meta.url).resolve('polygon-stream').replace(/index\\.cjs$/, '');
     const seen = new Set(); const queue = ['index.js']; let text = '';
     while (queue.length) { const f = queue.pop(); if (seen.has(f)) continue; seen.add(f);
       const src = readFileSync(dist + f, 'utf8'); text += src;
       for (const m of src.matchAll(/from\\s*['"]\\.\\/([^'"]+)['"]/g)) queue.push(m[1]); }
     console.log(JSON.stringify({ ioredis: /[\x27"]ioredis[\x27"]/.test(text), simulator: text.includes('startSimulator') }));`,
  );
  assert.deepEqual(JSON.parse(esm), { ioredis: false, simulator: false });
});

test('without ioredis installed: the client and CLI work; the Redis sink says what to install', () => {
  const out = run(
    'no-redis.mjs',
    `import { StreamClient, Cluster } from 'polygon-stream';
     import { startSimulator } from 'polygon-stream/simulator';
     import { RedisSink } from 'polygon-stream/redis';
     ${SCRIPT}
     const sink = new RedisSink({ url: 'redis://127.0.0.1:1', cluster: 'stocks' });
     try { await sink.connect(); } catch (err) { console.log(err.code, err.message); }`,
    bare,
  );
  const lines = out.trim().split('\n');
  assert.equal(lines[0], 'function XT.X:BTC-USD closed');
  assert.match(lines[1]!, /^MISSING_DEPENDENCY .*'ioredis'.*npm install ioredis/);
  const help = execFileSync(
    process.execPath,
    [join(bare, 'node_modules', 'polygon-stream', 'bin', 'polygon-stream.js'), '--help'],
    { cwd: bare, encoding: 'utf8', timeout: 20_000 },
  );
  assert.match(help, /stream/);
});
