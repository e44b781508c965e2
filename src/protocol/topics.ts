/**
 * The symbol rules of the Python `polygon` library's StreamClient: what a subscribe method's
 * `symbols` argument becomes on the wire. Validation of caller input lives here too, so every
 * method, the generic `subscribe(topics)` and the CLI reject the same things with the same words.
 */
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
    return topicList(symbols, where, false);
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

/** The longest symbol accepted (the longest real tickers, options, are about 22 characters). */
export const MAX_SYMBOL_LENGTH = 64;

/** What a symbol may be, for the messages that refuse one. */
const SYMBOL_RULE = `a symbol is one ticker without spaces or commas, of printable ASCII, at most ${MAX_SYMBOL_LENGTH} characters, with dots only between characters and * only alone (AAPL, BRK.A, O:SPY251219C00650000, X:BTC-USD, *)`;

/**
 * The one symbol rule, for every subscribe path, history, the CLI and the protocol server (the
 * simulator and the relay): what is wrong with the symbol of a topic, or undefined when nothing
 * is. Refused: empty; whitespace or a comma; a `.` first, last or doubled (`T..AAPL`,
 * `T.AAPL.`); `*` anywhere but as the whole symbol (`T.A*`, `T.*.*`); characters outside
 * printable ASCII; more than MAX_SYMBOL_LENGTH characters. Tolerant of every ticker form the
 * provider uses: `BRK.A`, `O:SPY251219C00650000`, `C:EUR-USD`, `EUR/USD`, `X:BTC-USD`, `I:SPX`,
 * futures `ESZ5`. Whether the ticker exists is the server's business: the provider acknowledges
 * an unknown ticker and sends nothing.
 */
export function symbolProblem(symbol: string): string | undefined {
  if (symbol === '') return 'is empty';
  if (/\s/.test(symbol)) return 'contains whitespace';
  if (symbol.includes(',')) return 'contains a comma';
  if (symbol === '*') return undefined;
  if (symbol.includes('*')) return "has a '*' that is not the whole symbol";
  if (/[^\x21-\x7e]/.test(symbol)) return 'has a character outside printable ASCII';
  if (symbol.startsWith('.') || symbol.endsWith('.')) return "starts or ends with '.'";
  if (symbol.includes('..')) return "contains '..'";
  if (symbol.length > MAX_SYMBOL_LENGTH) {
    return `is longer than ${MAX_SYMBOL_LENGTH} characters`;
  }
  return undefined;
}

/**
 * Validate topics given to the generic `subscribe(topics)` (and a subscribe method's plain-string
 * form): `PREFIX.SYMBOL` strings, as an array or one comma-separated string whose entries may be
 * padded with spaces but not empty (`'T.AAPL,,'` is refused, not read as `T.AAPL`).
 */
export function checkTopics(topics: unknown, where: string): string[] {
  return topicList(topics, where, true);
}

/**
 * `checkTopics`, with the `PREFIX.SYMBOL` form checked only when `form` (a method's plain string
 * is sent as given: only empty entries and whitespace or commas in a symbol are refused).
 */
function topicList(topics: unknown, where: string, form: boolean): string[] {
  const list = typeof topics === 'string' ? topics.split(',').map((t) => t.trim()) : topics;
  if (!Array.isArray(list) || list.length === 0) {
    throw invalid(
      `${where}: topics must be a non-empty array of 'PREFIX.SYMBOL' strings (e.g. ['T.AAPL', 'Q.*']) or a comma-separated string; got ${describe(topics)}`,
      topics,
    );
  }
  for (const topic of list as unknown[]) {
    if (typeof topic !== 'string') {
      throw invalid(`${where}: every topic must be a string; got ${describe(topic)}`, topics);
    }
    if (topic.trim() === '') {
      throw invalid(
        `${where}: ${describe(topics)} has an empty topic; give 'PREFIX.SYMBOL' topics separated by single commas (e.g. 'T.AAPL,Q.*')`,
        topics,
      );
    }
    const symbol = topic.slice(topic.indexOf('.') + 1);
    const problem = symbolProblem(symbol);
    if (problem !== undefined) {
      const advice = joined(symbol) ? ", one topic per symbol (e.g. 'T.AAPL,T.MSFT')" : '';
      throw invalid(
        `${where}: the symbol of topic ${describe(topic)} ${problem}; ${SYMBOL_RULE}${advice}`,
        topics,
      );
    }
    if (form && !/^[^.\s]+\.\S+$/.test(topic)) {
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
  const problem = symbolProblem(symbol);
  if (problem !== undefined) {
    const advice = joined(symbol) ? ': pass each symbol as its own array element' : '';
    throw invalid(
      `${where}: symbol ${describe(symbol)} ${problem}; ${SYMBOL_RULE}${advice}`,
      symbol,
    );
  }
}

/** Whether a refused symbol looks like several run together (whitespace or a comma in it). */
function joined(symbol: string): boolean {
  return /[\s,]/.test(symbol);
}

function invalid(message: string, value: unknown): PolygonStreamError {
  return new PolygonStreamError(ErrorCode.InvalidSymbols, message, { value });
}
