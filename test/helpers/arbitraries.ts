/**
 * Shared pieces of the property tests (fast-check): run count and seed (FUZZ_RUNS, FUZZ_SEED for
 * `npm run fuzz`), status events with fields of any value, and arbitrary option objects.
 */
import fc from 'fast-check';
import { PolygonStreamError } from '../../src/errors.js';

/** Runs per property: FUZZ_RUNS when set (`npm run fuzz`), else `fallback`. */
export const runs = (fallback: number): number => Number(process.env['FUZZ_RUNS'] ?? fallback);
export const RUNS = runs(300);
export const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_125);

/** Fails unless `fn` returns or throws a coded PolygonStreamError (one of `codes` when given). */
export function codedOrFine(fn: () => unknown, codes?: readonly string[]): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof PolygonStreamError)) throw err;
    if (codes && !codes.includes(err.code)) throw err;
  }
}

const STATUSES = [
  'connected',
  'success',
  'auth_success',
  'auth_failed',
  'auth_timeout',
  'error',
  'force_disconnect',
  'max_connections',
  'slow_consumer',
];

/** A status event whose fields are any JSON value (or missing). */
export const statusEvent = fc.record(
  {
    ev: fc.constant('status'),
    status: fc.oneof(fc.constantFrom(...STATUSES), fc.jsonValue()),
    message: fc.oneof(fc.string(), fc.jsonValue(), fc.constant({ toString: 1 })),
  },
  { requiredKeys: ['ev'] },
);

/** Arbitrary option objects: known keys with odd values, unknown keys, or not an object at all. */
export function optionsOf(keys: readonly string[]): fc.Arbitrary<unknown> {
  const value = fc.oneof(
    fc.anything(),
    fc.constantFrom(Infinity, -1, NaN, 0, 1, 2 ** 31, 3e9, 60_000, 'stop', 'reclaim', null, true),
    fc.func(fc.anything()),
  );
  const known = fc.dictionary(fc.constantFrom(...keys), value);
  return fc.oneof(known, fc.anything(), fc.record({ reconnect: known, logger: known }));
}
