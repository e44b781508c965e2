/**
 * A moment a user names, as Unix ms: where history-then-live starts (`subscribe(…, { from })`,
 * the client's `start`, `stream --from`). Pure: `now` is given, no I/O, no timers.
 *
 * Accepted forms:
 * - a `Date`;
 * - ISO 8601 with a zone (`2026-12-04T14:30:00Z`, `2026-12-04T09:30:00-05:00`, fractions allowed);
 * - a Unix epoch as a number, bigint or string of digits, its unit told by its size: below 1e11
 *   seconds (up to the year 5138), below 1e14 milliseconds, below 1e17 microseconds, else
 *   nanoseconds (a 2001–2286 time has 10, 13, 16 or 19 digits in those units);
 * - `HH:MM` or `HH:MM:SS`: that time today in the market's time zone (MARKET_TIME_ZONES);
 * - a duration back from now: one or more `<number><unit>` with units ms, s, m, h, d (`30m`,
 *   `2h`, `90s`, `1d`, `1h30m`).
 * The moment must not be in the future, nor more than MAX_LOOKBACK_MS ago. Anything else is an
 * INVALID_OPTION error naming the forms allowed; never NaN.
 */
import { ErrorCode, PolygonStreamError } from '../errors.js';
import { describe } from '../validate.js';
import { isFuturesCluster, type Cluster } from './streams.js';

/** What a `from` / `start` may be given as. */
export type TimeInput = Date | number | bigint | string;

/**
 * The time zone `HH:MM` is read in, by cluster: the US equity and options markets' (their
 * sessions, 09:30–16:00, are New York times), the CME Group's for futures (Central Time, where the
 * provider keeps futures sessions), UTC for forex and crypto, which trade around the clock.
 */
export const MARKET_TIME_ZONES: Readonly<Record<string, string>> = {
  stocks: 'America/New_York',
  options: 'America/New_York',
  indices: 'America/New_York',
  futures: 'America/Chicago',
  forex: 'UTC',
  crypto: 'UTC',
};

/**
 * The furthest back a `from` may be: 7 days. This is the library's bound, not the provider's
 * retention (which depends on the plan and which the client cannot know in advance: a plan that
 * keeps less answers 403, reported as HISTORY_UNAVAILABLE in the topic's `caughtUp`). Further
 * back is a bulk download, for `history()`, not a catch-up.
 */
export const MAX_LOOKBACK_MS = 7 * 24 * 3_600_000;

const FORMS =
  "an ISO 8601 time with a zone ('2026-12-04T14:30:00Z'), a Unix epoch in s, ms, µs or ns, 'HH:MM' or 'HH:MM:SS' (today, market time), a duration back from now ('30m', '2h', '90s', '1d') or a Date";

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** The time zone `HH:MM` means on a cluster (futures exchange paths: the futures one). */
export function marketTimeZone(cluster: Cluster | string): string {
  return MARKET_TIME_ZONES[isFuturesCluster(cluster) ? 'futures' : cluster] ?? 'UTC';
}

/**
 * `value` as Unix ms, read for `cluster`'s market at `now`; `where` and `option` name it in
 * errors (`subscribe`, `from`).
 */
export function parseTimeInput(
  value: unknown,
  o: { cluster: Cluster | string; now: number; where: string; option: string },
): number {
  const bad = (why: string): PolygonStreamError =>
    new PolygonStreamError(
      ErrorCode.InvalidOption,
      `${o.where}: ${o.option} ${why}; allowed: ${FORMS}, from ${new Date(o.now - MAX_LOOKBACK_MS).toISOString()} (7 days back) to now`,
      { option: o.option },
    );
  const ms = toMs(value, o.cluster, o.now, bad);
  if (!Number.isFinite(ms)) throw bad(`is not a time (got ${describe(value)})`);
  const at = Math.floor(ms);
  if (at > o.now) {
    throw bad(`is in the future (${iso(at)}; now is ${iso(o.now)})`);
  }
  if (at < o.now - MAX_LOOKBACK_MS) {
    throw bad(`is more than 7 days back (${iso(at)})`);
  }
  return at;
}

function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

function toMs(
  value: unknown,
  cluster: string,
  now: number,
  bad: (why: string) => PolygonStreamError,
): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return epochMs(Number(value));
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw bad(`is not a time (got ${describe(value)})`);
    return epochMs(value);
  }
  if (typeof value !== 'string') throw bad(`is not a time (got ${describe(value)})`);
  const text = value.trim();
  if (/^\d{1,21}$/.test(text)) return epochMs(Number(text));
  if (ISO.test(text)) return Date.parse(text.replace(' ', 'T'));
  const clock = CLOCK.exec(text);
  if (clock) {
    const [h, m, s] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
    if (h > 23 || m > 59 || s > 59) throw bad(`is not a time of day (got ${describe(value)})`);
    return todayAt(h, m, s, marketTimeZone(cluster), now);
  }
  if (DURATION.test(text)) {
    let back = 0;
    for (const [, n, unit] of text.matchAll(DURATION_PART)) back += Number(n) * UNIT_MS[unit!]!;
    return now - back;
  }
  throw bad(`is not a time (got ${describe(value)})`);
}

/** An epoch of unknown unit as ms, its unit told by its size (see the module comment). */
function epochMs(n: number): number {
  if (n < 1e11) return n * 1_000;
  if (n < 1e14) return n;
  if (n < 1e17) return n / 1_000;
  return n / 1e6;
}

/** Unix ms of h:m:s on today's date in `zone`, today being the zone's date at `now`. */
function todayAt(h: number, m: number, s: number, zone: string, now: number): number {
  const p = zoneParts(zone, now);
  // The wall-clock time read as if UTC, then moved by the zone's offset at that moment (checked
  // again at the result, so a DST change between now and then is accounted for).
  const wall = Date.UTC(p.year, p.month - 1, p.day, h, m, s);
  let at = wall - offsetMs(zone, wall);
  at = wall - offsetMs(zone, at);
  return at;
}

/** The zone's UTC offset at `at`, ms (New York in winter: −5 h). */
function offsetMs(zone: string, at: number): number {
  const p = zoneParts(zone, at);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(at / 1_000) * 1_000;
}

const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

function zoneParts(
  zone: string,
  at: number,
): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  let f = FORMATTERS.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    FORMATTERS.set(zone, f);
  }
  const get: Record<string, number> = {};
  for (const part of f.formatToParts(at)) get[part.type] = Number(part.value);
  return {
    year: get['year']!,
    month: get['month']!,
    day: get['day']!,
    hour: get['hour']!,
    minute: get['minute']!,
    second: get['second']!,
  };
}
