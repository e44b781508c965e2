import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';
import type { Plugin } from 'esbuild';

const library = {
  index: 'src/index.ts',
  simulator: 'src/simulator/index.ts',
  redis: 'src/redis/index.ts',
  duckdb: 'src/duckdb/index.ts',
  relay: 'src/relay/index.ts',
};

/**
 * The standard build swaps the Node build's transport choice (ws, or the runtime's WebSocket on
 * request) for the one that only knows the runtime's WebSocket: no `ws`, no Node module.
 */
const standardTransports: Plugin = {
  name: 'standard-transports',
  setup(build) {
    const standard = fileURLToPath(
      new URL('src/client/transport/transports-standard.ts', import.meta.url),
    );
    build.onResolve({ filter: /(^|\/)transports\.js$/ }, () => ({ path: standard }));
  },
};

// @duckdb/node-api's own native bindings, which the DuckDB sink uses too (src/duckdb/table-chunks.ts):
// loaded from the install, never bundled (tsup leaves only declared dependencies out by itself).
const external = ['@duckdb/node-bindings'];

// ESM: the library entries and the CLI share chunks, so the CLI imports the library code
// instead of carrying its own copy. CJS: the library entries only. No source maps in the package.
// Standard (browsers, Deno, Bun, workers): the client alone in one self-contained ES module.
const standard: Options = {
  entry: { browser: 'src/index.ts' },
  format: ['esm'],
  platform: 'browser',
  target: 'es2022',
  splitting: false,
  esbuildPlugins: [standardTransports],
};

const full: Options[] = [
  {
    entry: { ...library, 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    dts: { entry: library },
    splitting: true,
    clean: true,
    target: 'node20',
    external,
  },
  {
    entry: library,
    format: ['cjs'],
    dts: true,
    splitting: true,
    target: 'node20',
    external,
  },
  standard,
];

// The partial builds scripts/build.mjs asks for (POLYGON_STREAM_BUILD): `npm start` needs only the
// ESM CLI, `npm run example:browser` only the standard build. Neither cleans dist/ nor writes
// type declarations; scripts/build.mjs keeps a stamp per kind so a partial build is never taken
// for the full one.
const partial: Record<'cli' | 'browser', Options> = {
  cli: {
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    splitting: false,
    target: 'node20',
    external,
  },
  browser: standard,
};

const kind = process.env['POLYGON_STREAM_BUILD'];
export default defineConfig(kind === 'cli' || kind === 'browser' ? partial[kind] : full);
