/**
 * Topic arithmetic shared by subscriptions, generated data, publish() and replay: which symbol an
 * event carries, which cluster it belongs to, and one canonical key per topic so that the spellings
 * the provider mixes (`C:EUR-USD` topics, `EUR/USD` quote pairs, `C:EURUSD` FMV symbols) meet.
 */
import type { WireEvent } from '../codec.js';
import { CLUSTERS, streamsOfCluster, symbolPrefixOf, type Cluster } from '../streams.js';

/** Clusters whose symbols are currency pairs (separator-insensitive). */
const PAIR_CLUSTERS: ReadonlySet<string> = new Set(['forex', 'crypto']);

/** Split `T.AAPL` at its first dot; undefined when either side is empty. */
export function splitTopic(topic: string): { prefix: string; symbol: string } | undefined {
  const dot = topic.indexOf('.');
  if (dot <= 0 || dot === topic.length - 1) return undefined;
  return { prefix: topic.slice(0, dot), symbol: topic.slice(dot + 1) };
}

/** A symbol with the cluster prefix it may lack (`SPY…` → `O:SPY…`); `*` is kept as is. */
export function withClusterPrefix(cluster: string, symbol: string): string {
  const prefix = symbolPrefixOf(cluster);
  if (symbol === '*' || prefix === '' || symbol.startsWith(prefix)) return symbol;
  return prefix + symbol;
}

/** The matching key of a symbol: cluster prefix added, pair separators (`-`, `/`) removed. */
export function canonicalSymbol(cluster: string, symbol: string): string {
  const full = withClusterPrefix(cluster, symbol);
  if (full === '*' || !PAIR_CLUSTERS.has(cluster)) return full;
  const prefix = symbolPrefixOf(cluster);
  return prefix + full.slice(prefix.length).replace(/[-/]/g, '');
}

/** How the simulator spells a symbol in its own events: `C:EUR-USD`, `X:BTC-USD`. */
export function displaySymbol(cluster: string, symbol: string): string {
  const full = withClusterPrefix(cluster, symbol);
  if (!PAIR_CLUSTERS.has(cluster)) return full;
  const prefix = symbolPrefixOf(cluster);
  let legs = full.slice(prefix.length).replace('/', '-');
  if (!legs.includes('-') && /^[A-Z]{6}$/.test(legs)) legs = `${legs.slice(0, 3)}-${legs.slice(3)}`;
  return prefix + legs;
}

/** The canonical key of a subscription topic on a cluster, or undefined when it is malformed. */
export function topicKey(cluster: string, topic: string): string | undefined {
  const parts = splitTopic(topic);
  if (!parts) return undefined;
  return `${parts.prefix}.${canonicalSymbol(cluster, parts.symbol)}`;
}

/** The symbol an event carries: `sym`, `T` (LULD, NOI, V), `pair`, or `p` when it is a string. */
export function eventSymbol(event: WireEvent): string | undefined {
  for (const field of ['sym', 'T', 'pair', 'p'] as const) {
    const value = event[field];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}

/** The canonical topic key of an event on a cluster (`T.AAPL`), or undefined without a symbol. */
export function eventKey(cluster: string, event: WireEvent): string | undefined {
  const symbol = eventSymbol(event);
  if (symbol === undefined) return undefined;
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
  const symbol = eventSymbol(event) ?? '';
  for (const c of candidates) {
    const prefix = symbolPrefixOf(c);
    if (prefix !== '' && symbol.startsWith(prefix)) return c;
  }
  return candidates.includes('stocks') ? 'stocks' : candidates[0];
}

/** Whether a set of canonical subscription keys covers an event key (exactly or by `PREFIX.*`). */
export function covers(keys: ReadonlySet<string>, ev: string, key: string): boolean {
  return keys.has(key) || keys.has(`${ev}.*`);
}
