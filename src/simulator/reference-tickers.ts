/**
 * The simulator's reference universe: real tickers per cluster with a starting price (and, for
 * stocks, their SIP tape), the way the provider's `/v3/reference/tickers` lists what exists. A
 * symbol outside it (and outside what `startSimulator({ tickers })` adds) is unknown: subscribing
 * is acknowledged and nothing is sent, as the provider does. Option contracts are known when they
 * are well-formed OCC symbols on a known stock (every strike and expiry is listed).
 */
import type { Cluster, FuturesCluster } from '../protocol/streams.js';

export interface Listing {
  /** As topics spell it, without the cluster prefix: `AAPL`, `EUR-USD`, `BTC-USD`, `SPX`. */
  readonly symbol: string;
  readonly price: number;
  /** Stocks: SIP tape (1 NYSE, 2 NYSE American/Arca, 3 Nasdaq). */
  readonly tape?: number;
  readonly otc?: boolean;
}

export const STOCKS: readonly Listing[] = [
  { symbol: 'AAPL', price: 228, tape: 3 },
  { symbol: 'MSFT', price: 415, tape: 3 },
  { symbol: 'NVDA', price: 128, tape: 3 },
  { symbol: 'AMZN', price: 186, tape: 3 },
  { symbol: 'GOOGL', price: 166, tape: 3 },
  { symbol: 'GOOG', price: 167, tape: 3 },
  { symbol: 'META', price: 560, tape: 3 },
  { symbol: 'TSLA', price: 248, tape: 3 },
  { symbol: 'AVGO', price: 172, tape: 3 },
  { symbol: 'AMD', price: 152, tape: 3 },
  { symbol: 'NFLX', price: 705, tape: 3 },
  { symbol: 'INTC', price: 22, tape: 3 },
  { symbol: 'ADBE', price: 510, tape: 3 },
  { symbol: 'CSCO', price: 53, tape: 3 },
  { symbol: 'PEP', price: 170, tape: 3 },
  { symbol: 'COST', price: 890, tape: 3 },
  { symbol: 'QCOM', price: 168, tape: 3 },
  { symbol: 'PYPL', price: 78, tape: 3 },
  { symbol: 'PLTR', price: 37, tape: 3 },
  { symbol: 'COIN', price: 178, tape: 3 },
  { symbol: 'SIRI', price: 2.5, tape: 3 },
  { symbol: 'QQQ', price: 488, tape: 3 },
  { symbol: 'SPY', price: 572, tape: 2 },
  { symbol: 'IWM', price: 220, tape: 2 },
  { symbol: 'DIA', price: 421, tape: 2 },
  { symbol: 'GLD', price: 245, tape: 2 },
  { symbol: 'TLT', price: 98, tape: 3 },
  { symbol: 'XLF', price: 46, tape: 2 },
  { symbol: 'JPM', price: 212, tape: 1 },
  { symbol: 'BAC', price: 40, tape: 1 },
  { symbol: 'WFC', price: 58, tape: 1 },
  { symbol: 'GS', price: 505, tape: 1 },
  { symbol: 'V', price: 282, tape: 1 },
  { symbol: 'MA', price: 492, tape: 1 },
  { symbol: 'BRK.B', price: 455, tape: 1 },
  { symbol: 'UNH', price: 590, tape: 1 },
  { symbol: 'JNJ', price: 162, tape: 1 },
  { symbol: 'PFE', price: 29, tape: 1 },
  { symbol: 'LLY', price: 905, tape: 1 },
  { symbol: 'KO', price: 71, tape: 1 },
  { symbol: 'PG', price: 172, tape: 1 },
  { symbol: 'DIS', price: 95, tape: 1 },
  { symbol: 'XOM', price: 117, tape: 1 },
  { symbol: 'CVX', price: 148, tape: 1 },
  { symbol: 'WMT', price: 80, tape: 1 },
  { symbol: 'HD', price: 400, tape: 1 },
  { symbol: 'NKE', price: 84, tape: 1 },
  { symbol: 'BA', price: 155, tape: 1 },
  { symbol: 'GE', price: 185, tape: 1 },
  { symbol: 'F', price: 10.6, tape: 1 },
  { symbol: 'GM', price: 47, tape: 1 },
  { symbol: 'T', price: 22, tape: 1 },
  { symbol: 'UBER', price: 74, tape: 1 },
  { symbol: 'TCEHY', price: 51, tape: 3, otc: true },
  { symbol: 'NSRGY', price: 99, tape: 3, otc: true },
];

export const FOREX: readonly Listing[] = [
  { symbol: 'EUR-USD', price: 1.0845 },
  { symbol: 'GBP-USD', price: 1.2712 },
  { symbol: 'USD-JPY', price: 151.42 },
  { symbol: 'USD-CHF', price: 0.8812 },
  { symbol: 'AUD-USD', price: 0.6634 },
  { symbol: 'USD-CAD', price: 1.3581 },
  { symbol: 'NZD-USD', price: 0.6102 },
  { symbol: 'EUR-GBP', price: 0.8531 },
  { symbol: 'EUR-JPY', price: 164.21 },
  { symbol: 'GBP-JPY', price: 192.45 },
  { symbol: 'EUR-CHF', price: 0.9556 },
  { symbol: 'USD-CNH', price: 7.2413 },
  { symbol: 'USD-MXN', price: 19.62 },
  { symbol: 'USD-SEK', price: 10.41 },
];

export const CRYPTO: readonly Listing[] = [
  { symbol: 'BTC-USD', price: 64210 },
  { symbol: 'ETH-USD', price: 3390 },
  { symbol: 'SOL-USD', price: 148.2 },
  { symbol: 'XRP-USD', price: 0.5412 },
  { symbol: 'DOGE-USD', price: 0.1523 },
  { symbol: 'ADA-USD', price: 0.4481 },
  { symbol: 'LTC-USD', price: 81.3 },
  { symbol: 'AVAX-USD', price: 27.4 },
  { symbol: 'LINK-USD', price: 11.8 },
  { symbol: 'DOT-USD', price: 4.71 },
  { symbol: 'BTC-EUR', price: 59220 },
  { symbol: 'ETH-BTC', price: 0.05281 },
];

export const INDICES: readonly Listing[] = [
  { symbol: 'SPX', price: 5712.4 },
  { symbol: 'NDX', price: 20104.9 },
  { symbol: 'DJI', price: 42110.3 },
  { symbol: 'RUT', price: 2201.6 },
  { symbol: 'VIX', price: 16.42 },
  { symbol: 'COMP', price: 18190.2 },
  { symbol: 'NYA', price: 19450.7 },
  { symbol: 'SOX', price: 4985.3 },
];

/** Underlyings of the options universe's built-in contracts, with strike spacing. */
export const OPTION_UNDERLYINGS: readonly [symbol: string, step: number][] = [
  ['SPY', 5],
  ['QQQ', 5],
  ['AAPL', 5],
  ['TSLA', 10],
  ['NVDA', 5],
];

/** The listings of a cluster whose symbols are listed one by one (options are generated). */
export const REFERENCE: Readonly<
  Record<Exclude<Cluster, 'options' | FuturesCluster>, readonly Listing[]>
> = {
  stocks: STOCKS,
  forex: FOREX,
  crypto: CRYPTO,
  indices: INDICES,
};
