/**
 * The simulator's futures contracts: a few products of each of the four exchanges, with their
 * provider-style tickers (root + CME month code + one-digit year: `ESZ6`, `CLF7`, `6EH7`), tick
 * sizes and contract multipliers, and the front months of each from a given date. Every contract
 * trades on the one `futures` tape; each also belongs to its exchange's path (`futures/cme` …).
 */
import type { FuturesCluster } from '../../protocol/streams.js';

/** An exchange's path, its MIC and name. */
export type FuturesExchange = Exclude<FuturesCluster, 'futures'>;

export const EXCHANGE_MIC: Readonly<Record<FuturesExchange, string>> = {
  'futures/cme': 'XCME',
  'futures/cbot': 'XCBT',
  'futures/nymex': 'XNYM',
  'futures/comex': 'XCMX',
};

/** CME month codes, January … December. */
export const MONTH_CODES = ['F', 'G', 'H', 'J', 'K', 'M', 'N', 'Q', 'U', 'V', 'X', 'Z'] as const;

export interface FuturesProduct {
  /** Product (root) code: `ES`, `6E` (may start with a digit). */
  readonly root: string;
  readonly exchange: FuturesExchange;
  /** Minimum price increment, in the quoted unit. */
  readonly tick: number;
  /** Contract value per unit of the quoted price (USD): dollar volume = price × size × this. */
  readonly multiplier: number;
  /** A typical price level. */
  readonly price: number;
  /** Listed months (1–12), of which the front `front` are generated. */
  readonly months: readonly number[];
  readonly front: number;
}

const QUARTERLY = [3, 6, 9, 12];
const MONTHLY = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/** Roots, ticks and multipliers as the exchanges list them (prices: rough recent levels). */
export const FUTURES_PRODUCTS: readonly FuturesProduct[] = [
  {
    root: 'ES',
    exchange: 'futures/cme',
    tick: 0.25,
    multiplier: 50,
    price: 6050,
    months: QUARTERLY,
    front: 2,
  },
  {
    root: 'NQ',
    exchange: 'futures/cme',
    tick: 0.25,
    multiplier: 20,
    price: 21400,
    months: QUARTERLY,
    front: 2,
  },
  {
    root: '6E',
    exchange: 'futures/cme',
    tick: 0.00005,
    multiplier: 125_000,
    price: 1.0845,
    months: QUARTERLY,
    front: 2,
  },
  {
    root: 'ZN',
    exchange: 'futures/cbot',
    tick: 1 / 64,
    multiplier: 1000,
    price: 110.5,
    months: QUARTERLY,
    front: 2,
  },
  {
    root: 'ZC',
    exchange: 'futures/cbot',
    tick: 0.25,
    multiplier: 50,
    price: 432.5,
    months: [3, 5, 7, 9, 12],
    front: 3,
  },
  {
    root: 'YM',
    exchange: 'futures/cbot',
    tick: 1,
    multiplier: 5,
    price: 42_300,
    months: QUARTERLY,
    front: 2,
  },
  {
    root: 'CL',
    exchange: 'futures/nymex',
    tick: 0.01,
    multiplier: 1000,
    price: 71.8,
    months: MONTHLY,
    front: 3,
  },
  {
    root: 'NG',
    exchange: 'futures/nymex',
    tick: 0.001,
    multiplier: 10_000,
    price: 3.12,
    months: MONTHLY,
    front: 3,
  },
  {
    root: 'GC',
    exchange: 'futures/comex',
    tick: 0.1,
    multiplier: 100,
    price: 2655,
    months: [2, 4, 6, 8, 10, 12],
    front: 3,
  },
  {
    root: 'SI',
    exchange: 'futures/comex',
    tick: 0.005,
    multiplier: 5000,
    price: 31.2,
    months: [3, 5, 7, 9, 12],
    front: 3,
  },
];

export interface FuturesContract {
  readonly ticker: string;
  readonly product: FuturesProduct;
  readonly exchange: FuturesExchange;
  /** The exchange's MIC (`XCME`, `XCBT`, `XNYM`, `XCMX`), as the contracts API's trading_venue. */
  readonly mic: string;
  /** Delivery year and month (1–12). */
  readonly year: number;
  readonly month: number;
}

/**
 * The front contracts of every product from `now`: the product's next listed months strictly
 * after the current one (the current month's contract is taken as expired, whatever the day).
 */
export function frontContracts(now: Date): FuturesContract[] {
  const out: FuturesContract[] = [];
  for (const product of FUTURES_PRODUCTS) {
    let year = now.getUTCFullYear();
    let month = now.getUTCMonth() + 1;
    for (let n = 0; n < product.front;) {
      month += 1;
      if (month > 12) [month, year] = [1, year + 1];
      if (!product.months.includes(month)) continue;
      const ticker = `${product.root}${MONTH_CODES[month - 1]}${year % 10}`;
      const mic = EXCHANGE_MIC[product.exchange];
      out.push({ ticker, product, exchange: product.exchange, mic, year, month });
      n++;
    }
  }
  return out;
}

/** Decimals of a tick (1/64 → 6), enough to write any multiple of it exactly. */
export function tickDecimals(tick: number): number {
  for (let d = 0; d < 10; d++)
    if (Math.abs(Math.round(tick * 10 ** d) - tick * 10 ** d) < 1e-9) return d;
  return 10;
}

/** A price on the contract's tick grid (never below one tick). */
export function onTick(product: FuturesProduct, price: number): number {
  const ticks = Math.max(1, Math.round(price / product.tick));
  return round(ticks * product.tick, tickDecimals(product.tick));
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
