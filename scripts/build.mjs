/* global process, URL */
/**
 * Builds dist/ only when the sources changed since the last build of the same kind:
 *
 *   node scripts/build.mjs full      ESM + CJS + type declarations + the standard build (npm
 *                                     install, npm test, npm pack/publish)
 *   node scripts/build.mjs cli       the ESM CLI alone (npm start)
 *   node scripts/build.mjs browser   the standard build dist/browser.js alone (example:browser)
 *   add --force to build even when fresh (npm run build)
 *
 * Fresh means: dist/.build-<kind>.json holds the hash of the inputs' paths and contents now (every
 * file under src/, plus tsup.config.ts, tsconfig.json, package.json and this script), so an edit,
 * a new file or a removed one makes it stale, whatever the files' times say. A full build writes
 * all three stamps (it contains the other two); a partial build removes the full stamp, since
 * dist/ then holds files the full build did not make, and the next full build starts clean.
 *
 * Plain JavaScript, so `npm start` pays no compiler start-up to learn there is nothing to do.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KINDS = ['full', 'cli', 'browser'];
const INPUT_FILES = ['tsup.config.ts', 'tsconfig.json', 'package.json', 'scripts/build.mjs'];
const INPUT_DIRS = ['src'];

/** Every input file under `root`, as sorted `/`-separated paths relative to it. */
export function inputFiles(root) {
  const found = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // no such directory: nothing of it to hash
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) found.push(relative(root, path).split(sep).join('/'));
    }
  };
  for (const dir of INPUT_DIRS) walk(join(root, dir));
  for (const file of INPUT_FILES) {
    if (existsSync(join(root, file))) found.push(file);
  }
  return found.sort();
}

/** The hash of the inputs' paths and contents. */
export function sourceHash(root) {
  const hash = createHash('sha256');
  for (const file of inputFiles(root)) {
    hash.update(file).update('\0');
    hash.update(readFileSync(join(root, file))).update('\0');
  }
  return hash.digest('hex');
}

const stampFile = (root, kind) => join(root, 'dist', `.build-${kind}.json`);

/** The hash a build of `kind` was made from, or undefined when there is none. */
function stampedHash(root, kind) {
  try {
    return JSON.parse(readFileSync(stampFile(root, kind), 'utf8')).hash;
  } catch {
    return undefined;
  }
}

/** Whether dist/ holds a build of `kind` made from the inputs as they are now. */
export function isFresh(root, kind, hash = sourceHash(root)) {
  return stampedHash(root, kind) === hash;
}

/** Records that dist/ holds a build of `kind` made from inputs hashing to `hash`. */
export function writeStamp(root, kind, hash) {
  mkdirSync(join(root, 'dist'), { recursive: true });
  if (kind === 'full') {
    for (const k of KINDS) writeFileSync(stampFile(root, k), JSON.stringify({ hash }) + '\n');
  } else {
    rmSync(stampFile(root, 'full'), { force: true });
    writeFileSync(stampFile(root, kind), JSON.stringify({ hash }) + '\n');
  }
}

/** Builds `kind` in `root` unless fresh (or `force`); resolves to whether it built. */
export async function buildIfStale(root, kind, { force = false } = {}) {
  const hash = sourceHash(root);
  if (!force && isFresh(root, kind, hash)) return false;
  // A partial build first drops the full stamp: interrupted, it must not leave one behind.
  if (kind !== 'full') rmSync(stampFile(root, 'full'), { force: true });
  process.env.POLYGON_STREAM_BUILD = kind;
  const { build } = await import('tsup');
  await build({ silent: true });
  writeStamp(root, kind, hash);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [kind = 'full', ...flags] = process.argv.slice(2);
  if (!KINDS.includes(kind) || flags.some((f) => f !== '--force')) {
    process.stderr.write(`usage: node scripts/build.mjs [${KINDS.join('|')}] [--force]\n`);
    process.exit(2);
  }
  const root = fileURLToPath(new URL('..', import.meta.url));
  const started = Date.now();
  const built = await buildIfStale(root, kind, { force: flags.includes('--force') });
  if (built) process.stderr.write(`built ${kind} in ${Date.now() - started} ms\n`);
}
