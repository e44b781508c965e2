/**
 * Option checks for every public entry point (client, queues, stats, Redis fan-out, simulator),
 * with one message format: `<where>: <option> must be <allowed> (got <value>)`, thrown as
 * INVALID_OPTION. Values are described without running any of their code (no toString, no
 * getters beyond JSON's own), so a hostile value cannot throw from inside a check.
 */
import { ErrorCode, PolygonStreamError } from './errors.js';

/** Longest description quoted in a message. */
const DESCRIBE_MAX = 80;

/** Node fires timers of 2^31 ms or more after 1 ms: the longest delay a timer honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A short, safe description of any value: strings quoted, objects as JSON-ish text, never by
 * calling the value's own toString.
 */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return clip(JSON.stringify(value));
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return `${value as number}`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  if (value === null) return 'null';
  try {
    const text = JSON.stringify(value);
    if (typeof text === 'string') return clip(text);
  } catch {
    // Cycles, BigInts, throwing getters or toJSON: fall through to the kind of object.
  }
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** Server or user text as a string: strings as they are, anything else described. */
export function textOf(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? '' : describe(value);
}

function clip(text: string): string {
  return text.length > DESCRIBE_MAX ? `${text.slice(0, DESCRIBE_MAX)}…` : text;
}

export function invalidOption(
  where: string,
  option: string,
  allowed: string,
  value: unknown,
): PolygonStreamError {
  return new PolygonStreamError(
    ErrorCode.InvalidOption,
    `${where}: ${option} must be ${allowed} (got ${describe(value)})`,
    { option },
  );
}

interface Range {
  min?: number;
  max?: number;
}

/** A finite number in [min, max] (min defaults to 0, max to MAX_TIMER_MS for durations). */
export function number(where: string, option: string, value: unknown, range: Range = {}): number {
  const { min = 0, max = Number.MAX_VALUE } = range;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidOption(where, option, `a number from ${min} to ${max}`, value);
  }
  return value;
}

/** An integer in [min, max]. */
export function integer(where: string, option: string, value: unknown, range: Range = {}): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(where, option, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/**
 * A timer duration in milliseconds, at most MAX_TIMER_MS (longer timers fire at once in Node).
 * `unit: 's'` checks a duration given in seconds against the same bound.
 */
export function duration(
  where: string,
  option: string,
  value: unknown,
  { min = 0, unit = 'ms' }: { min?: number; unit?: 'ms' | 's' } = {},
): number {
  const max = unit === 'ms' ? MAX_TIMER_MS : Math.floor(MAX_TIMER_MS / 1000);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidOption(where, option, `a duration in ${unit} from ${min} to ${max}`, value);
  }
  return value;
}

export function oneOf<const T extends readonly unknown[]>(
  where: string,
  option: string,
  value: unknown,
  allowed: T,
): T[number] {
  if (!allowed.includes(value)) {
    throw invalidOption(where, option, `one of ${allowed.map(describe).join(', ')}`, value);
  }
  return value;
}

export function boolean(where: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidOption(where, option, 'true or false', value);
  return value;
}

export function string(where: string, option: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidOption(where, option, 'a string', value);
  return value;
}

/** An absolute http:// or https:// URL with a host. */
export function httpUrl(where: string, option: string, value: unknown): string {
  if (typeof value === 'string' && /^https?:\/\/[^/]/i.test(value) && URL.canParse(value)) {
    return value;
  }
  throw invalidOption(where, option, 'an http:// or https:// URL', value);
}

export function fn<F>(where: string, option: string, value: F): F {
  if (typeof value !== 'function') throw invalidOption(where, option, 'a function', value);
  return value;
}

/** A plain options object (undefined counts as `{}`). */
export function plainObject<T extends object>(where: string, option: string, value: unknown): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidOption(where, option, 'an object', value);
  }
  return value as T;
}

/** Undefined → `fallback`, anything else through `check`. */
export function optional<T>(value: T | undefined, fallback: T, check: (value: T) => T): T {
  return value === undefined ? fallback : check(value);
}
