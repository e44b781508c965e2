/**
 * Output formats, as pure functions of one decoded event:
 * - `ndjson`: the event exactly as received, one JSON object per line (the recording format);
 * - `json`: the same, pretty-printed;
 * - `pretty`: one aligned line for people — time, ev, symbol and the fields that matter for the
 *   event type, coloured with `node:util` styleText when asked. The time column is when the event
 *   arrived, for every event type: bars are stamped with their window's start, trades and quotes
 *   with the exchange's clock, so their own stamps would print out of order between live lines.
 */
import { styleText } from 'node:util';
import { clusterOfEvent, symbolOf } from '../../protocol/symbols.js';
import { STOCK_EXCHANGES, STOCK_TRADE_CONDITIONS } from './reference-data.js';
import { textOf } from '../../validate.js';

export const FORMATS = ['pretty', 'json', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

/** The fields of a decoded event, read loosely (the server decides what is there). */
export type AnyEvent = { readonly ev: string } & Readonly<Record<string, unknown>>;

interface PrettyOptions {
  /** ANSI colours (decided by the caller: TTY, NO_COLOR, --no-color). */
  color: boolean;
  /** Width the symbol column is padded to (default 10). */
  symbolWidth?: number;
  /** When the event arrived, ms: the time column (default Date.now()). */
  now?: number;
  /** A word put after the line in brackets, `[snapshot]` (an event from REST, not live). */
  marker?: string | undefined;
}

export function formatNdjson(event: object): string {
  return JSON.stringify(event);
}

export function formatJson(event: object): string {
  return JSON.stringify(event, null, 2);
}

type Style = Parameters<typeof styleText>[0];

/** styleText that always styles (colour is decided by the caller, not by styleText's TTY check). */
function paint(color: boolean, style: Style, text: string): string {
  if (!color) return text;
  return (styleText as (f: Style, t: string, o: { validateStream: boolean }) => string)(
    style,
    text,
    { validateStream: false },
  );
}

const EV_STYLE: Record<string, Style> = {
  T: 'cyan',
  XT: 'cyan',
  Q: 'magenta',
  XQ: 'magenta',
  C: 'magenta',
  XL2: 'yellow',
  LULD: 'red',
  NOI: 'yellow',
  FMV: 'green',
  V: 'green',
  LV: 'green',
  status: 'gray',
};

/** HH:MM:SS.mmm in local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A price: at least two decimals (40 → 40.00), more only as sent; '-' when not a number. */
export function num(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '-';
  const cents = value * 100;
  return Math.abs(cents - Math.round(cents)) < 1e-6 ? value.toFixed(2) : String(value);
}

/** An id (exchange, condition) as sent. */
export function id(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : '-';
}

const EXCHANGE_NAMES = new Map(STOCK_EXCHANGES.map((row) => [row.id, row.short]));
const CONDITION_CODES = new Map(
  STOCK_TRADE_CONDITIONS.filter((row) => row.code !== '').map((row) => [row.id, row.code]),
);
/** The exchange column's width: the longest short name. */
const VENUE_WIDTH = Math.max(...STOCK_EXCHANGES.map((row) => row.short.length));

/** A stock trade or quote (the reference table's ids): not an option's, crypto's or forex's. */
function isStock(event: AnyEvent): boolean {
  return (event.ev === 'T' || event.ev === 'Q') && clusterOfEvent(event) === 'stocks';
}

/**
 * A stock exchange as its short name (`NYSE`, `Cboe EDGX`); any other id as `ex 65`. Padded to
 * `width` visible columns.
 */
export function venue(event: AnyEvent, value: unknown, color: boolean, width = 0): string {
  const name = isStock(event) && typeof value === 'number' ? EXCHANGE_NAMES.get(value) : undefined;
  if (name !== undefined) return name.padEnd(width);
  const n = id(value);
  return `${paint(color, 'dim', 'ex')} ${n}${' '.repeat(Math.max(0, width - 3 - n.length))}`;
}

/**
 * Trade conditions: a stock trade's as the tape prints them (`@ F I`), any id without a code as
 * its number; other clusters' ids as numbers after `c`. Empty when there are none.
 */
export function conditions(event: AnyEvent, value: unknown, color: boolean): string {
  if (!Array.isArray(value) || value.length === 0) return '';
  const stock = isStock(event);
  const codes = value.map((c: unknown) =>
    stock && typeof c === 'number' ? (CONDITION_CODES.get(c) ?? String(c)) : id(c),
  );
  return stock ? codes.join(' ') : `${paint(color, 'dim', 'c')} ${codes.join(' ')}`;
}

/** A size or volume: integers grouped (12,345), fractions as sent. */
function qty(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '-';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
}

/** The first `[price, size]` level of a book side. */
function topLevel(side: unknown): [unknown, unknown] | undefined {
  if (!Array.isArray(side) || side.length === 0) return undefined;
  const level: unknown = side[0];
  return Array.isArray(level) ? [level[0], level[1]] : undefined;
}

const AGGREGATE_EVS = new Set(['A', 'AM', 'CA', 'CAS', 'XA', 'XAS']);
const TRADE_EVS = new Set(['T', 'XT']);
const QUOTE_EVS = new Set(['Q', 'XQ']);

/** The fields that matter for the event type, without time/ev/symbol. */
export function details(event: AnyEvent, color: boolean): string {
  const e = event;
  const bid = (text: string): string => paint(color, 'green', text);
  const ask = (text: string): string => paint(color, 'red', text);
  const label = (text: string): string => paint(color, 'dim', text);
  const ev = e.ev;
  if (ev === 'status') {
    const status = textOf(e['status']);
    const bad = /fail|error|timeout|max_conn|disconnect|slow|required/.test(status);
    return `${paint(color, bad ? 'red' : 'yellow', status)}  ${textOf(e['message'])}`;
  }
  if (TRADE_EVS.has(ev) && typeof e['p'] === 'number') {
    const trade = `${num(e['p']).padStart(10)} × ${qty(e['s']).padEnd(8)}`;
    if (ev === 'XT') {
      // Crypto trade conditions are the taker's side: 1 sell, 2 buy.
      const c = Array.isArray(e['c']) ? (e['c'] as unknown[]) : [];
      const side = c.includes(1) ? ' sell' : c.includes(2) ? ' buy' : '';
      return `${trade} ${label('ex')} ${id(e['x'])}${side}`;
    }
    // Futures trades name no exchange and no conditions: the price and size are the trade.
    if (e['x'] === undefined && e['c'] === undefined) return trade.trimEnd();
    const cond = conditions(e, e['c'], color);
    if (cond === '') return `${trade} ${venue(e, e['x'], color)}`;
    return `${trade} ${venue(e, e['x'], color, VENUE_WIDTH)}  ${cond}`;
  }
  if (QUOTE_EVS.has(ev) || ('bp' in e && 'ap' in e)) {
    return `${bid(`${num(e['bp']).padStart(10)} × ${qty(e['bs']).padEnd(6)}`)} / ${ask(`${num(e['ap'])} × ${qty(e['as'])}`)}`;
  }
  if (ev === 'C') {
    return `${bid(num(e['b']).padStart(10))} / ${ask(num(e['a']))}  ${label('ex')} ${id(e['x'])}`;
  }
  if (ev === 'XL2') {
    const b = topLevel(e['b']);
    const a = topLevel(e['a']);
    const levels = `${Array.isArray(e['b']) ? e['b'].length : 0}×${Array.isArray(e['a']) ? e['a'].length : 0} levels`;
    const side = (l: [unknown, unknown] | undefined): string =>
      l ? `${num(l[0])} × ${qty(l[1])}` : '-';
    return `${label('bid')} ${bid(side(b))} / ${label('ask')} ${ask(side(a))}  ${label(levels)}`;
  }
  if (ev === 'FMV' || 'fmv' in e) return `${label('fmv')} ${num(e['fmv'])}`;
  if (ev === 'V' || ev === 'LV' || 'val' in e) return `${label('val')} ${num(e['val'])}`;
  if (ev === 'LULD') return `${label('limit up')} ${num(e['h'])} / ${label('down')} ${num(e['l'])}`;
  if (ev === 'NOI') {
    const at = typeof e['at'] === 'number' ? String(e['at']).padStart(4, '0') : '';
    const auction = `${textOf(e['a'])} ${at.slice(0, 2)}:${at.slice(2)}`;
    return `${label('imbalance')} ${qty(e['o'])}  ${label('paired')} ${qty(e['p'])}  ${label('@')} ${num(e['b'])}  ${label('auction')} ${auction}`;
  }
  if (AGGREGATE_EVS.has(ev) || ('o' in e && 'h' in e && 'l' in e && 'c' in e)) {
    const parts = ['o', 'h', 'l', 'c'].map((k) => `${label(k)} ${num(e[k])}`);
    if (e['v'] !== undefined) parts.push(`${label('v')} ${qty(e['v'])}`);
    return parts.join('  ');
  }
  const symbol = symbolOf(e);
  const rest = Object.fromEntries(Object.entries(e).filter(([k, v]) => k !== 'ev' && v !== symbol));
  const text = JSON.stringify(rest);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** One aligned line: `HH:MM:SS.mmm  EV    SYMBOL      fields…`. */
export function formatPretty(event: AnyEvent, options: PrettyOptions): string {
  const { color } = options;
  const time = clockTime(options.now ?? Date.now());
  const ev = paint(
    color,
    (Object.hasOwn(EV_STYLE, event.ev) && EV_STYLE[event.ev]) || 'blue',
    event.ev.padEnd(4),
  );
  if (event.ev === 'status') {
    return `${paint(color, 'dim', time)}  ${ev}  ${details(event, color)}`;
  }
  const symbol = paint(color, 'bold', (symbolOf(event) ?? '-').padEnd(options.symbolWidth ?? 10));
  const marker =
    options.marker === undefined ? '' : paint(color, 'yellow', `  [${options.marker}]`);
  return `${paint(color, 'dim', time)}  ${ev}  ${symbol}  ${details(event, color)}${marker}`;
}

/** Whether to colour stdout: a TTY, NO_COLOR unset, not disabled by --no-color. FORCE_COLOR wins. */
export function wantColor(
  isTTY: boolean | undefined,
  env: NodeJS.ProcessEnv,
  flag = true,
): boolean {
  if (!flag) return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return isTTY === true;
}
