/**
 * Generated data for one connection: which (stream, symbol) pairs its subscriptions cover, and the
 * events of one tick drawn among them at the configured rate (quotes and trades weigh more).
 *
 * Aggregate streams send one bar per symbol per window, when the window closes, as the provider
 * does: a draw of an aggregate pair advances its open window instead of sending anything, and the
 * first tick after the window's end sends its bar.
 */
import type { WireEvent } from '../protocol/codec.js';
import { streamsOfCluster, type Cluster } from '../protocol/streams.js';
import { advanceWindow, openWindow, type BarStream } from './aggregates.js';
import { generatorFor, weightOf, type Generator } from './generators.js';
import { displaySymbol, splitTopic } from '../protocol/symbols.js';
import type { AggWindow, SymbolState, Universe } from './universe.js';

interface Pair {
  /** `PREFIX\0SYMBOL`. */
  id: string;
  gen: Generator;
  /** Set on aggregate streams. */
  bars: BarStream | undefined;
  state: SymbolState;
}

interface OpenWindow {
  pair: Pair;
  w: AggWindow;
  /** Its length in ms, scaled. */
  size: number;
}

/** Bound on one frame, whatever the rate. */
const MAX_EVENTS_PER_TICK = 50_000;

export class DataFeed {
  private budget = 0;
  private pairs: Pair[] | undefined;
  private cumulative: number[] = [];
  /** Aggregate windows with activity, not yet closed, by pair id. */
  private readonly windows = new Map<string, OpenWindow>();

  /** `windowScale`: aggregate windows last this fraction of their nominal length. */
  constructor(
    private readonly cluster: Cluster,
    private readonly universe: Universe,
    private readonly windowScale = 1,
  ) {}

  /** The subscriptions changed: recompute the pairs on the next tick. */
  invalidate(): void {
    this.pairs = undefined;
  }

  /** Nothing was due (paused, unsubscribed): do not carry a fractional event over. */
  reset(): void {
    this.budget = 0;
  }

  /**
   * The events of one tick of `tickMs` at `eventsPerSecond`, over the given topics: the bars of
   * the windows that have closed, then the tick's draws.
   */
  tick(topics: Iterable<string>, eventsPerSecond: number, tickMs: number): WireEvent[] {
    const now = Date.now();
    const pairs = this.activePairs(topics);
    const events = this.closeWindows(now);
    this.budget += (eventsPerSecond * tickMs) / 1000;
    const whole = Math.floor(this.budget);
    this.budget -= whole;
    const n = Math.min(whole, MAX_EVENTS_PER_TICK);
    if (n <= 0 || pairs.length === 0) return events;
    const u = this.universe;
    const total = this.cumulative[this.cumulative.length - 1] ?? 0;
    for (let i = 0; i < n; i++) {
      const pair = pairs[pickIndex(this.cumulative, u.prng.next() * total)] as Pair;
      if (pair.bars) this.accumulate(pair, pair.bars, now);
      else events.push(pair.gen({ u, s: pair.state, now }));
    }
    return events;
  }

  /** A draw of an aggregate pair: one step in its window containing `now`. */
  private accumulate(pair: Pair, bars: BarStream, now: number): void {
    let open = this.windows.get(pair.id);
    if (!open) {
      const size = Math.max(1, Math.round(bars.size * this.windowScale));
      const w = openWindow(pair.state, Math.floor(now / size) * size);
      open = { pair, w, size };
      this.windows.set(pair.id, open);
    }
    advanceWindow({ u: this.universe, s: pair.state, now }, open.w);
  }

  /** The bars of the windows that ended by `now` (each sent once, then forgotten). */
  private closeWindows(now: number): WireEvent[] {
    const bars: WireEvent[] = [];
    for (const [id, { pair, w, size }] of this.windows) {
      if (now < w.start + size) continue;
      this.windows.delete(id);
      bars.push((pair.bars as BarStream).bar(pair.state, w, size));
    }
    return bars;
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
        const gen = generatorFor(stream);
        pairs.push({ id, gen, bars: 'bars' in gen ? (gen.bars as BarStream) : undefined, state });
        total += weightOf(parts.prefix);
        cumulative.push(total);
      }
    }
    // Windows of pairs no longer subscribed never send their bar.
    for (const id of this.windows.keys()) if (!seen.has(id)) this.windows.delete(id);
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
