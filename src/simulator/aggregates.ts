/**
 * Aggregate events (second and minute bars): the running window of a symbol advanced one step per
 * event, in the three shapes the provider uses (stock-style with day figures, pair bars, index bars).
 */
import type { WireEvent } from '../protocol/codec.js';
import type { Cluster } from '../protocol/streams.js';
import { round, roundPrice, type AggWindow, type SymbolState, type Universe } from './universe.js';

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
const AGG_VOLUME: Record<Cluster, [lo: number, hi: number, lot: number]> = {
  stocks: [1, 60, 100],
  options: [1, 25, 1],
  forex: [1, 40, 1],
  crypto: [1, 30, 1],
  indices: [0, 0, 0],
};

/** Advance the symbol's window of `size` ms: one step of the walk, some volume. */
function advanceWindow(ctx: GenContext, size: number): AggWindow {
  const { u, s, now } = ctx;
  const w = u.window(s, size, now);
  const p = u.step(s);
  const [lo, hi, lot] = AGG_VOLUME[s.cluster];
  const volume = u.prng.int(lo, hi) * lot;
  w.high = Math.max(w.high, p);
  w.low = Math.min(w.low, p);
  w.close = p;
  w.volume += volume;
  w.notional += volume * p;
  w.trades += volume > 0 ? u.prng.int(1, 8) : 0;
  addVolume(s, p, volume);
  return w;
}

function ohlc(s: SymbolState, w: AggWindow): { o: number; c: number; h: number; l: number } {
  const r = (p: number) => roundPrice(s.cluster, p, s.symbol);
  return { o: r(w.open), c: r(w.close), h: r(w.high), l: r(w.low) };
}

function vwap(notional: number, volume: number, fallback: number): number {
  return round(volume > 0 ? notional / volume : fallback, 4);
}

/** Forex pairs are `EUR/USD` in quotes and aggregates, crypto pairs `BTC-USD`. */
export function pairOf(s: SymbolState): string {
  return s.cluster === 'forex' ? `${s.base}/${s.quote}` : `${s.base}-${s.quote}`;
}

/** Stock-style aggregate (stocks, options, launchpad): day figures, window OHLCV, VWAPs. */
export function fullAggregate(ev: string, size: number, otc: boolean): Generator {
  return (ctx) => {
    const { s } = ctx;
    const w = advanceWindow(ctx, size);
    const event: WireEvent = {
      ev,
      sym: s.symbol,
      v: w.volume,
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
  };
}

export function pairAggregate(ev: string, size: number, withVwap: boolean): Generator {
  return (ctx) => {
    const { s } = ctx;
    const w = advanceWindow(ctx, size);
    const event: WireEvent = { ev, pair: pairOf(s), ...ohlc(s, w), v: w.volume, s: w.start };
    event.e = w.start + size;
    if (withVwap) {
      event.vw = vwap(w.notional, w.volume, w.close);
      event.z = w.trades > 0 ? Math.max(1, Math.round(w.volume / w.trades)) : 0;
    }
    return event;
  };
}

export function indexAggregate(ev: string, size: number): Generator {
  return (ctx) => {
    const { s } = ctx;
    const w = advanceWindow(ctx, size);
    const { o, c, h, l } = ohlc(s, w);
    const op = roundPrice(s.cluster, s.open, s.symbol);
    return { ev, sym: s.symbol, op, o, c, h, l, s: w.start, e: w.start + size };
  };
}
