/**
 * `simulate --rest-fault <spec>`: one REST fault of the simulator (RestFault) as comma-separated
 * parts, `key=value` or a bare word: `status=429,retry-after=2,endpoint=trades,ticker=AAPL,times=3`,
 * `slow=2000`, `reset`, `empty-pages`, `corrupt=order`. Pure: parsing (a mistake throws commander's
 * InvalidArgumentError, which exits 2 naming the flag) and the spec back as text for the banner.
 */
import { InvalidArgumentError } from 'commander';
import type { RestFault } from '../../simulator/index.js';
import { MAX_TIMER_MS } from '../../validate.js';
import { parseDuration } from '../args.js';

const ENDPOINTS = ['trades', 'quotes', 'aggs'] as const;
const KEYS = [
  'status',
  'retry-after',
  'slow',
  'reset',
  'empty-pages',
  'corrupt',
  'endpoint',
  'ticker',
  'times',
];
const CORRUPTIONS = ['order', 'ticker', 'types'] as const;

/** What a spec may hold, for every message. */
export const REST_FAULT_FORMS =
  'exactly one of status=N (400-599, optionally with retry-after=SECONDS), slow=MS, reset, ' +
  'empty-pages or corrupt=order|ticker|types; optionally endpoint=trades|quotes|aggs, ' +
  'ticker=TICKER, times=N';

function fail(what: string): never {
  throw new InvalidArgumentError(`${what}. Expected comma-separated parts: ${REST_FAULT_FORMS}.`);
}

function wholeNumber(key: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    fail(`${key} must be a whole number ${range}, not '${text}'`);
  }
  return n;
}

function among<T extends string>(key: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    fail(`${key} must be one of ${allowed.join(', ')}, not '${text}'`);
  }
  return text as T;
}

/** `slow=2000` is ms; a duration with its unit (`2s`, `500ms`) works too. */
function slowMs(text: string): number {
  if (/^\d+$/.test(text)) return wholeNumber('slow', text, 1, MAX_TIMER_MS);
  try {
    if (/[a-z]$/i.test(text)) return parseDuration(text);
  } catch {
    // Worded below.
  }
  return fail(`slow must be milliseconds (2000) or a duration (2s), not '${text}'`);
}

/** One `--rest-fault` spec as a RestFault. */
export function parseRestFault(spec: string): RestFault {
  const fault: RestFault = {};
  const seen = new Set<string>();
  const parts = spec.split(',').map((p) => p.trim());
  if (parts.every((p) => p === '')) fail('Empty fault');
  for (const part of parts) {
    if (part === '') fail(`An empty part in '${spec}'`);
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq).trim();
    const value = eq < 0 ? undefined : part.slice(eq + 1).trim();
    if (!KEYS.includes(key)) fail(`Unknown part '${part}'`);
    if (seen.has(key)) fail(`${key} given twice`);
    seen.add(key);
    const bare = key === 'reset' || key === 'empty-pages';
    if (bare !== (value === undefined)) {
      fail(bare ? `${key} takes no value` : `${key} needs a value (${key}=…)`);
    }
    const v = value ?? '';
    if (key === 'status') fault.status = wholeNumber(key, v, 400, 599);
    else if (key === 'retry-after') fault.retryAfter = wholeNumber(key, v, 0, 86_400);
    else if (key === 'slow') fault.slowBodyMs = slowMs(v);
    else if (key === 'reset') fault.reset = true;
    else if (key === 'empty-pages') fault.emptyPages = true;
    else if (key === 'corrupt') fault.corrupt = among(key, v, CORRUPTIONS);
    else if (key === 'endpoint') fault.endpoint = among(key, v, ENDPOINTS);
    else if (key === 'ticker') fault.ticker = v === '' ? fail('ticker needs a value') : v;
    else fault.times = wholeNumber(key, v, 1, Number.MAX_SAFE_INTEGER);
  }
  const kinds = ['status', 'slow', 'reset', 'empty-pages', 'corrupt'].filter((k) => seen.has(k));
  if (kinds.length !== 1) {
    fail(kinds.length === 0 ? 'No fault given' : `${kinds.join(', ')} given together, not one`);
  }
  if (seen.has('retry-after') && !seen.has('status')) fail('retry-after goes with status=N');
  return fault;
}

/** Commander's collector for the repeatable flag: every spec given so far, parsed. */
export function collectRestFaults(spec: string, previous: RestFault[] | undefined): RestFault[] {
  return [...(previous ?? []), parseRestFault(spec)];
}

/** A fault in the flag's words (`status=429,retry-after=2,times=3`), the inverse of the parser. */
export function restFaultText(f: RestFault): string {
  const parts: string[] = [];
  if (f.status !== undefined) parts.push(`status=${f.status}`);
  if (f.retryAfter !== undefined) parts.push(`retry-after=${f.retryAfter}`);
  if (f.slowBodyMs !== undefined) parts.push(`slow=${f.slowBodyMs}`);
  if (f.reset) parts.push('reset');
  if (f.emptyPages) parts.push('empty-pages');
  if (f.corrupt !== undefined) parts.push(`corrupt=${f.corrupt}`);
  if (f.endpoint !== undefined) parts.push(`endpoint=${f.endpoint}`);
  if (f.ticker !== undefined) parts.push(`ticker=${f.ticker}`);
  if (f.times !== undefined) parts.push(`times=${f.times}`);
  return parts.join(',');
}
