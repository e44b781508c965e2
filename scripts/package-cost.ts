/**
 * What a consumer pays for the package: the tarball (`npm pack --dry-run`), the dependencies an
 * install brings (its dependencies in package-lock.json, and theirs), and what importing an entry loads and costs, measured
 * in fresh node processes on the built dist, and the client bundled for a browser. `npm run
 * package-cost` builds, measures and writes the README's two tables (between `<!-- package-facts
 * -->` and `<!-- package-times -->` markers); test/integration/package-cost.test.ts fails when the
 * facts table is stale (the times depend on the machine and are not checked);
 * test/integration/package.test.ts uses `loadedModules` to prove what the client entry does not
 * load.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Loaded {
  /** Files the import loaded (ES modules and CommonJS), as absolute paths. */
  files: string[];
  /** Wall time of the import or require inside the process, ms (slowed by the load hook). */
  ms: number;
}

/**
 * Import (`esm`) or require (`cjs`) `specifier` in a fresh node process started in `cwd`, and list
 * every module it loaded: ES modules through a load hook, CommonJS through require.cache.
 */
export function loadedModules(specifier: string, format: 'esm' | 'cjs', cwd = ROOT): Loaded {
  const hook = `
    export async function initialize(port) { globalThis.port = port; }
    export async function load(url, context, next) { globalThis.port.postMessage(url); return next(url, context); }`;
  const script = `
    import { register, createRequire } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    import { fileURLToPath } from 'node:url';
    const urls = [];
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (url) => urls.push(url));
    port1.unref();
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}), {
      data: port2, transferList: [port2],
    });
    const require = createRequire(process.cwd() + '/');
    const before = new Set(Object.keys(require.cache));
    const start = performance.now();
    ${format === 'esm' ? `await import(${JSON.stringify(specifier)});` : `require(${JSON.stringify(specifier)});`}
    const ms = performance.now() - start;
    await new Promise((resolve) => setImmediate(resolve));
    const files = new Set(Object.keys(require.cache).filter((f) => !before.has(f)));
    for (const url of urls) if (url.startsWith('file:')) files.add(fileURLToPath(url));
    console.log(JSON.stringify({ files: [...files].sort(), ms }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    encoding: 'utf8',
    timeout: 20_000,
    // ws loads its optional native helpers when they are installed. An install of this package
    // brings neither; a dev dependency puts them in this checkout's node_modules.
    env: { ...process.env, WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' },
  });
  return JSON.parse(out) as Loaded;
}

/** The median time of `runs` cold imports (each in a fresh node process, no hooks), ms. */
function medianMs(specifier: string, format: 'esm' | 'cjs', runs: number): number {
  const load =
    format === 'esm'
      ? `await import(${JSON.stringify(specifier)})`
      : `require(${JSON.stringify(specifier)})`;
  const script = `const start = performance.now(); ${load}; console.log(performance.now() - start);`;
  const args = format === 'esm' ? ['--input-type=module', '-e', script] : ['-e', script];
  const times = Array.from({ length: runs }, () =>
    Number(execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })),
  ).sort((a, b) => a - b);
  return times[Math.floor(runs / 2)]!;
}

/** Where a loaded file comes from: a package under node_modules, or this package's dist. */
function origin(file: string): string {
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)(?:\/|$)/.exec(file);
  if (nm) return nm[1]!;
  return file.startsWith(ROOT) ? 'polygon-stream' : file;
}

function byOrigin(files: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const f of files) counts.set(origin(f), (counts.get(origin(f)) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
}

/** The figures of a build that do not depend on the machine's speed. */
export interface PackageFacts {
  tarball: { size: number; unpackedSize: number; entryCount: number; maps: number };
  /** Packages an install of this one brings (package-lock.json: its dependencies, and theirs). */
  dependencies: string[];
  /** Files each entry loads in a fresh process, by origin. */
  loads: { verb: string; specifier: string; files: number; origins: string }[];
  /** The client bundled for the browser by esbuild (minified), bytes. */
  browser: { minified: number; gzip: number };
}

const ENTRIES = [
  ['polygon-stream', 'cjs'],
  ['polygon-stream', 'esm'],
  ['polygon-stream/redis', 'esm'],
  ['polygon-stream/simulator', 'esm'],
  ['polygon-stream/relay', 'esm'],
  ['polygon-stream/duckdb', 'esm'],
] as const;

/** The app a browser bundle is made of: it imports the client by the package's name. */
export const CLIENT_APP =
  "import { StreamClient } from 'polygon-stream';\nglobalThis.StreamClient = StreamClient;\n";

/**
 * A throwaway project in the temp folder that depends on this package (a symlink in its
 * node_modules), with `files` (name → source) beside its package.json: what a user's bundler
 * sees. The caller removes it (rmSync) when done.
 */
export function bundlerProject(prefix: string, files: Record<string, string>): string {
  const project = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(ROOT, join(project, 'node_modules', 'polygon-stream'), 'dir');
  writeFileSync(join(project, 'package.json'), '{"name":"bundler","private":true}');
  for (const [name, source] of Object.entries(files)) writeFileSync(join(project, name), source);
  return project;
}

/** Minified and gzipped size of an app that imports the client, bundled for the browser. */
async function browserBundle(): Promise<PackageFacts['browser']> {
  const { build } = await import('esbuild');
  const project = bundlerProject('polygon-stream-cost-', { 'app.js': CLIENT_APP });
  try {
    const result = await build({
      entryPoints: [join(project, 'app.js')],
      absWorkingDir: project,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      minify: true,
      logLevel: 'silent',
    });
    const text = result.outputFiles[0]!.contents;
    return { minified: text.length, gzip: gzipSync(text).length };
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/**
 * The packages an install of this one brings: its dependencies as package-lock.json resolves
 * them, and theirs. Peers are not followed: an optional peer (ioredis, ws's native helpers) is
 * installed only by a user who asks for it, whatever this checkout's dev dependencies brought.
 */
function installedWith(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const names = (entry: LockEntry | undefined): string[] =>
    Object.keys({ ...entry?.dependencies, ...entry?.optionalDependencies });
  const seen: string[] = [];
  const queue = names(lock.packages['']);
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.includes(name)) continue;
    seen.push(name);
    queue.push(...names(lock.packages[`node_modules/${name}`]));
  }
  return seen;
}

/** Measure the facts of the current build (dist/ must be built). */
export async function measureFacts(): Promise<PackageFacts> {
  const pack = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8' }),
  ) as { size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }[];
  const { size, unpackedSize, entryCount, files } = pack[0]!;
  const dependencies = installedWith();
  const loads = ENTRIES.map(([specifier, format]) => {
    const loaded = loadedModules(specifier, format);
    return {
      verb: format === 'esm' ? 'import' : 'require',
      specifier,
      files: loaded.files.length,
      origins: byOrigin(loaded.files),
    };
  });
  return {
    tarball: {
      size,
      unpackedSize,
      entryCount,
      maps: files.filter((f) => f.path.endsWith('.map')).length,
    },
    dependencies,
    loads,
    browser: await browserBundle(),
  };
}

const kB = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`;

/** The README's table of the package's sizes and what each entry loads. */
export function factsTable(facts: PackageFacts): string {
  const { tarball, dependencies, loads, browser } = facts;
  return [
    '| what | figure | measured by |',
    '| --- | --- | --- |',
    `| tarball | ${kB(tarball.size)} (${kB(tarball.unpackedSize)} unpacked, ${tarball.entryCount} files, ${tarball.maps} source maps) | \`npm pack --dry-run --json\` |`,
    `| dependencies installed with it | ${dependencies.length}: ${dependencies.map((d) => `\`${d}\``).join(', ')}; optional peers: \`ioredis\`, needed only for \`polygon-stream/redis\`, \`prom-client\`, only for the relay's \`/metrics\`, and \`@duckdb/node-api\`, only for \`polygon-stream/duckdb\` (recording to, querying and replaying DuckDB files) | package-lock.json: the dependencies, and theirs |`,
    ...loads.map(
      (l) =>
        `| \`${l.verb}('${l.specifier}')\` loads | ${l.files} files (${l.origins}) | a fresh \`node\`; a module load hook plus \`require.cache\` |`,
    ),
    `| the client bundled for a browser | ${kB(browser.minified)} minified, ${kB(browser.gzip)} gzipped | esbuild \`--bundle --minify --platform=browser\` |`,
  ].join('\n');
}

/** The README's table of cold import times: medians of `runs` fresh processes each. */
function timesTable(runs: number): string {
  const rows = [['ws', 'esm'] as const, ...ENTRIES].map(([specifier, format]) => {
    const verb = format === 'esm' ? 'import' : 'require';
    return `| \`${verb}('${specifier}')\` | ${medianMs(specifier, format, runs).toFixed(1)} ms |`;
  });
  return [
    `| cold start (median of ${runs} fresh processes) | time |`,
    '| --- | --- |',
    ...rows,
  ].join('\n');
}

/** `text` with the part between `<!-- NAME:start -->` and `<!-- NAME:end -->` replaced. */
export function replaceSection(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} section`);
  return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
}

/** The part between the markers. */
export function section(text: string, name: string): string {
  const start = `<!-- ${name}:start -->\n`;
  const from = text.indexOf(start);
  const to = text.indexOf(`\n<!-- ${name}:end -->`);
  if (from < 0 || to < from) throw new Error(`README.md has no ${name} section`);
  return text.slice(from + start.length, to);
}

export const README = join(ROOT, 'README.md');

async function main(): Promise<void> {
  const facts = await measureFacts();
  const runs = Number(process.env['RUNS'] ?? 11);
  const times = timesTable(runs);
  let readme = readFileSync(README, 'utf8');
  readme = replaceSection(readme, 'package-facts', factsTable(facts));
  readme = replaceSection(readme, 'package-times', times);
  writeFileSync(README, readme);
  process.stdout.write(`${factsTable(facts)}\n\n${times}\n\nREADME.md updated.\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
