/**
 * Symbols and topic keys, for both sides of the wire: the symbol an event carries, the cluster
 * prefix a symbol may lack, and one canonical key per topic, so that the spellings the provider
 * mixes meet. A crypto subscription is `XT.X:BTC-USD` while its trades carry `pair: "BTC-USD"`;
 * a forex subscription is `C.C:EUR-USD` while its quotes carry `p: "EUR/USD"` and FMV carries
 * `C:EURUSD`. All of these have one key: `XT.X:BTCUSD`, `C.C:EURUSD`. The client's subscription
 * store, its event filters, the simulator's routing and the CLI all read symbols through here.
 */
import type { WireEvent } from './codec.js';
import { CLUSTERS, type Cluster, STREAMS, streamsOfCluster, symbolPrefixOf } from './streams.js';
import type { SymbolField } from './streams.js';

/**
 * ev → symbol field, derived from STREAMS' `symbolField`: `sym` on trades, quotes and aggregates,
 * `T` on LULD, NOI and index values, `pair` on crypto and forex aggregates, `p` on forex quotes
 * (where `p` is the pair; on crypto trades `p` is the price, so no fallback reads it). An ev means
 * different shapes on different clusters (`T`), so this relies on every row with the same ev
 * naming the same field; building the map throws at import if the table ever breaks that.
 */
export const SYMBOL_FIELDS: ReadonlyMap<string, SymbolField> = buildSymbolFields();

function buildSymbolFields(): Map<string, SymbolField> {
  const fields = new Map<string, SymbolField>();
  for (const s of STREAMS) {
    const seen = fields.get(s.ev);
    if (seen !== undefined && seen !== s.symbolField) {
      throw new Error(
        `stream table: ev ${s.ev} names symbol field ${seen} and ${s.symbolField}; symbolOf needs one`,
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
 * The event's topic as the event spells it, `${ev}.${symbol}` (`T.MSFT`, `XQ.BTC-USD`): a
 * routing and conflation key. Not always the subscribe topic (crypto events carry `BTC-USD` where
 * one subscribes to `XQ.X:BTC-USD`): compare with `topicKey`/`eventKey` for that. Undefined when
 * the event has no symbol (status events).
 */
export function topicOf<E extends { readonly ev: string }>(event: E): string | undefined {
  const symbol = symbolOf(event);
  return symbol === undefined ? undefined : `${event.ev}.${symbol}`;
}

/** Clusters whose symbols are currency pairs (separator-insensitive). */
const PAIR_CLUSTERS: ReadonlySet<string> = new Set(['forex', 'crypto']);

/** The wildcard topic of a stream: `T.*` for the prefix `T`, and for any topic of it (`T.AAPL`). */
export function wildcardOf(prefixOrTopic: string): string {
  const dot = prefixOrTopic.indexOf('.');
  return `${dot < 0 ? prefixOrTopic : prefixOrTopic.slice(0, dot)}.*`;
}

/** Split `T.AAPL` at its first dot; undefined when either side is empty. */
export function splitTopic(topic: string): { prefix: string; symbol: string } | undefined {
  const dot = topic.indexOf('.');
  if (dot <= 0 || dot === topic.length - 1) return undefined;
  return { prefix: topic.slice(0, dot), symbol: topic.slice(dot + 1) };
}

/**
 * A symbol with the cluster prefix it may lack (`SPY…` → `O:SPY…` on options); `*` and symbols
 * that already carry the prefix, in any case, are kept as they are.
 */
export function withClusterPrefix(cluster: string, symbol: string): string {
  const prefix = symbolPrefixOf(cluster);
  if (symbol === '*' || prefix === '' || symbol.toUpperCase().startsWith(prefix)) return symbol;
  return prefix + symbol;
}

/**
 * The matching key of a symbol: upper case, cluster prefix added, pair separators (`-`, `/`)
 * removed. `btc-usd`, `BTC-USD` and `X:BTCUSD` are all `X:BTCUSD` on crypto.
 */
export function canonicalSymbol(cluster: string, symbol: string): string {
  const full = withClusterPrefix(cluster, symbol.toUpperCase());
  if (full === '*' || !PAIR_CLUSTERS.has(cluster)) return full;
  const prefix = symbolPrefixOf(cluster);
  return prefix + full.slice(prefix.length).replace(/[-/]/g, '');
}

/** How the simulator spells a pair in its own events: `C:EUR-USD`, `X:BTC-USD`. */
export function displaySymbol(cluster: string, symbol: string): string {
  const full = withClusterPrefix(cluster, symbol);
  if (!PAIR_CLUSTERS.has(cluster)) return full;
  const prefix = symbolPrefixOf(cluster);
  let legs = full.slice(prefix.length).replace('/', '-');
  if (!legs.includes('-') && /^[A-Z]{6}$/.test(legs)) legs = `${legs.slice(0, 3)}-${legs.slice(3)}`;
  return prefix + legs;
}

/**
 * A pair as the provider's events spell it in their pair field (`p` on forex quotes, `pair` on
 * bars and crypto events): `EUR/USD` on forex, `BTC-USD` on crypto, without the cluster prefix.
 * Other clusters' symbols come back with their prefix, as `withClusterPrefix` gives them.
 */
export function eventPair(cluster: string, symbol: string): string {
  const full = displaySymbol(cluster, symbol);
  if (!PAIR_CLUSTERS.has(cluster)) return full;
  const legs = full.slice(symbolPrefixOf(cluster).length);
  return cluster === 'forex' ? legs.replace('-', '/') : legs;
}

/** The canonical key of a subscription topic on a cluster, or undefined when it is malformed. */
export function topicKey(cluster: string, topic: string): string | undefined {
  const parts = splitTopic(topic);
  if (!parts) return undefined;
  return `${parts.prefix}.${canonicalSymbol(cluster, parts.symbol)}`;
}

/** The canonical topic key of an event on a cluster (`XT.X:BTCUSD`), or undefined without a symbol. */
export function eventKey(cluster: string, event: WireEvent): string | undefined {
  const symbol = symbolOf(event);
  if (symbol === undefined || symbol === '') return undefined;
  return `${event.ev}.${canonicalSymbol(cluster, symbol)}`;
}

const CLUSTERS_BY_PREFIX = new Map<string, Cluster[]>();
for (const cluster of CLUSTERS) {
  for (const s of streamsOfCluster(cluster)) {
    const list = CLUSTERS_BY_PREFIX.get(s.prefix) ?? [];
    list.push(cluster);
    CLUSTERS_BY_PREFIX.set(s.prefix, list);
  }
}

/**
 * The cluster a recorded event belongs to: the only cluster carrying its `ev`, else the cluster
 * whose symbol prefix its symbol has (`O:`, `C:`, `X:`, `I:`), else stocks.
 */
export function clusterOfEvent(event: WireEvent): Cluster | undefined {
  const candidates = CLUSTERS_BY_PREFIX.get(event.ev);
  if (!candidates) return undefined;
  if (candidates.length === 1) return candidates[0];
  const symbol = symbolOf(event) ?? '';
  for (const c of candidates) {
    const prefix = symbolPrefixOf(c);
    if (prefix !== '' && symbol.startsWith(prefix)) return c;
  }
  return candidates.includes('stocks') ? 'stocks' : candidates[0];
}

/** Whether a set of canonical subscription keys covers an event key (exactly or by `PREFIX.*`). */
export function covers(keys: { has(key: string): boolean }, ev: string, key: string): boolean {
  return keys.has(key) || keys.has(wildcardOf(ev));
}
