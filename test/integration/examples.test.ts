/**
 * Every example runs to completion by itself (against the embedded simulator), exits 0 and prints
 * what it promises. examples/redis-workers.ts needs Redis and is tested in redis-cli.test.ts.
 * The examples import the package by name: here tsconfig's paths send the names to src/; one
 * example also runs without them, through the package's own "exports" (dist/, built by pretest).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { killAll, ROOT, type Result, spawnNode } from '../helpers/spawn.js';

after(killAll);

function runExample(name: string, timeoutMs = 20_000, env = {}): Promise<Result> {
  return spawnNode(['--import', 'tsx', `examples/${name}`], { timeoutMs, env }).result;
}

test('the examples import the package by name, never its sources', () => {
  const files = ['basic.ts', 'reconnect.ts', 'typed-events.ts', 'redis-workers.ts'].map(
    (f) => `examples/${f}`,
  );
  files.push('examples/browser/serve.ts');
  assert.deepEqual(
    readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts')).length,
    4,
    'every top-level example is listed here',
  );
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const specifiers = [...text.matchAll(/^import [^;]*? from '([^']+)';$/gms)].map((m) => m[1]);
    assert.ok(
      specifiers.some((s) => s!.startsWith('polygon-stream')),
      `${file} imports polygon-stream`,
    );
    for (const s of specifiers) assert.doesNotMatch(s!, /^\.|src\//, `${file} imports ${s}`);
  }
});

test('basic.ts through the package itself: the names resolve to dist/ by "exports"', async () => {
  // A tsconfig without the paths: tsx then resolves as Node does, by the package's self-reference.
  const dir = mkdtempSync(join(tmpdir(), 'polygon-stream-examples-'));
  try {
    const tsconfig = join(dir, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({ compilerOptions: { module: 'NodeNext', target: 'ES2022' } }),
    );
    const env = { TSX_TSCONFIG_PATH: tsconfig };
    const where = await spawnNode(
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        "console.log(import.meta.resolve('polygon-stream'), import.meta.resolve('polygon-stream/simulator'))",
      ],
      { env },
    ).result;
    const dist = (file: string) => pathToFileURL(join(ROOT, 'dist', file)).href;
    assert.equal(where.stdout.trim(), `${dist('index.js')} ${dist('simulator.js')}`);
    const r = await runExample('basic.ts', 20_000, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /received 10 AAPL trades/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('examples', { concurrency: true }, () => {
  test('basic.ts: raw onMessage + subscribeStockTrades', async () => {
    const r = await runExample('basic.ts');
    assert.equal(r.code, 0, r.stderr);
    const trades = r.stdout.split('\n').filter((l) => l.startsWith('trade '));
    assert.equal(trades.length, 10);
    for (const line of trades) assert.match(line, /^trade \d+: AAPL \d+(\.\d+)? x \d+$/);
    assert.match(r.stdout, /received 10 AAPL trades/);
  });

  test('typed-events.ts: on(T) and events({ ev: Q, symbols: [AAPL] })', async () => {
    const r = await runExample('typed-events.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^trade (AAPL|MSFT) [\d.]+ x \d+ on exchange \d+$/m);
    const quotes = r.stdout.split('\n').filter((l) => l.startsWith('quote '));
    assert.equal(quotes.length, 5);
    for (const line of quotes)
      assert.match(line, /^quote AAPL bid [\d.]+ x \d+ \/ ask [\d.]+ x \d+$/);
    assert.match(r.stdout, /done: 5 AAPL quotes, \d+ trades/);
  });

  test('reconnect.ts: drop, reconnect, resubscribe, gap', async () => {
    const r = await runExample('reconnect.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dropping the connection/);
    assert.match(r.stdout, /reconnect: attempt 1 in \d+ ms \(cause CONNECTION_CLOSED\)/);
    assert.match(r.stdout, /resubscribe: T\.\*/);
    assert.match(r.stdout, /gap: \d+ ms without data on T\.\*/);
    const after = /after reconnect: (\d+) more events; reconnects: 1/.exec(r.stdout);
    assert.ok(after && Number(after[1]) > 0, r.stdout);
  });
});
