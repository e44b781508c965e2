/**
 * The built package as a consumer project sees it: `import` and `require` through the exports
 * map, the subpath entries, what importing the client loads, and an install without the optional
 * `ioredis`, `prom-client` and `@duckdb/node-api` peers. (`npm test` builds first.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadedModules } from '../../scripts/package-cost.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let project: string;
/** A consumer whose node_modules holds a copy of the package and `ws`, and none of the optional peers. */
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

/** The client's class definition as the bundler writes it. */
const DEFINES_CLIENT = /\b(?:class StreamClient\b|StreamClient = \(?(?:_class\d+ = )?class\b)/;

/** The built files of this package that `files` holds, with their text. */
function distFiles(files: readonly string[]): { file: string; text: string }[] {
  return files
    .filter((f) => f.startsWith(join(root, 'dist')))
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

test('importing the client loads neither ioredis nor DuckDB nor the simulator nor the relay (modules loaded, ESM and CJS)', () => {
  for (const format of ['esm', 'cjs'] as const) {
    const { files } = loadedModules('polygon-stream', format, project);
    const dist = distFiles(files);
    assert.ok(dist.length > 0, `${format}: loads its dist files`);
    assert.ok(
      dist.some((d) => DEFINES_CLIENT.test(d.text)),
      `${format}: loads the client`,
    );
    // Besides its own dist, the client loads ws and nothing else: no ioredis, no commander.
    const others = files.filter((f) => !f.startsWith(join(root, 'dist')));
    assert.deepEqual(
      others.filter((f) => !f.includes('/node_modules/ws/')),
      [],
      `${format}: only ws besides the package`,
    );
    for (const d of dist) {
      assert.ok(!d.text.includes('startSimulator'), `${format}: ${d.file} holds the simulator`);
      assert.ok(!d.text.includes('startRelay'), `${format}: ${d.file} holds the relay`);
      assert.ok(!/["']ioredis["']/.test(d.text), `${format}: ${d.file} names ioredis`);
      assert.ok(!/["']prom-client["']/.test(d.text), `${format}: ${d.file} names prom-client`);
      assert.ok(!/["']@duckdb\/node-api["']/.test(d.text), `${format}: ${d.file} names DuckDB`);
    }
  }
  // The same check sees the simulator, relay and Redis entries when they are imported; Redis loads
  // ioredis only when a sink or reader connects.
  const simulator = distFiles(loadedModules('polygon-stream/simulator', 'esm', project).files);
  assert.ok(simulator.some((d) => d.text.includes('startSimulator')));
  // The relay loads prom-client only when a relay starts.
  const relayFiles = loadedModules('polygon-stream/relay', 'esm', project).files;
  const relay = distFiles(relayFiles);
  assert.ok(relay.some((d) => d.text.includes('startRelay')));
  assert.ok(relay.some((d) => /import\(["']prom-client["']\)/.test(d.text)));
  assert.ok(!relayFiles.some((f) => f.includes('/node_modules/prom-client/')));
  const redis = loadedModules('polygon-stream/redis', 'esm', project).files;
  assert.ok(distFiles(redis).some((d) => /import\(["']ioredis["']\)/.test(d.text)));
  assert.ok(!redis.some((f) => f.includes('/node_modules/ioredis/')));
  // DuckDB loads @duckdb/node-api only when a recording is opened, queried or replayed.
  const duckdb = loadedModules('polygon-stream/duckdb', 'esm', project).files;
  assert.ok(distFiles(duckdb).some((d) => /import\(["']@duckdb\/node-api["']\)/.test(d.text)));
  assert.ok(!duckdb.some((f) => f.includes('/node_modules/@duckdb/')));
});

test('the tarball holds no source maps; the CLI imports the library instead of a copy', () => {
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8' }),
  ) as { files: { path: string }[] }[];
  const paths = pack!.files.map((f) => f.path);
  assert.deepEqual(
    paths.filter((p) => p.endsWith('.map')),
    [],
  );
  assert.ok(paths.includes('dist/cli/main.js') && paths.includes('dist/index.js'));
  // The client is defined once, in a chunk both the library entry and the CLI import.
  const cli = readFileSync(join(root, 'dist', 'cli', 'main.js'), 'utf8');
  const index = readFileSync(join(root, 'dist', 'index.js'), 'utf8');
  assert.ok(!DEFINES_CLIENT.test(cli), 'dist/cli/main.js carries no client of its own');
  const chunksOf = (text: string, dir: string): string[] =>
    [...text.matchAll(/from\s*["'](\.\.?\/[^"']+)["']/g)].map((m) => join(dir, m[1]!));
  const shared = chunksOf(cli, join(root, 'dist', 'cli')).filter((c) =>
    chunksOf(index, join(root, 'dist')).includes(c),
  );
  assert.ok(
    shared.some((c) => DEFINES_CLIENT.test(readFileSync(c, 'utf8'))),
    'the CLI imports the chunk that defines StreamClient',
  );
});

test('without prom-client installed: the relay runs; /metrics says what to install, /healthz works', () => {
  const out = run(
    'no-prom-client.mjs',
    `import { startRelay } from 'polygon-stream/relay';
     const relay = await startRelay({ allowAnyToken: true, simulator: { eventsPerSecond: 0 } });
     const metrics = await fetch(relay.url.replace('ws:', 'http:') + '/metrics');
     const health = await fetch(relay.healthUrl);
     console.log(String(relay.metricsUrl));
     console.log(metrics.status, (await metrics.text()).trim());
     console.log(health.status, await health.text());
     await relay.close();`,
    bare,
  );
  const lines = out.trim().split('\n');
  assert.equal(lines[0], 'undefined');
  assert.match(lines[1]!, /^503 .*'prom-client'.*npm install prom-client$/);
  assert.equal(lines[2], '200 {"status":"ok","upstreams":{"stocks":"open"}}');
});

test('without @duckdb/node-api installed: polygon-stream/duckdb imports; opening a recording says what to install', () => {
  const out = run(
    'no-duckdb.mjs',
    `import { DuckDbSink, queryDuckDb } from 'polygon-stream/duckdb';
     for (const open of [() => DuckDbSink.open('ticks.duckdb', { cluster: 'stocks' }), () => queryDuckDb('ticks.duckdb', 'SELECT 1')]) {
       try { await open(); console.log('opened'); } catch (err) { console.log(err.code, err.message); }
     }`,
    bare,
  );
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 2, out);
  for (const line of lines) {
    assert.match(line, /^MISSING_DEPENDENCY .*'@duckdb\/node-api'.*npm install @duckdb\/node-api$/);
  }
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
