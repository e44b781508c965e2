/**
 * Generated data for one connection: which (stream, symbol) pairs its subscriptions cover, and the
 * events of one tick drawn among them at the configured rate (quotes and trades weigh more).
 */
import type { WireEvent } from '../protocol/codec.js';
import { streamsOfCluster, type Cluster } from '../protocol/streams.js';
import { generatorFor, weightOf, type Generator } from './generators.js';
import { displaySymbol, splitTopic } from '../protocol/symbols.js';
import type { SymbolState, Universe } from './universe.js';

interface Pair {
  gen: Generator;
  state: SymbolState;
}

/** Bound on one frame, whatever the rate. */
const MAX_EVENTS_PER_TICK = 50_000;

export class DataFeed {
  private budget = 0;
  private pairs: Pair[] | undefined;
  private cumulative: number[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly universe: Universe,
  ) {}

  /** The subscriptions changed: recompute the pairs on the next tick. */
  invalidate(): void {
    this.pairs = undefined;
  }

  /** Nothing was due (paused, unsubscribed): do not carry a fractional event over. */
  reset(): void {
    this.budget = 0;
  }

  /** The events of one tick of `tickMs` at `eventsPerSecond`, over the given topics. */
  tick(topics: Iterable<string>, eventsPerSecond: number, tickMs: number): WireEvent[] {
    this.budget += (eventsPerSecond * tickMs) / 1000;
    const whole = Math.floor(this.budget);
    this.budget -= whole;
    const n = Math.min(whole, MAX_EVENTS_PER_TICK);
    if (n <= 0) return [];
    const pairs = this.activePairs(topics);
    if (pairs.length === 0) return [];
    const u = this.universe;
    const total = this.cumulative[this.cumulative.length - 1] ?? 0;
    const now = Date.now();
    const events = new Array<WireEvent>(n);
    for (let i = 0; i < n; i++) {
      const pair = pairs[pickIndex(this.cumulative, u.prng.next() * total)] as Pair;
      events[i] = pair.gen({ u, s: pair.state, now });
    }
    return events;
  }

  /** (generator, symbol) pairs the topics cover, each once, with cumulative weights. */
  private activePairs(topics: Iterable<string>): Pair[] {
    if (this.pairs) return this.pairs;
    const streams = new Map(streamsOfCluster(this.cluster).map((s) => [s.prefix, s]));
    const seen = new Set<string>();
    const pairs: Pair[] = [];
    const cumulative: number[] = [];
    let total = 0;
    for (const topic of topics) {
      const parts = splitTopic(topic);
      const stream = parts && streams.get(parts.prefix);
      if (!parts || !stream) continue;
      const states =
        parts.symbol === '*'
          ? this.universe.symbols(this.cluster)
          : [this.universe.resolve(this.cluster, displaySymbol(this.cluster, parts.symbol))];
      for (const state of states) {
        const id = `${parts.prefix}\u0000${state.symbol}`;
        if (seen.has(id)) continue;
        seen.add(id);
        pairs.push({ gen: generatorFor(stream), state });
        total += weightOf(parts.prefix);
        cumulative.push(total);
      }
    }
    this.pairs = pairs;
    this.cumulative = cumulative;
    return pairs;
  }
}

/** Index of the first cumulative weight above `x`. */
function pickIndex(cumulative: readonly number[], x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cumulative[mid] as number) > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
