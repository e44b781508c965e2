/**
 * The standard build (dist/browser.js) as bundlers and runtimes see it: the exports conditions
 * pick it for browsers, Deno, Bun and workers (and the Node build for Node); it bundles with
 * esbuild for the browser with no polyfills, contains no Node built-in, `ws`, Buffer or process
 * use, and stays small. The simulator stays Node-only. (`npm test` builds first.)
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { bundlerProject, CLIENT_APP } from '../../scripts/package-cost.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Minified bundle of the client for the browser, at most (bytes; README states the size). */
// Raised from 80 000 / 25 000 when gap-fill learned to prove its fills and check REST answers.
// Raised from 90 / 30 kB when the client gained snapshot on subscribe and history-then-live
// (98.4 / 33.5 kB then): a feature's cost is accepted here on purpose, not by drift.
const BUDGET = { minified: 105_000, gzip: 36_000 };
let project: string;

before(() => {
  project = bundlerProject('polygon-stream-bundler-', {
    'app.js': CLIENT_APP,
    'sim.js':
      "import { startSimulator } from 'polygon-stream/simulator';\nglobalThis.s = startSimulator;\n",
  });
});
after(() => rmSync(project, { recursive: true, force: true }));

async function bundle(entry: string, options: BuildOptions) {
  const result = await build({
    entryPoints: [join(project, entry)],
    absWorkingDir: project,
    bundle: true,
    write: false,
    format: 'esm',
    metafile: true,
    logLevel: 'silent',
    ...options,
  });
  return { text: result.outputFiles![0]!.text, inputs: inputsOf(result.metafile!) };
}

/** The package files and dependencies in a bundle, relative to the package root. */
function inputsOf(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs)
    .filter((f) => !f.endsWith('app.js'))
    .map((f) => relative(root, join(project, f)));
}

test('exports conditions: browser, deno, bun, worker, workerd get the standard build; node the Node build', async () => {
  for (const conditions of [['browser'], ['deno'], ['bun'], ['worker'], ['workerd'], []]) {
    const { inputs } = await bundle('app.js', { platform: 'neutral', conditions, mainFields: [] });
    assert.deepEqual(inputs, ['dist/browser.js'], `conditions ${conditions.join(',') || '(none)'}`);
  }
  const node = await bundle('app.js', { platform: 'node', packages: 'external' });
  assert.match(node.text, /from "polygon-stream"/, 'Node keeps the package external');
  const nodeInputs = (await bundle('app.js', { platform: 'node' })).inputs;
  assert.ok(nodeInputs.includes('dist/index.js'), nodeInputs.join(', '));
  assert.ok(
    nodeInputs.some((f) => f.startsWith('node_modules/ws/')),
    'the Node build uses ws',
  );
});

test('bundles for the browser with no polyfills: no Node built-ins, ws, Buffer or process', async (t) => {
  const { text, inputs } = await bundle('app.js', { platform: 'browser', minify: true });
  assert.deepEqual(inputs, ['dist/browser.js']);
  const source = readFileSync(join(root, 'dist', 'browser.js'), 'utf8');
  assert.ok(!/^\s*import\s|\bimport\(/m.test(source), 'self-contained: no imports');
  for (const [what, pattern] of [
    ['node: imports', /["']node:/],
    ['ws import', /from\s*["']ws["']/],
    ['Buffer', /\bBuffer\b/],
    ['process use', /\bprocess\s*[.[]/],
    ['require', /\brequire\s*\(/],
  ] as const) {
    assert.ok(!pattern.test(text), `the browser bundle has no ${what}`);
    assert.ok(!pattern.test(source), `dist/browser.js has no ${what}`);
  }
  const gzip = gzipSync(text).length;
  t.diagnostic(`browser bundle: ${text.length} bytes minified, ${gzip} bytes gzip`);
  assert.ok(text.length < BUDGET.minified, `minified ${text.length} B > ${BUDGET.minified} B`);
  assert.ok(gzip < BUDGET.gzip, `gzip ${gzip} B > ${BUDGET.gzip} B`);
});

test('the simulator stays Node-only: bundling it for the browser fails on Node modules', async () => {
  await assert.rejects(bundle('sim.js', { platform: 'browser' }), (err: unknown) => {
    const errors = (err as { errors?: { text: string }[] }).errors ?? [];
    assert.ok(
      errors.some((e) => /Could not resolve "(node:)?(events|http|https|net|fs)"/.test(e.text)),
      errors.map((e) => e.text).join('\n'),
    );
    return true;
  });
});
