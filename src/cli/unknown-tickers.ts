/**
 * Warnings for tickers the embedded simulator does not list: the provider acknowledges a
 * subscription to an unknown ticker and then sends nothing, so a typo looks like a quiet market.
 * One line per unknown ticker, with the closest listed ticker when one is close:
 * `AAPLL: not a known ticker; did you mean AAPL?`.
 */
import { canonicalSymbol, splitTopic } from '../protocol/symbols.js';

/** What the notes need from the simulator. */
export interface TickerSource {
  isKnownTicker(cluster: string, symbol: string): boolean;
  tickers(cluster: string): string[];
}

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + cost));
    }
    row = next;
  }
  return row[b.length]!;
}

/**
 * The closest of `known` to `symbol` (compared as canonical keys on the cluster), when it is within
 * 2 edits and fewer edits than half the symbol's length; undefined when nothing is that close.
 */
export function closestTicker(
  cluster: string,
  symbol: string,
  known: readonly string[],
): string | undefined {
  const key = canonicalSymbol(cluster, symbol);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(key, canonicalSymbol(cluster, candidate));
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= 2 && bestDistance * 2 < key.length ? best : undefined;
}

/** One warning per unknown ticker among `topics` (wildcards and repeats skipped), in order. */
export function unknownTickerNotes(
  source: TickerSource,
  cluster: string,
  topics: Iterable<string>,
): string[] {
  const seen = new Set<string>();
  const notes: string[] = [];
  for (const topic of topics) {
    const symbol = splitTopic(topic)?.symbol;
    if (symbol === undefined || symbol === '*' || source.isKnownTicker(cluster, symbol)) continue;
    const key = canonicalSymbol(cluster, symbol);
    if (seen.has(key)) continue;
    seen.add(key);
    const close = closestTicker(cluster, symbol, source.tickers(cluster));
    notes.push(
      `${symbol}: not a known ticker; ${close ? `did you mean ${close}?` : 'nothing will arrive for it'}`,
    );
  }
  return notes;
}
