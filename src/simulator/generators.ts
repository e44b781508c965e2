/**
 * One event generator per stream of the table, keyed by the stream's `schemaPath` in
 * websocket.json. Generators are built from a handful of shapes (trade, quote, aggregate, value…)
 * and produce every field of their schema with values drawn from the symbol's price walk.
 */
import type { WireEvent } from '../protocol/codec.js';
import { isFuturesCluster, STREAMS, type StreamSpec } from '../protocol/streams.js';
import { canonicalSymbol } from '../protocol/symbols.js';
import {
  addVolume,
  fullAggregate,
  indexAggregate,
  pairAggregate,
  type GenContext,
  type Generator,
} from './aggregates.js';
import { futuresAggregate, futuresQuote, futuresTrade } from './futures/generators.js';
import { priceDecimals, round, roundPrice, type SymbolState } from './universe.js';
import { invalidOption } from '../validate.js';

export type { GenContext, Generator } from './aggregates.js';

const SECOND = 1_000;
const MINUTE = 60_000;

const STOCK_EXCHANGES = [1, 2, 3, 4, 4, 4, 7, 8, 10, 11, 12, 12, 15, 17, 19, 21];
const TRF_IDS = [201, 202, 203];
const STOCK_TRADE_CONDITIONS: number[][] = [[], [0], [0], [0, 12], [14, 41], [12, 37]];
const OPTION_EXCHANGES = [300, 301, 302, 303, 307, 308, 309, 312, 313, 316, 319, 322, 323, 325];
const OPTION_TRADE_CONDITIONS = [209, 219, 227, 228, 229, 233];
const FOREX_EXCHANGE = 48;
const CRYPTO_EXCHANGES = [1, 2, 6, 23];
const NOI_AUCTIONS: [at: number, type: string][] = [
  [930, 'O'],
  [930, 'M'],
  [1600, 'C'],
  [1600, 'P'],
];

/** Decimals and tick of a symbol's prices at this level. */
function decimalsOf(s: SymbolState, p: number): number {
  return priceDecimals(s.cluster, p, s.symbol);
}

function tickOf(s: SymbolState, p: number): number {
  return 1 / 10 ** decimalsOf(s, p);
}

/** A bid/ask around the current price, at least one tick apart. */
function spread(ctx: GenContext, widthPct: number): { bid: number; ask: number } {
  const { u, s } = ctx;
  const mid = u.step(s);
  const tick = tickOf(s, mid);
  const d = decimalsOf(s, mid);
  const half = Math.max(tick, mid * widthPct * (0.5 + u.prng.next()));
  const bid = round(Math.floor((mid - half / 2) / tick) * tick, d);
  let ask = round(Math.ceil((mid + half / 2) / tick) * tick, d);
  if (ask <= bid) ask = round(bid + tick, d);
  return { bid: Math.max(bid, tick), ask };
}

function price(ctx: GenContext): number {
  return roundPrice(ctx.s.cluster, ctx.u.step(ctx.s), ctx.s.symbol);
}

/** FMV and launchpad values name forex pairs without a separator (`C:EURUSD`), per the examples. */
function valueSymbol(s: SymbolState): string {
  return s.cluster === 'forex' ? canonicalSymbol(s.cluster, s.symbol) : s.symbol;
}

// ---- shapes -------------------------------------------------------------------------------

const stockTrade: Generator = (ctx) => {
  const { u, s, now } = ctx;
  const p = price(ctx);
  const size = u.prng.chance(0.3) ? u.prng.int(1, 99) : u.prng.int(1, 20) * 100;
  const x = u.prng.pick(STOCK_EXCHANGES);
  addVolume(s, p, size);
  const conditions = size < 100 ? [37] : u.prng.pick(STOCK_TRADE_CONDITIONS);
  const event: WireEvent = {
    ev: 'T',
    sym: s.symbol,
    x,
    i: String(++s.tradeId),
    z: s.tape,
    p,
    s: size,
    c: conditions,
    t: now,
    q: u.nextSeq(s),
  };
  if (x === 4) {
    event.trfi = u.prng.pick(TRF_IDS);
    event.trft = now - u.prng.int(0, 3);
  }
  return event;
};

const stockQuote: Generator = (ctx) => {
  const { u, s, now } = ctx;
  const { bid, ask } = spread(ctx, 0.0003);
  return {
    ev: 'Q',
    sym: s.symbol,
    bx: u.prng.pick(STOCK_EXCHANGES),
    bp: bid,
    bs: u.prng.int(1, 20),
    ax: u.prng.pick(STOCK_EXCHANGES),
    ap: ask,
    as: u.prng.int(1, 20),
    c: 0,
    i: u.prng.chance(0.1) ? [604] : [],
    t: now,
    q: u.nextSeq(s),
    z: s.tape,
  };
};

const optionTrade: Generator = (ctx) => {
  const { u, s, now } = ctx;
  const p = price(ctx);
  const size = u.prng.int(1, 25);
  addVolume(s, p, size);
  return {
    ev: 'T',
    sym: s.symbol,
    x: u.prng.pick(OPTION_EXCHANGES),
    p,
    s: size,
    c: [u.prng.pick(OPTION_TRADE_CONDITIONS)],
    t: now,
    q: u.nextSeq(s),
  };
};

const optionQuote: Generator = (ctx) => {
  const { u, s, now } = ctx;
  const { bid, ask } = spread(ctx, 0.02);
  return {
    ev: 'Q',
    sym: s.symbol,
    bx: u.prng.pick(OPTION_EXCHANGES),
    ax: u.prng.pick(OPTION_EXCHANGES),
    bp: bid,
    ap: ask,
    bs: u.prng.int(1, 500),
    as: u.prng.int(1, 500),
    t: now,
    q: u.nextSeq(s),
  };
};

const luld: Generator = (ctx) => {
  const { u, s, now } = ctx;
  const p = u.step(s);
  const band = p >= 3 ? 0.05 : 0.2;
  return {
    ev: 'LULD',
    T: s.symbol,
    h: roundPrice(s.cluster, p * (1 + band)),
    l: roundPrice(s.cluster, p * (1 - band)),
    i: u.prng.pick([[17], [21], [17, 21]]),
    z: s.tape,
    t: now,
    q: u.nextSeq(s),
  };
};

const imbalance: Generator = (ctx) => {
  const { u, s, now } = ctx;
  const [at, auction] = u.prng.pick(NOI_AUCTIONS);
  return {
    ev: 'NOI',
    T: s.symbol,
    t: now,
    at,
    a: auction,
    i: u.nextSeq(s),
    x: s.tape === 3 ? 12 : 10,
    o: u.prng.int(1, 500) * 100,
    p: u.prng.int(1, 5000) * 100,
    b: price(ctx),
  };
};

const forexQuote: Generator = (ctx) => {
  const { bid, ask } = spread(ctx, 0.00004);
  return { ev: 'C', p: ctx.s.pair, x: FOREX_EXCHANGE, a: ask, b: bid, t: ctx.now };
};

/** Crypto sizes: a notional between $10 and $100k, in coins. */
function coinSize(ctx: GenContext, p: number): number {
  return Math.max(1e-8, round(10 ** (1 + 4 * ctx.u.prng.next()) / p, 8));
}

/**
 * Crypto events carry the exchange time `t` (the tape's time, so it rises along a pair's tape) and
 * Polygon's receive time `r`, a little later.
 */
function receiveTime(ctx: GenContext): number {
  return ctx.now + ctx.u.prng.int(5, 150);
}

const cryptoTrade: Generator = (ctx) => {
  const { u, s, now } = ctx;
  const p = price(ctx);
  const size = coinSize(ctx, p);
  addVolume(s, p, size);
  return {
    ev: 'XT',
    pair: s.pair,
    p,
    t: now,
    s: size,
    c: [u.prng.pick([1, 2])],
    i: ++s.tradeId,
    x: u.prng.pick(CRYPTO_EXCHANGES),
    r: receiveTime(ctx),
  };
};

const cryptoQuote: Generator = (ctx) => {
  const { u, s, now } = ctx;
  const { bid, ask } = spread(ctx, 0.0002);
  return {
    ev: 'XQ',
    pair: s.pair,
    bp: bid,
    bs: coinSize(ctx, bid),
    ap: ask,
    as: coinSize(ctx, ask),
    t: now,
    x: u.prng.pick(CRYPTO_EXCHANGES),
    r: receiveTime(ctx),
  };
};

const cryptoBook: Generator = (ctx) => {
  const { u, s, now } = ctx;
  const { bid, ask } = spread(ctx, 0.0002);
  const tick = tickOf(s, bid);
  const d = decimalsOf(s, bid);
  const levels = u.prng.int(3, 10);
  const side = (start: number, dir: number): number[][] => {
    const out: number[][] = [];
    let p = start;
    for (let i = 0; i < levels; i++) {
      out.push([round(p, d), coinSize(ctx, p)]);
      p += dir * tick * u.prng.int(1, 5);
    }
    return out;
  };
  return {
    ev: 'XL2',
    pair: s.pair,
    t: now,
    r: receiveTime(ctx),
    x: u.prng.pick(CRYPTO_EXCHANGES),
    b: side(bid, -1),
    a: side(ask, 1),
  };
};

const fairMarketValue: Generator = (ctx) => ({
  ev: 'FMV',
  fmv: price(ctx),
  sym: valueSymbol(ctx.s),
  t: ctx.now,
});

const launchpadValue: Generator = (ctx) => ({
  ev: 'LV',
  val: price(ctx),
  sym: valueSymbol(ctx.s),
  t: ctx.now,
});

const indexValue: Generator = (ctx) => ({ ev: 'V', val: price(ctx), T: ctx.s.symbol, t: ctx.now });

const FUTURES_GENERATORS: Readonly<Record<string, Generator>> = {
  T: futuresTrade,
  Q: futuresQuote,
  A: futuresAggregate('A', SECOND),
  AM: futuresAggregate('AM', MINUTE),
};

// ---- the table ----------------------------------------------------------------------------

/** Generators by websocket.json path. Note `/options/A` generates `A` (its example says `AM`). */
export const GENERATORS: Readonly<Record<string, Generator>> = {
  '/stocks/T': stockTrade,
  '/stocks/Q': stockQuote,
  '/stocks/A': fullAggregate('A', SECOND, true),
  '/stocks/AM': fullAggregate('AM', MINUTE, true),
  '/stocks/LULD': luld,
  '/stocks/NOI': imbalance,
  '/options/T': optionTrade,
  '/options/Q': optionQuote,
  '/options/A': fullAggregate('A', SECOND, true),
  '/options/AM': fullAggregate('AM', MINUTE, true),
  '/forex/C': forexQuote,
  '/forex/CA': pairAggregate('CA', MINUTE, false),
  '/forex/CAS': pairAggregate('CAS', SECOND, false),
  '/crypto/XT': cryptoTrade,
  '/crypto/XQ': cryptoQuote,
  '/crypto/XA': pairAggregate('XA', MINUTE, true),
  '/crypto/XAS': pairAggregate('XAS', SECOND, true),
  '/crypto/XL2': cryptoBook,
  '/indices/A': indexAggregate('A', SECOND),
  '/indices/AM': indexAggregate('AM', MINUTE),
  '/indices/V': indexValue,
  // Every futures path (`/futures/T`, `/futures/cme/T` …) has the same four shapes.
  ...Object.fromEntries(
    STREAMS.filter((s) => isFuturesCluster(s.cluster)).map((s): [string, Generator] => [
      s.schemaPath,
      FUTURES_GENERATORS[s.prefix]!,
    ]),
  ),
  ...Object.fromEntries(
    STREAMS.filter((s) => s.feed !== 'market').map((s): [string, Generator] => [
      s.schemaPath,
      s.prefix === 'FMV'
        ? fairMarketValue
        : s.prefix === 'LV'
          ? launchpadValue
          : fullAggregate('AM', MINUTE, false),
    ]),
  ),
};

for (const s of STREAMS) {
  if (!GENERATORS[s.schemaPath]) throw new Error(`simulator: no generator for ${s.schemaPath}`);
}

export function generatorFor(stream: StreamSpec): Generator {
  const path: unknown =
    typeof stream === 'object' && stream !== null ? stream.schemaPath : undefined;
  if (typeof path !== 'string' || !Object.hasOwn(GENERATORS, path)) {
    throw invalidOption('generatorFor', 'stream', 'an entry of STREAMS', stream);
  }
  return GENERATORS[path]!;
}

/**
 * Relative frequency of a stream's events on a symbol's tape: quotes 3, trades 2, bars' sources
 * and book snapshots 1, the rare ones (bands, imbalances, other feeds' values) 1/4.
 */
export function weightOf(prefix: string): number {
  if (prefix === 'Q' || prefix === 'XQ' || prefix === 'C') return 3;
  if (prefix === 'T' || prefix === 'XT') return 2;
  return ['LULD', 'NOI', 'FMV', 'LV'].includes(prefix) ? 0.25 : 1;
}
