/* global process, URL */
/**
 * `npm start`: builds the ESM CLI when the sources changed since the last build (scripts/build.mjs;
 * after `npm install` it is already built), then runs it in this same process, so a fresh tree
 * pays for one Node start-up, not two. The arguments are the CLI's: `node scripts/start.mjs
 * stream --key …` is `polygon-stream stream --key …`.
 */
import { fileURLToPath } from 'node:url';
import { buildIfStale } from './build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = Date.now();
if (await buildIfStale(root, 'cli')) {
  process.stderr.write(
    `polygon-stream: sources changed, CLI rebuilt in ${Date.now() - started} ms\n`,
  );
}
await import('../dist/cli/main.js');
