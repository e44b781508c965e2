import { defineConfig } from 'tsup';

const library = {
  index: 'src/index.ts',
  simulator: 'src/simulator/index.ts',
  redis: 'src/redis/index.ts',
  relay: 'src/relay/index.ts',
};

// ESM: the library entries and the CLI share chunks, so the CLI imports the library code
// instead of carrying its own copy. CJS: the library entries only. No source maps in the package.
export default defineConfig([
  {
    entry: { ...library, 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    dts: { entry: library },
    splitting: true,
    clean: true,
    target: 'node20',
  },
  {
    entry: library,
    format: ['cjs'],
    dts: true,
    splitting: true,
    target: 'node20',
  },
]);
