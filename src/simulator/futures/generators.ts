/**
 * Futures events with exactly the provider's fields (FUTURES-AND-HOSTS.md §1): trades
 * `ev sym p s t q`, quotes `ev sym bp bs bt ap as at t`, bars `ev sym v dv o h l c n s e`. Prices
 * sit on the contract's tick grid. A quote now and then (QUOTE_ONE_SIDED of them) has one side
 * absent, as the provider documents every side as optional. Bars come from the tape's trades
 * (tape.ts), so their OHLC are trade prices and a window without trades has no bar.
 */
import type { WireEvent } from '../../protocol/codec.js';
import { addVolume, barGenerator, type BarGenerator, type Generator } from '../aggregates.js';
import { onTick, type FuturesProduct } from './contracts.js';
import type { SymbolState } from '../universe.js';

/** Share of quotes with one side (bid or ask) absent. */
export const QUOTE_ONE_SIDED = 0.02;

function productOf(s: SymbolState): FuturesProduct {
  if (!s.contract) throw new Error(`simulator: ${s.symbol} is not a futures contract`);
  return s.contract.product;
}

export const futuresTrade: Generator = ({ u, s, now }) => {
  const product = productOf(s);
  const p = onTick(product, u.step(s));
  const size = u.prng.chance(0.7) ? u.prng.int(1, 3) : u.prng.int(4, 50);
  addVolume(s, p, size);
  return { ev: 'T', sym: s.symbol, p, s: size, t: now, q: u.nextSeq(s) };
};

export const futuresQuote: Generator = ({ u, s, now }) => {
  const product = productOf(s);
  const mid = u.step(s);
  const bid = onTick(product, mid - product.tick * u.prng.int(0, 1));
  const ask = onTick(product, bid + product.tick * u.prng.int(1, 2));
  const event: WireEvent = { ev: 'Q', sym: s.symbol };
  const oneSided = u.prng.chance(QUOTE_ONE_SIDED) ? u.prng.pick(['bid', 'ask']) : undefined;
  if (oneSided !== 'bid') {
    Object.assign(event, { bp: bid, bs: u.prng.int(1, 200), bt: now - u.prng.int(0, 500) });
  }
  if (oneSided !== 'ask') {
    Object.assign(event, { ap: ask, as: u.prng.int(1, 200), at: now - u.prng.int(0, 500) });
  }
  event.t = now;
  return event;
};

/** A futures bar (`A` per second, `AM` per minute); `dv` = Σ price × size × multiplier. */
export function futuresAggregate(ev: 'A' | 'AM', size: number): BarGenerator {
  return barGenerator({
    size,
    bar: (s, w, size) => {
      const product = productOf(s);
      const r = (p: number) => onTick(product, p);
      return {
        ev,
        sym: s.symbol,
        v: Math.round(w.volume),
        dv: Math.round(w.notional * product.multiplier * 100) / 100,
        o: r(w.open),
        h: r(w.high),
        l: r(w.low),
        c: r(w.close),
        n: w.trades,
        s: w.start,
        e: w.start + size,
      };
    },
  });
}
