/**
 * The simulated market: a seeded PRNG, a symbol universe per cluster and a price walk per symbol.
 * Every stream of a cluster draws from the same symbol state, so trades, quotes and aggregates of
 * one symbol agree with each other.
 */
import { CLUSTERS, FUTURES_CLUSTERS, isFuturesCluster, type Cluster } from '../protocol/streams.js';
import {
  canonicalSymbol,
  displaySymbol,
  eventPair,
  withClusterPrefix,
} from '../protocol/symbols.js';
import { symbolProblem } from '../protocol/topics.js';
import { invalidOption, number, plainObject } from '../validate.js';
import { frontContracts, type FuturesContract } from './futures/contracts.js';
import { type Listing, OPTION_UNDERLYINGS, REFERENCE, STOCKS } from './reference-tickers.js';

/** Tickers a simulator lists beyond its reference universe, by cluster: `{ stocks: ['FOO'] }`. */
export type ExtraTickers = Partial<Record<Cluster, readonly string[]>>;

/** mulberry32: small, fast, good enough for market noise, and reproducible from a seed. */
class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

/** FNV-1a: a stable number from a string (prices of added tickers, a symbol's own PRNG seed). */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Running OHLCV of one aggregate window. */
export interface AggWindow {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  notional: number;
  trades: number;
}

export interface SymbolState {
  readonly cluster: Cluster;
  /** The symbol as it appears in topics: `AAPL`, `O:SPY251219C00650000`, `C:EUR-USD`, `X:BTC-USD`. */
  readonly symbol: string;
  /** Forex and crypto: the pair as events spell it (`EUR/USD`, `BTC-USD`); the symbol otherwise. */
  readonly pair: string;
  /** Stocks: SIP tape (1 NYSE, 2 NYSE American/Arca, 3 Nasdaq); 0 elsewhere. */
  readonly tape: number;
  readonly otc: boolean;
  readonly anchor: number;
  price: number;
  /** Today's official open. */
  readonly open: number;
  dayVolume: number;
  dayNotional: number;
  /** Last sequence number handed out (`q`); rises with gaps. */
  seq: number;
  /** Last trade id handed out. */
  tradeId: number;
  /** Futures: the contract (product, tick, multiplier, exchange); undefined elsewhere. */
  readonly contract?: FuturesContract;
}

/** A per-cluster table with one value for every futures cluster. */
export function withFutures<T>(
  rest: Record<Exclude<Cluster, (typeof FUTURES_CLUSTERS)[number]>, T>,
  futures: T,
) {
  return { ...rest, ...Object.fromEntries(FUTURES_CLUSTERS.map((c) => [c, futures])) } as Record<
    Cluster,
    T
  >;
}

/** Per-event volatility of the log price, by cluster. */
const STEP_VOL: Record<Cluster, number> = withFutures(
  { stocks: 0.0006, options: 0.008, forex: 0.00006, crypto: 0.0009, indices: 0.0002 },
  0.00015,
);

/** Volume already traded today when the simulator starts, by cluster. */
const BASE_VOLUME: Record<Cluster, number> = withFutures(
  { stocks: 1_000_000, options: 200, forex: 5_000, crypto: 2_000, indices: 0 },
  50_000,
);

/** Decimals a price is quoted with, by asset class and magnitude. */
export function priceDecimals(cluster: Cluster, price: number, symbol = ''): number {
  if (cluster === 'forex') return symbol.includes('JPY') ? 3 : 5;
  if (cluster === 'crypto') return price >= 1000 ? 2 : price >= 1 ? 4 : 6;
  if (cluster === 'stocks') return price >= 1 ? 2 : 4;
  return 2;
}

/** Round a price the way the asset class quotes it. */
export function roundPrice(cluster: Cluster, price: number, symbol = ''): number {
  return round(price, priceDecimals(cluster, price, symbol));
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** YYMMDD of the third Friday of the month `monthsAhead` after `now`'s month. */
function monthlyExpiry(now: Date, monthsAhead: number): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + monthsAhead, 1));
  const firstFriday = 1 + ((5 - d.getUTCDay() + 7) % 7);
  d.setUTCDate(firstFriday + 14);
  const yy = String(d.getUTCFullYear() % 100).padStart(2, '0');
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return `${yy}${mm}${dd}`;
}

const OCC = /^O:([A-Z]+\d?)(\d{6})([CP])(\d{8})$/;

/** The fair-ish value of an option contract from its underlying price (intrinsic + time value). */
function optionPrice(contract: string, underlying: number | undefined): number {
  const m = OCC.exec(contract);
  if (!m) return 5;
  const strike = Number(m[4]) / 1000;
  const spot = underlying ?? strike;
  const intrinsic = m[3] === 'C' ? Math.max(0, spot - strike) : Math.max(0, strike - spot);
  const timeValue = spot * 0.03 * Math.exp(-(((spot - strike) / (spot * 0.08)) ** 2) / 2);
  return Math.max(0.05, intrinsic + timeValue);
}

export class Universe {
  private rng: Prng;
  private readonly seed: number;
  private readonly lists = new Map<Cluster, SymbolState[]>();
  /** Every symbol state by cluster and canonical key (see protocol/symbols.ts). */
  private readonly byKey = new Map<string, SymbolState>();
  /** Canonical stock symbols: the underlyings an option contract may have. */
  private readonly stockKeys = new Set<string>();

  /**
   * `tickers`: symbols to list beyond the reference universe (reference-tickers.ts), by cluster;
   * they are priced from a hash of their name and stream like the others.
   */
  constructor(seed: number, now = new Date(), tickers: ExtraTickers = {}) {
    number('Universe', 'seed', seed, { min: -Number.MAX_VALUE });
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
      throw invalidOption('Universe', 'now', 'a valid Date', now);
    }
    const extra = checkTickers('Universe', tickers);
    this.seed = seed;
    this.rng = new Prng(seed);
    for (const [cluster, listings] of Object.entries(REFERENCE) as [Cluster, Listing[]][]) {
      const prefix = withClusterPrefix(cluster, '');
      this.lists.set(
        cluster,
        listings.map((l) => this.add(cluster, { ...l, symbol: prefix + l.symbol })),
      );
    }
    const contracts: SymbolState[] = [];
    for (const [underlying, step] of OPTION_UNDERLYINGS) {
      const spot = STOCKS.find((s) => s.symbol === underlying)?.price ?? 100;
      const atm = Math.round(spot / step) * step;
      for (const months of [0, 1]) {
        const expiry = monthlyExpiry(now, months + 1);
        for (const k of [-1, 0, 1]) {
          const strike = atm + k * step;
          for (const right of ['C', 'P']) {
            const strikeCode = String(Math.round(strike * 1000)).padStart(8, '0');
            const symbol = `O:${underlying}${expiry}${right}${strikeCode}`;
            contracts.push(this.add('options', { symbol, price: optionPrice(symbol, spot) }));
          }
        }
      }
    }
    this.lists.set('options', contracts);
    // Futures: one state per contract, listed on `futures` and on its exchange's path.
    for (const c of FUTURES_CLUSTERS) this.lists.set(c, []);
    for (const contract of frontContracts(now)) {
      const state = this.add(
        'futures',
        { symbol: contract.ticker, price: contract.product.price },
        contract,
      );
      this.lists.get('futures')!.push(state);
      this.lists.get(contract.exchange)!.push(state);
      this.byKey.set(keyOf(contract.exchange, state.symbol), state);
    }
    for (const cluster of CLUSTERS) {
      for (const symbol of extra[cluster] ?? []) {
        const display = displaySymbol(cluster, symbol.toUpperCase());
        if (this.byKey.has(keyOf(cluster, display))) continue;
        this.lists.get(cluster)!.push(this.add(cluster, this.listing(cluster, display)));
      }
    }
    for (const s of this.lists.get('stocks')!) this.stockKeys.add(s.symbol);
  }

  /** The PRNG the market draws from. */
  get prng(): Prng {
    return this.rng;
  }

  /** The cluster's listed symbols (what a `*` subscription streams). */
  symbols(cluster: Cluster): readonly SymbolState[] {
    return this.lists.get(cluster) ?? [];
  }

  /**
   * Whether a symbol exists on the cluster: listed (the reference universe and added tickers), or
   * on options a well-formed OCC contract (`O:SPY251219C00650000`) on a listed stock.
   */
  known(cluster: Cluster, symbol: string): boolean {
    const display = displaySymbol(cluster, symbol);
    if (this.byKey.has(keyOf(cluster, display))) return true;
    if (cluster !== 'options') return false;
    const m = OCC.exec(display.toUpperCase());
    return m !== null && this.stockKeys.has(m[1]!);
  }

  /** The state of a known symbol (an option contract is created on first use); else undefined. */
  resolve(cluster: Cluster, symbol: string): SymbolState | undefined {
    const display = displaySymbol(cluster, symbol);
    const listed = this.byKey.get(keyOf(cluster, display));
    if (listed) return listed;
    if (!this.known(cluster, display)) return undefined;
    return this.add(cluster, this.listing(cluster, display.toUpperCase()));
  }

  /**
   * Run `fn` with the market drawing from the symbol's own PRNG (from the seed and the symbol), so
   * that what `fn` generates for it is the same whenever and in whatever order symbols are asked.
   */
  withOwnPrng<T>(symbol: string, fn: () => T): T {
    const shared = this.rng;
    this.rng = new Prng((this.seed ^ hashString(symbol)) >>> 0);
    try {
      return fn();
    } finally {
      this.rng = shared;
    }
  }

  /** A listing outside the reference lists: priced from a hash of its name. */
  private listing(cluster: Cluster, symbol: string): Listing {
    const h = hashString(symbol);
    let price: number;
    if (cluster === 'options') {
      const underlying = /^O:([A-Z]+)/.exec(symbol)?.[1];
      price = optionPrice(symbol, underlying ? this.findPrice('stocks', underlying) : undefined);
    } else if (cluster === 'forex') price = 0.5 + (h % 1500) / 1000;
    else if (cluster === 'crypto') price = 0.1 + (h % 100000) / 100;
    else if (cluster === 'indices') price = 1000 + (h % 9000);
    else price = 5 + (h % 49500) / 100;
    return { symbol, price, tape: 1 + (h % 3) };
  }

  private findPrice(cluster: Cluster, symbol: string): number | undefined {
    return this.byKey.get(keyOf(cluster, symbol))?.price;
  }

  /** Move the symbol's price one step (log-normal walk, pulled back toward its anchor). */
  step(s: SymbolState): number {
    const vol = STEP_VOL[s.cluster];
    const pull = 0.002 * Math.log(s.anchor / s.price);
    s.price = s.price * Math.exp(pull + vol * this.prng.normal());
    return s.price;
  }

  /** Next sequence number for the symbol: strictly increasing, sometimes with gaps. */
  nextSeq(s: SymbolState): number {
    s.seq += this.prng.chance(0.8) ? 1 : this.prng.int(2, 5);
    return s.seq;
  }

  private add(cluster: Cluster, l: Listing, contract?: FuturesContract): SymbolState {
    const h = hashString(l.symbol);
    const dayVolume =
      BASE_VOLUME[cluster] === 0 ? 0 : BASE_VOLUME[cluster] + (h % (BASE_VOLUME[cluster] * 20));
    const state: SymbolState = {
      cluster,
      symbol: l.symbol,
      pair: eventPair(cluster, l.symbol),
      tape: cluster === 'stocks' ? (l.tape ?? 3) : 0,
      otc: l.otc ?? false,
      anchor: l.price,
      price: l.price,
      open: l.price,
      dayVolume,
      dayNotional: dayVolume * l.price * (0.995 + (h % 100) / 10000),
      seq: 1000 + (h % 100000),
      tradeId: 10000 + (h % 1000000),
      ...(contract ? { contract } : {}),
    };
    this.byKey.set(keyOf(cluster, l.symbol), state);
    return state;
  }
}

function keyOf(cluster: Cluster, symbol: string): string {
  return `${cluster}\u0000${canonicalSymbol(cluster, symbol)}`;
}

/** Validate `tickers` (an option of startSimulator and new Universe): symbol lists by cluster. */
export function checkTickers(where: string, tickers: unknown): ExtraTickers {
  const given = plainObject<Record<string, unknown>>(where, 'tickers', tickers);
  for (const [cluster, list] of Object.entries(given)) {
    if (!(CLUSTERS as readonly string[]).includes(cluster)) {
      throw invalidOption(where, 'tickers', `keys among ${CLUSTERS.join(', ')}`, cluster);
    }
    if (isFuturesCluster(cluster)) {
      // Futures contracts come from futures/contracts.ts (a ticker alone has no tick or exchange).
      throw invalidOption(
        where,
        'tickers',
        'no futures cluster (its contracts are built in)',
        cluster,
      );
    }
    const ok =
      Array.isArray(list) &&
      list.every((t) => typeof t === 'string' && symbolProblem(t) === undefined && t !== '*');
    if (!ok) {
      throw invalidOption(
        where,
        `tickers.${cluster}`,
        "an array of symbols without spaces or commas (e.g. ['FOO', 'BAR'])",
        list,
      );
    }
  }
  return given as ExtraTickers;
}
