/**
 * The built package as a consumer project sees it: `import` and `require` through the exports
 * map, with types. (`npm test` builds first.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let project: string;

before(() => {
  project = mkdtempSync(join(tmpdir(), 'polygon-stream-consumer-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules', 'polygon-stream'), 'dir');
  writeFileSync(join(project, 'package.json'), '{"name":"consumer","private":true}');
});
after(() => rmSync(project, { recursive: true, force: true }));

function run(file: string, source: string): string {
  writeFileSync(join(project, file), source);
  return execFileSync(process.execPath, [file], {
    cwd: project,
    encoding: 'utf8',
    timeout: 20_000,
  });
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

test('require() gets the CommonJS build', () => {
  const out = run(
    'consumer.cjs',
    `const { StreamClient, startSimulator, Cluster } = require('polygon-stream');
     (async () => { ${SCRIPT} })();`,
  );
  assert.equal(out.trim(), 'function XT.X:BTC-USD closed');
});

test('import gets the ES module build', () => {
  const out = run(
    'consumer.mjs',
    `import { StreamClient, startSimulator, Cluster } from 'polygon-stream'; ${SCRIPT}`,
  );
  assert.equal(out.trim(), 'function XT.X:BTC-USD closed');
});
