/**
 * Aggregate events (second and minute bars): a window of a symbol advanced one step at a time, and
 * its bar in the three shapes the provider uses (stock-style with day figures, pair bars, index
 * bars).
 */
import type { WireEvent } from '../protocol/codec.js';
import type { Cluster } from '../protocol/streams.js';
import {
  round,
  roundPrice,
  withFutures,
  type AggWindow,
  type SymbolState,
  type Universe,
} from './universe.js';

export interface GenContext {
  readonly u: Universe;
  readonly s: SymbolState;
  /** Current time, Unix ms. */
  readonly now: number;
}

export type Generator = (ctx: GenContext) => WireEvent;

export function addVolume(s: SymbolState, p: number, size: number): void {
  s.dayVolume += size;
  s.dayNotional += p * size;
}

/** How much one aggregate update trades, by cluster (units: shares, contracts, ticks, coins). */
const AGG_VOLUME: Record<Cluster, [lo: number, hi: number, lot: number]> = withFutures<
  [lo: number, hi: number, lot: number]
>(
  {
    stocks: [1, 60, 100],
    options: [1, 25, 1],
    forex: [1, 40, 1],
    crypto: [1, 30, 1],
    indices: [0, 0, 0],
  },
  [1, 20, 1],
);

/** A fresh window starting at `start`, opened at price `p`. */
export function openWindow(start: number, p: number): AggWindow {
  return { start, open: p, high: p, low: p, close: p, volume: 0, notional: 0, trades: 0 };
}

/** One trade (or quote, or value) at price `p` of `volume` inside window `w`. */
export function addToWindow(w: AggWindow, p: number, volume: number): void {
  w.high = Math.max(w.high, p);
  w.low = Math.min(w.low, p);
  w.close = p;
  w.volume += volume;
  w.notional += volume * p;
  w.trades += 1;
}

/** One step of the symbol's walk inside window `w`, with some volume (shape checks only). */
function advanceWindow(ctx: GenContext, w: AggWindow): void {
  const { u, s } = ctx;
  const p = u.step(s);
  const [lo, hi, lot] = AGG_VOLUME[s.cluster];
  const volume = u.prng.int(lo, hi) * lot;
  addToWindow(w, p, volume);
  addVolume(s, p, volume);
}

function ohlc(s: SymbolState, w: AggWindow): { o: number; c: number; h: number; l: number } {
  const r = (p: number) => roundPrice(s.cluster, p, s.symbol);
  return { o: r(w.open), c: r(w.close), h: r(w.high), l: r(w.low) };
}

function vwap(notional: number, volume: number, fallback: number): number {
  return round(volume > 0 ? notional / volume : fallback, 4);
}

/**
 * An aggregate stream: the bar of a closed window of `size` ms (nominal: the simulator may scale
 * windows down) in the provider's shape. The tape accumulates a window per symbol from the
 * symbol's trades while it is open and records its bar once, when it closes.
 */
export interface BarStream {
  readonly size: number;
  bar(s: SymbolState, w: AggWindow, size: number): WireEvent;
}

/** A generator for a bar stream: one step in a fresh window, then its bar (for checks of shape). */
export type BarGenerator = Generator & { readonly bars: BarStream };

export function barGenerator(bars: BarStream): BarGenerator {
  const gen: Generator = (ctx) => {
    const w = openWindow(Math.floor(ctx.now / bars.size) * bars.size, ctx.s.price);
    advanceWindow(ctx, w);
    return bars.bar(ctx.s, w, bars.size);
  };
  return Object.assign(gen, { bars });
}

/** Stock-style aggregate (stocks, options, launchpad): day figures, window OHLCV, VWAPs. */
export function fullAggregate(ev: string, size: number, otc: boolean): BarGenerator {
  return barGenerator({
    size,
    bar: (s, w, size) => {
      const event: WireEvent = {
        ev,
        sym: s.symbol,
        v: Math.round(w.volume),
        av: Math.round(s.dayVolume),
        op: roundPrice(s.cluster, s.open, s.symbol),
        vw: vwap(w.notional, w.volume, w.close),
        ...ohlc(s, w),
        a: vwap(s.dayNotional, s.dayVolume, s.price),
        z: w.trades > 0 ? Math.max(1, Math.round(w.volume / w.trades)) : 0,
        s: w.start,
        e: w.start + size,
      };
      if (otc && s.otc) event.otc = true;
      return event;
    },
  });
}

export function pairAggregate(ev: string, size: number, withVwap: boolean): BarGenerator {
  return barGenerator({
    size,
    bar: (s, w, size) => {
      const event: WireEvent = {
        ev,
        pair: s.pair,
        ...ohlc(s, w),
        v: Math.round(w.volume),
        s: w.start,
      };
      event.e = w.start + size;
      if (withVwap) {
        event.vw = vwap(w.notional, w.volume, w.close);
        event.z = w.trades > 0 ? Math.max(1, Math.round(w.volume / w.trades)) : 0;
      }
      return event;
    },
  });
}

export function indexAggregate(ev: string, size: number): BarGenerator {
  return barGenerator({
    size,
    bar: (s, w, size) => {
      const { o, c, h, l } = ohlc(s, w);
      const op = roundPrice(s.cluster, s.open, s.symbol);
      return { ev, sym: s.symbol, op, o, c, h, l, s: w.start, e: w.start + size };
    },
  });
}
