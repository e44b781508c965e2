/**
 * The symbol rules of the Python `polygon` library's StreamClient: what a subscribe method's
 * `symbols` argument becomes on the wire. Validation of caller input lives here too, so every
 * method, the generic `subscribe(topics)` and the CLI reject the same things with the same words.
 */
import { decodeTopics } from './codec.js';
import { ErrorCode, PolygonStreamError } from '../errors.js';
import { describe } from '../validate.js';
import type { StreamSpec } from './streams.js';
import { wildcardOf, withClusterPrefix } from './symbols.js';

/** `undefined`/`null`/`[]`/`['*']`/`'all'` mean every symbol; any other string is sent as given. */
export type Symbols = string | readonly string[] | null | undefined;

export interface SymbolOptions {
  /** Uppercase every symbol of a list (default true). A plain string is always sent as given. */
  forceUppercaseSymbols?: boolean;
}

/** The topics a subscribe method sends for `symbols` on `spec`'s stream. */
export function topicsFor(
  spec: StreamSpec,
  symbols: Symbols,
  options: SymbolOptions = {},
): string[] {
  const where = `${spec.method} (${spec.cluster})`;
  if (symbols === undefined || symbols === null || symbols === 'all')
    return [wildcardOf(spec.prefix)];
  if (typeof symbols === 'string') {
    if (symbols.trim() === '') {
      throw invalid(`${where}: symbols is an empty string`, symbols);
    }
    return decodeTopics(symbols);
  }
  if (!Array.isArray(symbols)) {
    throw invalid(
      `${where}: symbols must be an array of strings, a string, 'all', null or undefined; got ${describe(symbols)}`,
      symbols,
    );
  }
  if (symbols.length === 0) return [wildcardOf(spec.prefix)];
  const upper = options?.forceUppercaseSymbols ?? true;
  const topics: string[] = [];
  for (const symbol of symbols as readonly unknown[]) {
    checkSymbol(symbol, where);
    topics.push(
      `${spec.prefix}.${withClusterPrefix(spec.cluster, upper ? symbol.toUpperCase() : symbol)}`,
    );
  }
  return [...new Set(topics)];
}

/** Validate topics given to the generic `subscribe(topics)`: `PREFIX.SYMBOL` strings. */
export function checkTopics(topics: unknown, where: string): string[] {
  const list = typeof topics === 'string' ? decodeTopics(topics) : topics;
  if (!Array.isArray(list) || list.length === 0) {
    throw invalid(
      `${where}: topics must be a non-empty array of 'PREFIX.SYMBOL' strings (e.g. ['T.AAPL', 'Q.*']) or a comma-separated string; got ${describe(topics)}`,
      topics,
    );
  }
  for (const topic of list as unknown[]) {
    checkSymbol(topic, where);
    if (!/^[^.\s]+\.\S+$/.test(topic)) {
      throw invalid(
        `${where}: topic ${describe(topic)} is not of the form 'PREFIX.SYMBOL' (e.g. 'T.AAPL', 'Q.*')`,
        topics,
      );
    }
  }
  return [...new Set(list as string[])];
}

function checkSymbol(symbol: unknown, where: string): asserts symbol is string {
  if (typeof symbol !== 'string') {
    throw invalid(`${where}: every symbol must be a string; got ${describe(symbol)}`, symbol);
  }
  if (symbol.trim() === '') throw invalid(`${where}: symbols must not be empty strings`, symbol);
  if (symbol.includes(',')) {
    throw invalid(
      `${where}: symbol ${describe(symbol)} contains a comma; pass each symbol as its own array element`,
      symbol,
    );
  }
}

function invalid(message: string, value: unknown): PolygonStreamError {
  return new PolygonStreamError(ErrorCode.InvalidSymbols, message, { value });
}
