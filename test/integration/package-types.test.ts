/**
 * The published types as a consumer gets them, from a copy of the built package (`npm test`
 * builds first) in a project with `ws` and `@types/node` but no `@types/ws` (and neither ioredis
 * nor @duckdb/node-api): every value the `.d.ts` of each entry (the client, `/simulator`, `/redis`,
 * `/duckdb`) declares exists in its ES module and CommonJS builds, and a strict project with
 * `skipLibCheck: false` compiles against the types of all four, narrowing included.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
let consumer: string;
let pkg: string;

before(() => {
  consumer = mkdtempSync(join(tmpdir(), 'polygon-stream-types-'));
  pkg = join(consumer, 'node_modules', 'polygon-stream');
  mkdirSync(join(consumer, 'node_modules', '@types'), { recursive: true });
  for (const entry of ['dist', 'package.json'])
    cpSync(join(root, entry), join(pkg, entry), { recursive: true });
  for (const dep of ['ws', 'commander', '@types/node']) {
    symlinkSync(join(root, 'node_modules', dep), join(consumer, 'node_modules', dep), 'dir');
  }
  writeFileSync(
    join(consumer, 'package.json'),
    '{"name":"consumer","private":true,"type":"module"}',
  );
});
after(() => rmSync(consumer, { recursive: true, force: true }));

/** The names a declaration file exports as values (not types), by the TypeScript compiler. */
function declaredValues(file: string): string[] {
  const program = ts.createProgram([file], { strict: true, noEmit: true, types: [] });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  return checker
    .getExportsOfModule(module)
    .filter((symbol) => {
      const target =
        symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return (target.flags & ts.SymbolFlags.Value) !== 0;
    })
    .map((symbol) => symbol.name)
    .sort();
}

/** Each entry of the exports map: its specifier and its declaration files' base name in dist. */
const ENTRIES = [
  ['polygon-stream', 'index'],
  ['polygon-stream/simulator', 'simulator'],
  ['polygon-stream/redis', 'redis'],
  ['polygon-stream/duckdb', 'duckdb'],
] as const;

test('every value the .d.ts / .d.cts declare is exported by the ESM / CJS build, and no more', () => {
  const esmIndex = declaredValues(join(pkg, 'dist', 'index.d.ts'));
  for (const name of ['isKnownEvent', 'isStatusEvent', 'knownEvs', 'StreamClient', 'Cluster'])
    assert.ok(esmIndex.includes(name), `${name} is declared`);
  for (const [specifier, base] of ENTRIES) {
    const esmDeclared = declaredValues(join(pkg, 'dist', `${base}.d.ts`));
    const cjsDeclared = declaredValues(join(pkg, 'dist', `${base}.d.cts`));
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import * as esm from '${specifier}';
         import { createRequire } from 'node:module';
         const cjs = createRequire(import.meta.url)('${specifier}');
         console.log(JSON.stringify({ esm: Object.keys(esm).sort(), cjs: Object.keys(cjs).sort() }));`,
      ],
      { cwd: consumer, encoding: 'utf8', timeout: 20_000 },
    );
    const { esm, cjs } = JSON.parse(out) as { esm: string[]; cjs: string[] };
    assert.deepEqual(esm, esmDeclared, specifier);
    assert.deepEqual(cjs, cjsDeclared, specifier);
  }
});

const CONSUMER_TS = `
import { StreamClient, isKnownEvent, type StockQuote } from 'polygon-stream';
import { startSimulator, type Simulator } from 'polygon-stream/simulator';
import { RedisSink, readStream } from 'polygon-stream/redis';
import { recordToDuckDb, queryDuckDb, type DuckDbRecording } from 'polygon-stream/duckdb';

export async function simulate(): Promise<Simulator> {
  const sim = await startSimulator({ port: 0 });
  sim.publish('stocks', [{ ev: 'T', sym: 'AAPL' }]);
  return sim;
}
export const fanOut = (url: string) =>
  [new RedisSink({ url, cluster: 'stocks' }), readStream({ url, key: 'k', group: 'g', consumer: 'c' })] as const;
export async function record(client: StreamClient<'stocks'>): Promise<number> {
  const recording: DuckDbRecording = await recordToDuckDb(client, 'ticks.duckdb', { flushIntervalMs: 500 });
  await recording.stop();
  const { columns, rows } = await queryDuckDb('ticks.duckdb', 'SELECT count(*) AS n FROM stocks_t');
  return columns.length + rows.length + recording.sink.stats().committed;
}

export async function main(key: string): Promise<number> {
  const client = new StreamClient(key, 'stocks', { ws: { headers: { 'user-agent': 'consumer' } } });
  client.on('T', (trade) => console.log(trade.sym, trade.p));
  client.on({ unknown: 'FOO' }, (event) => console.log(event.ev));
  // @ts-expect-error a misspelt ev
  client.on('TT', () => undefined);
  let spread = 0;
  for await (const q of client.events({ ev: 'Q' })) {
    const quote: StockQuote = q;
    spread += quote.ap - q.bp;
  }
  for await (const e of client.events()) if (isKnownEvent('stocks', e) && e.ev === 'T') spread += e.p;
  return spread;
}
`;

const CONSUMER_CTS = `
import { StreamClient, type CryptoTrade } from 'polygon-stream';
export function listen(client: StreamClient<'crypto'>): void {
  client.on('XT', (t: CryptoTrade) => t.p);
  // @ts-expect-error stock trades are not on the crypto cluster
  client.on('T', () => undefined);
}
`;

test('a strict consumer without @types/ws and with skipLibCheck: false compiles', () => {
  assert.throws(
    () => createRequire(join(consumer, 'x.js')).resolve('@types/ws/package.json'),
    /Cannot find module/,
    '@types/ws must not be reachable from the consumer',
  );
  writeFileSync(join(consumer, 'main.ts'), CONSUMER_TS);
  writeFileSync(join(consumer, 'listen.cts'), CONSUMER_CTS);
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        target: 'ES2022',
        lib: ['ES2022'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
      },
      files: ['main.ts', 'listen.cts'],
    }),
  );
  const r = spawnSync(process.execPath, [TSC, '-p', consumer], {
    cwd: consumer,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.stdout + r.stderr, '');
  assert.equal(r.status, 0);
});
