/**
 * Argument parsers for commander (each throws InvalidArgumentError, which commander turns into
 * "option '--x <v>' argument 'y' is invalid. <why>"), and the usage error the commands throw for
 * checks that span several flags. Every usage error exits with code 2.
 */
import { InvalidArgumentError } from 'commander';
import { MAX_TIMER_MS } from '../validate.js';
import { checkRedisUrl } from '../redis/open-redis.js';
import { CLUSTERS, type Cluster } from '../protocol/streams.js';

/** A mistake in how the CLI was called: the message names the flag; exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * `500ms`, `30s`, `1.5m`, `2h`, or a bare number of seconds → milliseconds: at least 1 ms and at
 * most what a timer honours (MAX_TIMER_MS, about 24.8 days).
 */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$/i.exec(text);
  const ms = match ? Math.round(Number(match[1]) * UNITS[(match[2] ?? 's').toLowerCase()]!) : NaN;
  if (!Number.isFinite(ms) || ms < 1 || ms > MAX_TIMER_MS) {
    throw new InvalidArgumentError(
      `Expected a duration from 1ms to ${MAX_TIMER_MS}ms (about 24 days) such as 500ms, 30s, 5m or 1h (a bare number means seconds).`,
    );
  }
  return ms;
}

/** The Unix ms `history --from/--to` take: 13 digits, 2001-09-09 to 2286-11-20. */
const UNIX_MS = { min: 1e12, max: 1e13 - 1 } as const;

const TIME_FORMS =
  'Unix ms (1767623400000), an ISO date/time (2026-01-05T14:30:00Z) or an age (90s, 5m, 1h)';

/**
 * `history --from/--to`: Unix ms (13 digits), an ISO 8601 date or date-time, or an age before now
 * (`90s`, `5m`, `1h`, at most what parseDuration takes). A number of another size is refused
 * rather than read as a time far from the one meant: 10 digits is Unix seconds, 16 is µs.
 */
export function parseTime(text: string): number {
  const trimmed = text.trim();
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) {
    const n = Number(trimmed);
    if (Number.isInteger(n) && n >= UNIX_MS.min && n <= UNIX_MS.max) return n;
    const range = `${UNIX_MS.min} (${iso(UNIX_MS.min)}) to ${UNIX_MS.max} (${iso(UNIX_MS.max)})`;
    if (!Number.isInteger(n)) {
      throw new InvalidArgumentError(`Expected whole Unix ms, ${range}.`);
    }
    if (n >= UNIX_MS.min / 1000 && n <= UNIX_MS.max / 1000) {
      throw new InvalidArgumentError(
        `That is Unix seconds; give Unix ms (${n * 1000}), an ISO date/time or an age.`,
      );
    }
    throw new InvalidArgumentError(
      `Out of range: Unix ms has 13 digits, ${range}; or give an ISO date/time or an age.`,
    );
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (!Number.isNaN(ms)) return ms;
  }
  if (/^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/i.test(trimmed)) {
    try {
      return Date.now() - parseDuration(trimmed);
    } catch {
      throw new InvalidArgumentError(
        `Expected an age from 1ms to ${(MAX_TIMER_MS / 3_600_000) | 0}h (about 24 days); for longer ago give Unix ms or an ISO date/time.`,
      );
    }
  }
  throw new InvalidArgumentError(`Expected ${TIME_FORMS}.`);
}

/** A time as the CLI shows it in messages: ISO 8601, UTC. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A duration as parseDuration reads it, or 0 (`0`, `0s` …) for none: `simulate --rest-lag`. */
export function parseDurationOrZero(text: string): number {
  return /^\s*0+\s*(ms|s|m|h)?\s*$/i.test(text) ? 0 : parseDuration(text);
}

/** `simulate --past`: a duration up to the simulator's history (15 minutes), or 0 for none. */
export function parsePast(text: string): number {
  const ms = parseDurationOrZero(text);
  if (ms > 15 * 60_000) {
    throw new InvalidArgumentError(
      'Expected at most 15m: the simulator keeps 15 minutes of history.',
    );
  }
  return ms;
}

/** `--reclaim-after`: a duration of at least a minute (sooner fights the other connection). */
export function parseReclaimAfter(text: string): number {
  const ms = parseDuration(text);
  if (ms < 60_000) {
    throw new InvalidArgumentError(
      'Expected at least 60s: reclaiming sooner fights the other connection for the slot.',
    );
  }
  return ms;
}

/** A positive integer (`--max-events 100`). */
export function parsePositiveInt(text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('Expected a positive integer.');
  }
  return n;
}

/** A non-negative integer (`--seed 0`, `--events-per-second 0`). */
export function parseNonNegativeInt(text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('Expected a whole number >= 0.');
  }
  return n;
}

/** `--sim-rate`: generated events per second, a number > 0 (fractions allowed: 0.5 = one per 2 s). */
export function parseRate(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1_000_000) {
    throw new InvalidArgumentError(
      'Expected events per second: a number above 0 and at most 1000000 (default 200).',
    );
  }
  return n;
}

/** A TCP port, 0 (any free port) to 65535. */
export function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n > 65_535) {
    throw new InvalidArgumentError('Expected a port number from 0 (any free port) to 65535.');
  }
  return n;
}

/** Replay speed: a positive factor (`1`, `10`, `0.5`) or `max`. */
export function parseSpeed(text: string): number | 'max' {
  if (text.trim().toLowerCase() === 'max') return 'max';
  const n = Number(text.replace(/x$/i, ''));
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError("Expected a positive factor (1, 10, 0.5) or 'max'.");
  }
  return n;
}

/** Split a comma-separated list, dropping blanks. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * A repeatable comma-separated list of topics or symbols (`--subscribe T.AAPL --subscribe Q.*`).
 * Entries are trimmed but empty ones are kept, so that the library's one symbol rule
 * (protocol/topics.ts) refuses `T.AAPL,,` naming the flag, instead of it being read as `T.AAPL`.
 */
export function collectList(text: string, previous: string[] | undefined): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.every((s) => s === '')) {
    throw new InvalidArgumentError('Expected a comma-separated list.');
  }
  return [...(previous ?? []), ...items];
}

/**
 * `--sink`: a redis:// or rediss:// URL, or a redis+cluster:// one for a Redis Cluster (shown
 * without its password when refused).
 */
export function parseRedisUrl(text: string): string {
  const url = text.trim();
  try {
    checkRedisUrl(url, '--sink');
  } catch {
    throw new InvalidArgumentError(
      'Expected a Redis URL: redis://[:password@]host:port[/db] (or rediss:// for TLS), or redis+cluster://[:password@]host:port[,host:port…] for a Redis Cluster.',
    );
  }
  return url;
}

/**
 * `--maxlen N` (or `~N`, the older spelling, same meaning): the sink's hard ceiling on the stream's
 * length (RedisSink `maxLen`): past N entries the oldest are trimmed, exactly, and those some
 * consumer group had not read are counted and reported (REDIS_TRIMMED_UNREAD).
 */
export function parseMaxLen(text: string): number {
  const match = /^\s*~?\s*(\d+)\s*$/.exec(text);
  const n = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('Expected a positive entry count: N (or ~N).');
  }
  return n;
}

/** `--stream-key`: a non-empty Redis key; `{cluster}` is filled in. */
export function parseStreamKey(text: string): string {
  if (text.trim().length === 0) {
    throw new InvalidArgumentError('Expected a key such as polygon:{cluster}.');
  }
  return text;
}

/** `--clusters stocks,crypto`: known clusters, each once. */
export function parseClusters(text: string): Cluster[] {
  const list = splitList(text);
  const unknown = list.filter((c) => !(CLUSTERS as readonly string[]).includes(c));
  if (list.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`Expected clusters among ${CLUSTERS.join(', ')}.`);
  }
  return [...new Set(list)] as Cluster[];
}

/**
 * `--delay futures=10m,stocks=15m` (repeatable): cluster → delay in ms, as the simulator's
 * `delayedMs` option takes it. A later flag overrides an earlier one for the same cluster.
 */
export function collectDelays(
  text: string,
  previous: Record<string, number> | undefined,
): Record<string, number> {
  const delays = { ...previous };
  for (const part of splitList(text)) {
    const [cluster, duration, ...rest] = part.split('=');
    if (!(CLUSTERS as readonly string[]).includes(cluster ?? '') || duration === undefined) {
      throw new InvalidArgumentError(
        `Expected CLUSTER=DURATION (futures=10m), a cluster among ${CLUSTERS.join(', ')}; got "${part}".`,
      );
    }
    if (rest.length > 0) throw new InvalidArgumentError(`Expected one "=" in "${part}".`);
    delays[cluster!] = parseDuration(duration);
  }
  return delays;
}

/** The API key: `--key`, else `$POLYGON_API_KEY`; blank counts as none (the simulator is used). */
export function apiKeyOf(
  flags: { readonly key?: string | undefined },
  env: Record<string, string | undefined>,
): string | undefined {
  return flags.key?.trim() || env['POLYGON_API_KEY']?.trim() || undefined;
}
