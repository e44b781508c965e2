/**
 * The simulated market of one cluster: one tape, the same for every connection and for the REST
 * history. A known symbol (see Universe.known) joins the tape the first time anyone asks for it (a
 * subscription, a wildcard, a history request) and from then on every one of its streams is
 * generated whether or not anyone is subscribed: the cluster's rate is drawn among the (stream,
 * symbol) pairs on the tape, with times spread over the tick, and `q` (trade ids on crypto) rising
 * per symbol. An unknown symbol never joins: it stays silent, as on the provider. Bars are derived
 * from the symbol's trades (quotes on forex, values on indices): one bar per window with activity,
 * recorded when the window closes. Everything generated goes to the bounded EventLog.
 *
 * A listed symbol asked for by name (a subscription to it, a REST history request) joins with a
 * past: the `pastMs` before it joined, generated then from its own PRNG (so the same seed gives the
 * same past, whatever else was asked first) at the pace its share of the cluster's rate would have
 * if every listed symbol traded (eventsPerSecond / listed symbols), ending in the state the live
 * tape continues from (price, `q`, ids, volume, the open bar), at most MAX_PAST_EVENTS of them.
 * Past events count as generated when the symbol joined (EventLog trims by that). A wildcard lists
 * the symbols not yet listed without a past, at the next tick (so a symbol named in the same
 * subscribe message still gets its past): the past of a whole cluster at once (~200 000 events at
 * the default rate) takes about half a second and ~40 MB, too much for every `T.*`.
 */
import type { WireEvent } from '../protocol/codec.js';
import { streamsOfCluster, type Cluster } from '../protocol/streams.js';
import { canonicalSymbol, displaySymbol, eventKey } from '../protocol/symbols.js';
import { addToWindow, openWindow, type BarStream } from './aggregates.js';
import { EventLog, type LogLimits } from './event-log.js';
import { generatorFor, weightOf, type Generator } from './generators.js';
import { withFutures, type AggWindow, type SymbolState, type Universe } from './universe.js';

/** The event bars are made of, per cluster, and its price and volume. */
type Source = { ev: string; of(e: WireEvent): [price: number, volume: number] };
const TRADES: Source = { ev: 'T', of: (e) => [e['p'] as number, e['s'] as number] };
const SOURCE: Record<Cluster, Source> = withFutures(
  {
    stocks: TRADES,
    options: TRADES,
    crypto: { ev: 'XT', of: (e) => [e['p'] as number, e['s'] as number] },
    // Forex bars count quotes as volume, at the mid price.
    forex: { ev: 'C', of: (e) => [((e['a'] as number) + (e['b'] as number)) / 2, 1] },
    indices: { ev: 'V', of: (e) => [e['val'] as number, 0] },
  },
  TRADES,
);

/**
 * Symbols one tape lists at most: past it, a new symbol is not generated (it stays silent, as an
 * unknown ticker does), so clients asking for ever more tickers cannot grow the market for ever.
 */
export const MAX_TAPE_SYMBOLS = 10_000;

/**
 * Events at most in the past of one ticker (about 2–3 µs each to generate): whatever the rate, a
 * subscription to a ticker with a past stays quick. Past it, the past is thinner, not shorter.
 */
export const MAX_PAST_EVENTS = 5_000;

/** Bound on one tick, whatever the rate. */
const MAX_EVENTS_PER_TICK = 50_000;

interface Bars {
  /** The bar stream's topic prefix (`AM`, `XA` …). */
  readonly prefix: string;
  readonly stream: BarStream;
  /** Window length in ms, scaled. */
  readonly size: number;
  open: AggWindow | undefined;
}

interface Listing {
  readonly state: SymbolState;
  readonly bars: Bars[];
}

interface Draw {
  readonly gen: Generator;
  readonly listing: Listing;
}

export interface TapeOptions extends LogLimits {
  /** Aggregate windows last this fraction of their nominal length. */
  readonly windowScale: number;
  /** How much past a listed symbol joins with, ms (at most historyMs is kept); 0: none. */
  readonly pastMs: number;
  /** The cluster's rate now (the past is generated at its share of it). */
  readonly eventsPerSecond: () => number;
}

export class ClusterTape {
  readonly log: EventLog;
  private readonly listings = new Map<string, Listing>();
  private readonly draws: Draw[] = [];
  private readonly cumulative: number[] = [];
  private readonly prefixes: Set<string>;
  private budget = 0;
  private last: number;
  /** A wildcard was asked for: list every listed symbol (without a past) at the next tick. */
  private wildcard = false;

  constructor(
    readonly cluster: Cluster,
    private readonly universe: Universe,
    private readonly options: TapeOptions,
    now = Date.now(),
  ) {
    this.log = new EventLog(options);
    this.prefixes = new Set(streamsOfCluster(cluster).map((s) => s.prefix));
    this.last = now;
  }

  /** Symbols on the tape. */
  get symbols(): number {
    return this.listings.size;
  }

  /** Put the known symbols a topic names on the tape (a wildcard: every listed symbol). */
  touch(prefix: string, symbol: string, now = Date.now()): void {
    if (!this.prefixes.has(prefix)) return;
    if (symbol === '*') {
      this.wildcard = true;
    } else {
      const display = displaySymbol(this.cluster, symbol);
      if (this.full && !this.listings.has(canonicalSymbol(this.cluster, display))) return;
      const state = this.universe.resolve(this.cluster, display);
      if (state) this.list(state, now, true);
    }
  }

  /** The first and last event time the log keeps for a topic key, or undefined when none. */
  covers(key: string): { from: number; to: number } | undefined {
    return this.log.span(key);
  }

  /**
   * The bar of a bar topic's still-open window (`AM.AAPL`; the symbol canonical, as log keys
   * spell it) as it stands now, in the shape of the bar recorded when it closes; undefined when
   * the symbol is not on the tape or no window of that stream is open.
   */
  openBar(key: string): WireEvent | undefined {
    const dot = key.indexOf('.');
    const listing = this.listings.get(key.slice(dot + 1));
    const b = listing?.bars.find((x) => x.prefix === key.slice(0, dot));
    return listing && b?.open ? b.stream.bar(listing.state, b.open, b.size) : undefined;
  }

  /**
   * One tick of `tickMs` ending at `now`: `eventsPerSecond × tickMs` events (the same count every
   * tick, so a seed gives the same tape) drawn across the pairs on the tape, their times spread
   * over the tick (never before the previous tick's end); recorded and returned in tape order
   * (per topic, time order).
   */
  advance(now: number, eventsPerSecond: number, tickMs: number): WireEvent[] {
    if (this.wildcard) {
      this.wildcard = false;
      for (const s of this.universe.symbols(this.cluster)) this.list(s, now, false);
    }
    const from = Math.min(now, Math.max(this.last, now - tickMs));
    const span = now - from;
    this.last = Math.max(now, this.last);
    const out: WireEvent[] = [];
    const total = this.cumulative[this.cumulative.length - 1] ?? 0;
    this.budget = total > 0 ? this.budget + (eventsPerSecond * tickMs) / 1000 : 0;
    const whole = Math.floor(this.budget);
    this.budget -= whole;
    const n = Math.min(whole, MAX_EVENTS_PER_TICK);
    const source = SOURCE[this.cluster];
    const u = this.universe;
    for (let i = 0; i < n; i++) {
      const t = from + Math.floor((i * span) / n);
      const draw = this.draws[pickIndex(this.cumulative, u.prng.next() * total)]!;
      const { listing } = draw;
      this.closeBars(listing, t, out);
      const event = draw.gen({ u, s: listing.state, now: t });
      out.push(event);
      if (event.ev === source.ev) this.addToBars(listing, t, ...source.of(event));
    }
    for (const listing of this.listings.values()) this.closeBars(listing, this.last, out);
    if (out.length > 0) this.log.add(this.last, this.entries(out));
    return out;
  }

  /** Record the bars of the listing's windows that ended by `t`. */
  private closeBars(listing: Listing, t: number, out: WireEvent[]): void {
    for (const b of listing.bars) {
      const w = b.open;
      if (!w || t < w.start + b.size) continue;
      b.open = undefined;
      out.push(b.stream.bar(listing.state, w, b.size));
    }
  }

  private get full(): boolean {
    return this.listings.size >= MAX_TAPE_SYMBOLS;
  }

  private list(state: SymbolState, now: number, withPast: boolean): void {
    const key = canonicalSymbol(this.cluster, state.symbol);
    if (this.listings.has(key) || this.full) return;
    const listing: Listing = { state, bars: [] };
    this.listings.set(key, listing);
    const draws: Draw[] = [];
    const weights: number[] = [];
    let own = 0;
    for (const stream of streamsOfCluster(this.cluster)) {
      const gen = generatorFor(stream);
      if ('bars' in gen) {
        const bars = gen.bars as BarStream;
        const size = Math.max(1, Math.round(bars.size * this.options.windowScale));
        listing.bars.push({ prefix: stream.prefix, stream: bars, size, open: undefined });
        continue;
      }
      draws.push({ gen, listing });
      own += weightOf(stream.prefix);
      weights.push(own);
    }
    const listed = this.universe.symbols(this.cluster);
    if (withPast && listed.includes(state)) this.past(listing, draws, weights, listed.length, now);
    const total = this.cumulative[this.cumulative.length - 1] ?? 0;
    this.draws.push(...draws);
    this.cumulative.push(...weights.map((w) => total + w));
  }

  /**
   * Generate the listing's past up to `now` (see the file comment): at most
   * `min(pastMs, historyMs)` long, and at most `MAX_PAST_EVENTS` and `maxEvents / listed` events
   * (so that a whole cluster's past is at most what its log keeps).
   */
  private past(listing: Listing, draws: Draw[], weights: number[], listed: number, now: number) {
    const { pastMs, historyMs, maxEvents } = this.options;
    const span = Math.min(pastMs, historyMs);
    const rate = this.options.eventsPerSecond() / listed;
    const n = Math.min(
      Math.floor((rate * span) / 1000),
      Math.floor(maxEvents / listed),
      MAX_PAST_EVENTS,
    );
    const total = weights[weights.length - 1] ?? 0;
    if (n <= 0 || total <= 0) return;
    const from = now - span;
    const u = this.universe;
    const source = SOURCE[this.cluster];
    const out: WireEvent[] = [];
    u.withOwnPrng(listing.state.symbol, () => {
      for (let i = 0; i < n; i++) {
        const t = from + Math.floor((i * span) / n);
        this.closeBars(listing, t, out);
        const event = draws[pickIndex(weights, u.prng.next() * total)]!.gen({
          u,
          s: listing.state,
          now: t,
        });
        out.push(event);
        if (event.ev === source.ev) this.addToBars(listing, t, ...source.of(event));
      }
      this.closeBars(listing, now, out);
    });
    this.log.add(now, this.entries(out));
  }

  private addToBars(listing: Listing, t: number, price: number, volume: number): void {
    for (const b of listing.bars) {
      b.open ??= openWindow(Math.floor(t / b.size) * b.size, price);
      addToWindow(b.open, price, volume);
    }
  }

  private entries(events: WireEvent[]): (readonly [string, WireEvent])[] {
    return events.map((e) => [eventKey(this.cluster, e) ?? '', e] as const);
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
