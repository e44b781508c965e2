/**
 * REST history rows ↔ stream events, field by field, both ways: the client converts the rows it
 * fetches into the events the stream would have delivered, and a history server (the simulator)
 * turns the events it keeps into rows. One table per trade and quote stream; bars map `o h l c v
 * vw` as they are and the window start `t` ↔ `s`. Pure: no I/O.
 */
import type { WireEvent } from '../codec.js';
import type { Cluster } from '../streams.js';
import { eventPair } from '../symbols.js';

/** One row of a REST `results` array, as parsed (ns timestamps may be digit strings). */
export type RestRow = Readonly<Record<string, unknown>>;

/** A row as the event the stream delivers, or undefined when the row has no time. */
export type Convert = (row: RestRow, ticker: string) => WireEvent | undefined;
/** An event as the REST fields it maps to (ns times as exact digit strings). */
export type ToRow = (event: WireEvent) => Mutable;

// ── Helpers ────────────────────────────────────────────────────────────────────────────────

export type Mutable = Record<string, unknown>;

function copy(out: Mutable, field: string, value: unknown): void {
  if (value !== undefined && value !== null) out[field] = value;
}

/** Nanoseconds (a number, or the exact digits as a string) → Unix ms, rounded down. */
export function nsToMs(ns: unknown): number | undefined {
  if (typeof ns === 'string' && /^\d+$/.test(ns)) {
    return ns.length > 6 ? Number(ns.slice(0, -6)) : 0;
  }
  if (typeof ns === 'number' && Number.isFinite(ns) && ns >= 0) {
    return Number(BigInt(Math.trunc(ns)) / 1_000_000n);
  }
  return undefined;
}

/** Unix ms → the exact nanosecond digits (ms must be a non-negative integer). */
export function msToNs(ms: number): string {
  return ms === 0 ? '0' : `${ms}000000`;
}

// ── Row converters, field by field, both ways ───────────────────────────────────────────────────

/**
 * One field of a REST row and its event field: `ns` nanoseconds ↔ ms; `one` a list of exactly one
 * ↔ that value (the stream's single quote condition); `digits` a digit string ↔ an integer (crypto
 * trade ids); `same` the row's bid and ask exchange ↔ one exchange when they agree (forex).
 */
type FieldKind = 'plain' | 'ns' | 'one' | 'digits' | 'same';
type Field = readonly [rest: string, event: string, kind?: FieldKind];

export interface TickMap {
  readonly ev: string;
  /** The row field giving the event time `t`: a row without it converts to nothing. */
  readonly time: string;
  /** `sym` with the ticker as given, or `pair` as the stream spells it on this cluster. */
  readonly symbol: 'sym' | { readonly field: 'p' | 'pair'; readonly cluster: Cluster };
  readonly fields: readonly Field[];
}

function fromField(row: RestRow, [rest, , kind = 'plain']: Field): unknown {
  const value = row[rest];
  switch (kind) {
    case 'ns':
      return nsToMs(value);
    case 'one':
      return Array.isArray(value) && value.length === 1 ? value[0] : undefined;
    case 'digits': {
      const i = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
      return typeof i === 'number' && Number.isSafeInteger(i) ? i : undefined;
    }
    case 'same':
      return row['bid_exchange'] === row['ask_exchange'] ? row['bid_exchange'] : undefined;
    default:
      return value;
  }
}

function toField(out: Mutable, event: WireEvent, [rest, name, kind = 'plain']: Field): void {
  const value = event[name];
  if (value === undefined || value === null) return;
  if (kind === 'ns') out[rest] = typeof value === 'number' ? msToNs(value) : value;
  else if (kind === 'one') out[rest] = [value];
  else if (kind === 'digits') out[rest] = String(value);
  else if (kind === 'same') out['bid_exchange'] = out['ask_exchange'] = value;
  else out[rest] = value;
}

export function tickConverter(m: TickMap): Convert {
  return (row, ticker) => {
    if (nsToMs(row[m.time]) === undefined) return undefined;
    const e: Mutable =
      m.symbol === 'sym'
        ? { ev: m.ev, sym: ticker }
        : { ev: m.ev, [m.symbol.field]: eventPair(m.symbol.cluster, ticker) };
    for (const f of m.fields) copy(e, f[1], fromField(row, f));
    return e as WireEvent;
  };
}

export function tickRow(m: TickMap): ToRow {
  return (event) => {
    const out: Mutable = {};
    for (const f of m.fields) toField(out, event, f);
    return out;
  };
}

export const STOCK_TRADE: TickMap = {
  ev: 'T',
  time: 'sip_timestamp',
  symbol: 'sym',
  fields: [
    ['exchange', 'x'],
    ['id', 'i'],
    ['tape', 'z'],
    ['price', 'p'],
    ['size', 's'],
    ['conditions', 'c'],
    ['sip_timestamp', 't', 'ns'],
    ['sequence_number', 'q'],
    ['trf_id', 'trfi'],
    ['trf_timestamp', 'trft', 'ns'],
  ],
};

export const OPTION_TRADE: TickMap = {
  ev: 'T',
  time: 'sip_timestamp',
  symbol: 'sym',
  fields: [
    ['exchange', 'x'],
    ['price', 'p'],
    ['size', 's'],
    ['conditions', 'c'],
    ['sip_timestamp', 't', 'ns'],
  ],
};

const QUOTE_SIDES: readonly Field[] = [
  ['bid_exchange', 'bx'],
  ['bid_price', 'bp'],
  ['bid_size', 'bs'],
  ['ask_exchange', 'ax'],
  ['ask_price', 'ap'],
  ['ask_size', 'as'],
];

/** Stock quotes add the tape, one condition (the stream's `c` is one) and the indicators. */
export const STOCK_QUOTE: TickMap = {
  ev: 'Q',
  time: 'sip_timestamp',
  symbol: 'sym',
  fields: [
    ...QUOTE_SIDES,
    ['conditions', 'c', 'one'],
    ['indicators', 'i'],
    ['sip_timestamp', 't', 'ns'],
    ['sequence_number', 'q'],
    ['tape', 'z'],
  ],
};

export const OPTION_QUOTE: TickMap = {
  ev: 'Q',
  time: 'sip_timestamp',
  symbol: 'sym',
  fields: [...QUOTE_SIDES, ['sip_timestamp', 't', 'ns'], ['sequence_number', 'q']],
};

/** The stream names one exchange; REST names the bid's and the ask's. */
export const FOREX_QUOTE: TickMap = {
  ev: 'C',
  time: 'participant_timestamp',
  symbol: { field: 'p', cluster: 'forex' },
  fields: [
    ['bid_exchange', 'x', 'same'],
    ['ask_price', 'a'],
    ['bid_price', 'b'],
    ['participant_timestamp', 't', 'ns'],
  ],
};

/** REST spells the trade id as a string of digits; the stream as an integer. */
export const CRYPTO_TRADE: TickMap = {
  ev: 'XT',
  time: 'participant_timestamp',
  symbol: { field: 'pair', cluster: 'crypto' },
  fields: [
    ['price', 'p'],
    ['participant_timestamp', 't', 'ns'],
    ['size', 's'],
    ['conditions', 'c'],
    ['id', 'i', 'digits'],
    ['exchange', 'x'],
  ],
};

/** A bar: REST `o h l c v vw t` → `o h l c v vw s`, `e = s + window`; the symbol per stream. */
export function aggregate(
  ev: string,
  cluster: Cluster,
  windowMs: number,
  fields: readonly string[],
): Convert {
  const pairs = cluster === 'forex' || cluster === 'crypto';
  return (row, ticker) => {
    const s = row['t'];
    if (typeof s !== 'number') return undefined;
    const e: Mutable = pairs ? { ev, pair: eventPair(cluster, ticker) } : { ev, sym: ticker };
    for (const f of fields) copy(e, f, row[f]);
    e['s'] = s;
    e['e'] = s + windowMs;
    return e as WireEvent;
  };
}

export function aggregateRow(fields: readonly string[]): ToRow {
  return (event) => {
    const out: Mutable = {};
    for (const f of fields) copy(out, f, event[f]);
    copy(out, 't', event['s']);
    return out;
  };
}

// ── Futures (/futures/v1: every time in ns, the ticker as the stream spells it) ────────────────

/**
 * A futures trade. `sequence_number` ↔ `q` is the likely reading (the provider does not state
 * it), so backfill identifies trades by their content, not by `q`.
 */
export const FUTURES_TRADE: TickMap = {
  ev: 'T',
  time: 'timestamp',
  symbol: 'sym',
  fields: [
    ['price', 'p'],
    ['size', 's'],
    ['timestamp', 't', 'ns'],
    ['sequence_number', 'q'],
  ],
};

/** A futures quote: either side may be absent, on REST as on the stream. */
export const FUTURES_QUOTE: TickMap = {
  ev: 'Q',
  time: 'timestamp',
  symbol: 'sym',
  fields: [
    ['bid_price', 'bp'],
    ['bid_size', 'bs'],
    ['bid_timestamp', 'bt', 'ns'],
    ['ask_price', 'ap'],
    ['ask_size', 'as'],
    ['ask_timestamp', 'at', 'ns'],
    ['timestamp', 't', 'ns'],
  ],
};

/** A futures bar's fields; the window end `e` is the start plus the bar's length. */
const futuresBarMap = (ev: string): TickMap => ({
  ev,
  time: 'window_start',
  symbol: 'sym',
  fields: [
    ['window_start', 's', 'ns'],
    ['open', 'o'],
    ['high', 'h'],
    ['low', 'l'],
    ['close', 'c'],
    ['volume', 'v'],
    ['dollar_volume', 'dv'],
    ['transactions', 'n'],
  ],
});

/** A futures bar from a `/futures/v1/aggs` row, and back. */
export function futuresBar(ev: string, windowMs: number): { convert: Convert; toRow: ToRow } {
  const map = futuresBarMap(ev);
  const convert = tickConverter(map);
  return {
    convert: (row, ticker) => {
      const e = convert(row, ticker) as Mutable | undefined;
      if (e === undefined || typeof e['s'] !== 'number') return undefined;
      e['e'] = e['s'] + windowMs;
      return e as WireEvent;
    },
    toRow: tickRow(map),
  };
}
