/**
 * Where history-then-live starts: every accepted form of a time read to the right Unix ms, the
 * market's time zone for `HH:MM`, and typed errors (never NaN, never another error) for the rest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PolygonStreamError } from '../../src/errors.js';
import { marketTimeZone, MAX_LOOKBACK_MS, parseTimeInput } from '../../src/protocol/time-input.js';
import { RUNS, SEED } from '../helpers/arbitraries.js';

// 2026-12-04 (a Friday, New York on EST, UTC−5; Chicago on CST, UTC−6) at 15:00 UTC.
const NOW = Date.UTC(2026, 11, 4, 15, 0, 0);
const at = (value: unknown, cluster = 'stocks', now = NOW): number =>
  parseTimeInput(value, { cluster, now, where: 'subscribe', option: 'from' });

function refused(value: unknown, message: RegExp, cluster = 'stocks'): void {
  assert.throws(
    () => at(value, cluster),
    (e: unknown) =>
      e instanceof PolygonStreamError &&
      e.code === 'INVALID_OPTION' &&
      message.test(e.message) &&
      /allowed: an ISO 8601 time/.test(e.message),
  );
}

test('ISO 8601 with Z or an offset, with or without seconds and fractions', () => {
  assert.equal(at('2026-12-04T14:30:00Z'), Date.UTC(2026, 11, 4, 14, 30));
  assert.equal(at('2026-12-04T09:30:00-05:00'), Date.UTC(2026, 11, 4, 14, 30));
  assert.equal(at('2026-12-04T14:30Z'), Date.UTC(2026, 11, 4, 14, 30));
  assert.equal(at('2026-12-04T14:30:00.250Z'), Date.UTC(2026, 11, 4, 14, 30) + 250);
  assert.equal(at('2026-12-04 14:30:00+0000'), Date.UTC(2026, 11, 4, 14, 30));
});

test('epochs: the unit is told by the size (s, ms, µs, ns), as numbers, bigints or digits', () => {
  const ms = Date.UTC(2026, 11, 4, 14, 30, 1, 500);
  assert.equal(at(Math.floor(ms / 1000)), ms - 500);
  assert.equal(at(ms), ms);
  assert.equal(at(String(ms)), ms);
  assert.equal(at(ms * 1000), ms);
  assert.equal(at(BigInt(ms) * 1_000_000n), ms);
  assert.equal(at(`${ms}000000`), ms);
});

test('HH:MM and HH:MM:SS are today in the market time zone of the cluster', () => {
  assert.equal(marketTimeZone('stocks'), 'America/New_York');
  assert.equal(marketTimeZone('futures/cme'), 'America/Chicago');
  assert.equal(marketTimeZone('crypto'), 'UTC');
  assert.equal(at('09:30'), Date.UTC(2026, 11, 4, 14, 30)); // EST: UTC−5
  assert.equal(at('09:30:15', 'options'), Date.UTC(2026, 11, 4, 14, 30, 15));
  assert.equal(at('08:30', 'futures'), Date.UTC(2026, 11, 4, 14, 30)); // CST: UTC−6
  assert.equal(at('14:30', 'crypto'), Date.UTC(2026, 11, 4, 14, 30));
  // Summer: New York on EDT (UTC−4).
  const july = Date.UTC(2026, 6, 1, 20, 0);
  assert.equal(at('09:30', 'stocks', july), Date.UTC(2026, 6, 1, 13, 30));
  // Just after midnight UTC it is still the previous day in New York.
  const lateNy = Date.UTC(2026, 11, 5, 1, 0); // 20:00 on the 4th in New York
  assert.equal(at('09:30', 'stocks', lateNy), Date.UTC(2026, 11, 4, 14, 30));
});

test('durations back from now, single and combined', () => {
  assert.equal(at('30m'), NOW - 30 * 60_000);
  assert.equal(at('2h'), NOW - 2 * 3_600_000);
  assert.equal(at('90s'), NOW - 90_000);
  assert.equal(at('1d'), NOW - 86_400_000);
  assert.equal(at('1h30m'), NOW - 90 * 60_000);
  assert.equal(at('1.5h'), NOW - 90 * 60_000);
  assert.equal(at(new Date(NOW - 5)), NOW - 5);
});

test('future times, times past the lookback and malformed input are typed errors', () => {
  refused('10:30', /in the future/); // 15:30 UTC today
  refused('2026-12-04T16:00:00Z', /in the future/);
  refused(NOW + 1, /in the future/);
  refused('8d', /more than 7 days back/);
  refused('2020-01-01T00:00:00Z', /more than 7 days back/);
  refused('2026-12-04T14:30:00', /is not a time/); // no zone: ambiguous
  refused('24:00', /not a time of day/);
  refused('9:61', /not a time of day/);
  refused('yesterday', /is not a time/);
  refused('', /is not a time/);
  refused(NaN, /is not a time/);
  refused(-1, /is not a time/);
  refused(null, /is not a time/);
  refused({}, /is not a time/);
  refused(new Date(NaN), /is not a time/);
  refused('30x', /is not a time/);
  assert.equal(at(`${MAX_LOOKBACK_MS / 60_000}m`), NOW - MAX_LOOKBACK_MS);
});

test('property: any input gives an integer time in [now − 7 days, now] or INVALID_OPTION', () => {
  const input = fc.oneof(
    fc.anything(),
    fc.string(),
    fc.double(),
    fc.bigInt(),
    fc.date({ noInvalidDate: false }),
    fc.integer({ min: 0, max: 9_999_999_999_999 }),
    fc.stringMatching(/^\d{1,2}:\d{2}(:\d{2})?$/),
    fc.stringMatching(/^(\d{1,4}(\.\d{1,3})?(ms|s|m|h|d)){1,3}$/),
    fc.date().map((d) => d.toISOString()),
  );
  fc.assert(
    fc.property(input, fc.integer({ min: 0, max: 4_000_000_000_000 }), (value, now) => {
      try {
        const t = at(value, 'stocks', now);
        assert.ok(Number.isSafeInteger(t), `${String(t)} is an integer`);
        assert.ok(t <= now && t >= now - MAX_LOOKBACK_MS);
      } catch (err) {
        if (!(err instanceof PolygonStreamError) || err.code !== 'INVALID_OPTION') throw err;
      }
    }),
    { numRuns: RUNS * 3, seed: SEED },
  );
});
