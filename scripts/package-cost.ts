/**
 * What a consumer pays for the package: the tarball (`npm pack --dry-run`), the dependencies an
 * install brings (`npm ls --omit=dev --all`), and what importing an entry loads and costs, measured
 * in fresh node processes on the built dist. `npm run package-cost` prints the figures the README
 * quotes (run `npm run build` first); test/integration/package.test.ts uses `loadedModules` to
 * prove what the client entry does not load.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
  return [...counts].map(([name, n]) => `${name} ${n}`).join(', ');
}

/** One line of the report on stdout. */
function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function main(): void {
  const pack = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8' }),
  ) as { size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }[];
  const { size, unpackedSize, entryCount, files } = pack[0]!;
  const maps = files.filter((f) => f.path.endsWith('.map')).length;
  say(
    `tarball (npm pack --dry-run): ${(size / 1000).toFixed(1)} kB, ${(unpackedSize / 1000).toFixed(1)} kB unpacked, ${entryCount} files, ${maps} source maps`,
  );

  const deps = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((line) => line.includes('node_modules'))
    .map(origin);
  say(
    `dependencies installed with it (npm ls --omit=dev --all): ${deps.length} (${deps.join(', ')}); ioredis is an optional peer`,
  );

  const runs = Number(process.env['RUNS'] ?? 11);
  const ws = medianMs('ws', 'esm', runs);
  say(`import('ws') alone, the baseline: median ${ws.toFixed(1)} ms over ${runs} cold runs`);
  for (const [specifier, format] of [
    ['polygon-stream', 'esm'],
    ['polygon-stream', 'cjs'],
    ['polygon-stream/simulator', 'esm'],
    ['polygon-stream/redis', 'esm'],
    ['polygon-stream/relay', 'esm'],
  ] as const) {
    const loaded = loadedModules(specifier, format);
    const verb = format === 'esm' ? 'import' : 'require';
    say(
      `${verb}('${specifier}'): median ${medianMs(specifier, format, runs).toFixed(1)} ms over ${runs} cold runs; ` +
        `${loaded.files.length} files loaded (${byOrigin(loaded.files)})`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
