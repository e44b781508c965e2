/**
 * The one way to get an event's symbol, whatever its shape: `sym` on trades, quotes and
 * aggregates, `T` on LULD, NOI and index values, `pair` on crypto and forex aggregates, and `p` on
 * forex quotes (where `p` is the pair; on crypto trades `p` is the price, so no fallback reads it).
 */
import { STREAMS, type SymbolField } from './streams.js';

/**
 * ev → symbol field, derived from STREAMS' `symbolField`. An ev means different shapes on
 * different clusters (`T`), so this relies on every row with the same ev naming the same field;
 * building the map throws at import if the table ever breaks that (test/events.test.ts checks it).
 */
export const SYMBOL_FIELDS: ReadonlyMap<string, SymbolField> = buildSymbolFields();

function buildSymbolFields(): Map<string, SymbolField> {
  const fields = new Map<string, SymbolField>();
  for (const s of STREAMS) {
    const seen = fields.get(s.ev);
    if (seen !== undefined && seen !== s.symbolField) {
      throw new Error(
        `streams.ts: ev ${s.ev} names symbol field ${seen} and ${s.symbolField}; symbolOf needs one`,
      );
    }
    fields.set(s.ev, s.symbolField);
  }
  return fields;
}

/**
 * The symbol of any event (`MSFT`, `O:SPY241220P00720000`, `BTC-USD`, `I:SPX`), or undefined when
 * it carries none (status events). Known evs read their field from `SYMBOL_FIELDS` (one Map
 * lookup); unknown evs, or a known ev missing its field, fall back to the first string among
 * `sym`, `T`, `pair`.
 */
export function symbolOf<E extends { readonly ev: string }>(event: E): string | undefined {
  const e = event as unknown as Readonly<Record<string, unknown>>;
  const field = SYMBOL_FIELDS.get(event.ev);
  if (field !== undefined) {
    const v = e[field];
    if (typeof v === 'string') return v;
  }
  const sym = e['sym'];
  if (typeof sym === 'string') return sym;
  const t = e['T'];
  if (typeof t === 'string') return t;
  const pair = e['pair'];
  return typeof pair === 'string' ? pair : undefined;
}

/**
 * The event's topic, `${ev}.${symbol}` (`T.MSFT`, `XQ.BTC-USD`): a routing, conflation and replay
 * key. It spells the symbol as the event does, which is not always the subscribe topic: crypto
 * events carry `BTC-USD` where one subscribes to `XQ.X:BTC-USD`, forex quotes `USD/CNH`.
 * Undefined when the event has no symbol (status events).
 */
export function topicOf<E extends { readonly ev: string }>(event: E): string | undefined {
  const symbol = symbolOf(event);
  return symbol === undefined ? undefined : `${event.ev}.${symbol}`;
}
