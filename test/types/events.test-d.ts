/**
 * Type tests (compiled by `npm run typecheck` and by test/unit/types.test.ts, never run): `on`
 * and `events` narrow to the client's cluster for every cluster, and a misspelt or foreign `ev`
 * is a compile error, while an `ev` this version has no type for is reachable through
 * `{ unknown: 'EV' }` and `'*'`.
 */
import { expectTypeOf } from 'expect-type';
import type {
  CryptoAggregate,
  CryptoL2Book,
  CryptoQuote,
  CryptoTrade,
  FairMarketValue,
  ForexAggregate,
  ForexQuote,
  FuturesAggregate,
  FuturesQuote,
  FuturesTrade,
  IndexAggregate,
  IndexValue,
  LaunchpadAggregate,
  LaunchpadValue,
  OptionAggregate,
  OptionQuote,
  OptionTrade,
  PolygonStreamError,
  StatusEvent,
  StockAggregate,
  StockImbalance,
  StockLULD,
  StockQuote,
  StockTrade,
  StreamClient,
  StreamEvent,
  UnknownEvent,
} from '../../src/index.js';

declare const stocks: StreamClient<'stocks'>;
declare const options: StreamClient<'options'>;
declare const forex: StreamClient<'forex'>;
declare const crypto: StreamClient<'crypto'>;
declare const indices: StreamClient<'indices'>;
declare const futures: StreamClient<'futures'>;
declare const cme: StreamClient<'futures/cme'>;
declare const any: StreamClient;

/** The type `on(ev)` hands its listener. */
type OnPayload<L> = L extends (payload: infer P) => unknown ? P : never;
/** The element type of an iterator. */
type Yielded<I> = I extends AsyncIterableIterator<infer T, undefined, undefined> ? T : never;

// ── on(ev): every known ev of every cluster ──────────────────────────────────────────────────
stocks.on('T', (e) => expectTypeOf(e).toEqualTypeOf<StockTrade>());
stocks.on('Q', (e) => expectTypeOf(e).toEqualTypeOf<StockQuote>());
stocks.on('A', (e) => expectTypeOf(e).toEqualTypeOf<StockAggregate<'A'>>());
stocks.on('AM', (e) => expectTypeOf(e).toEqualTypeOf<StockAggregate<'AM'>>());
stocks.on('LULD', (e) => expectTypeOf(e).toEqualTypeOf<StockLULD>());
stocks.on('NOI', (e) => expectTypeOf(e).toEqualTypeOf<StockImbalance>());
stocks.on('FMV', (e) => expectTypeOf(e).toEqualTypeOf<FairMarketValue>());
stocks.on('LV', (e) => expectTypeOf(e).toEqualTypeOf<LaunchpadValue>());
stocks.on('status', (e) => expectTypeOf(e).toEqualTypeOf<StatusEvent>());

options.on('T', (e) => expectTypeOf(e).toEqualTypeOf<OptionTrade>());
options.on('Q', (e) => expectTypeOf(e).toEqualTypeOf<OptionQuote>());
options.on('A', (e) => expectTypeOf(e).toEqualTypeOf<OptionAggregate<'A'>>());
options.on('AM', (e) => expectTypeOf(e).toEqualTypeOf<OptionAggregate<'AM'>>());
options.on('FMV', (e) => expectTypeOf(e).toEqualTypeOf<FairMarketValue>());
options.on('LV', (e) => expectTypeOf(e).toEqualTypeOf<LaunchpadValue>());

forex.on('C', (e) => expectTypeOf(e).toEqualTypeOf<ForexQuote>());
forex.on('CA', (e) => expectTypeOf(e).toEqualTypeOf<ForexAggregate<'CA'>>());
forex.on('CAS', (e) => expectTypeOf(e).toEqualTypeOf<ForexAggregate<'CAS'>>());
forex.on('AM', (e) => expectTypeOf(e).toEqualTypeOf<LaunchpadAggregate>());
forex.on('FMV', (e) => expectTypeOf(e).toEqualTypeOf<FairMarketValue>());
forex.on('LV', (e) => expectTypeOf(e).toEqualTypeOf<LaunchpadValue>());

crypto.on('XT', (e) => expectTypeOf(e).toEqualTypeOf<CryptoTrade>());
crypto.on('XQ', (e) => expectTypeOf(e).toEqualTypeOf<CryptoQuote>());
crypto.on('XL2', (e) => expectTypeOf(e).toEqualTypeOf<CryptoL2Book>());
crypto.on('XA', (e) => expectTypeOf(e).toEqualTypeOf<CryptoAggregate<'XA'>>());
crypto.on('XAS', (e) => expectTypeOf(e).toEqualTypeOf<CryptoAggregate<'XAS'>>());
crypto.on('AM', (e) => expectTypeOf(e).toEqualTypeOf<LaunchpadAggregate>());
crypto.on('FMV', (e) => expectTypeOf(e).toEqualTypeOf<FairMarketValue>());
crypto.on('LV', (e) => expectTypeOf(e).toEqualTypeOf<LaunchpadValue>());

indices.on('A', (e) => expectTypeOf(e).toEqualTypeOf<IndexAggregate<'A'>>());
indices.on('AM', (e) => expectTypeOf(e).toEqualTypeOf<IndexAggregate<'AM'>>());
indices.on('V', (e) => expectTypeOf(e).toEqualTypeOf<IndexValue>());
indices.on('status', (e) => expectTypeOf(e).toEqualTypeOf<StatusEvent>());

// Futures reuse T, Q, A, AM with their own fields: the cluster decides the shape.
futures.on('T', (e) => expectTypeOf(e).toEqualTypeOf<FuturesTrade>());
futures.on('Q', (e) => expectTypeOf(e).toEqualTypeOf<FuturesQuote>());
futures.on('A', (e) => expectTypeOf(e).toEqualTypeOf<FuturesAggregate<'A'>>());
futures.on('AM', (e) => expectTypeOf(e).toEqualTypeOf<FuturesAggregate<'AM'>>());
cme.on('T', (e) => expectTypeOf(e).toEqualTypeOf<FuturesTrade>());
futures.on('T', (e) => {
  // @ts-expect-error a futures trade has no exchange id (a stock field)
  void e.x;
});
futures.on('AM', (e) => {
  // @ts-expect-error a futures bar has no volume-weighted price (a stock field)
  void e.vw;
});
// @ts-expect-error no LULD on futures
futures.on('LULD', () => undefined);

// A client of any cluster: the union of what `ev` is on each.
any.on('T', (e) => expectTypeOf(e).toEqualTypeOf<StockTrade | OptionTrade | FuturesTrade>());

// Everything, unknown events included; lifecycle events.
stocks.on('*', (e) => expectTypeOf(e).toEqualTypeOf<StreamEvent<'stocks'>>());
stocks.on('error', (e) => expectTypeOf(e).toEqualTypeOf<PolygonStreamError>());
expectTypeOf<OnPayload<Parameters<typeof crypto.on<'XQ'>>[1]>>().toEqualTypeOf<CryptoQuote>();

// ── typos and foreign events are compile errors; unknown events have their own route ─────────
// @ts-expect-error a misspelt ev
stocks.on('TT', () => undefined);
// @ts-expect-error stock trades are not on the crypto cluster (its trades are XT)
crypto.on('T', () => undefined);
// @ts-expect-error no V (index value) on stocks
stocks.on('V', () => undefined);
// @ts-expect-error a lifecycle event misspelt
stocks.on('reconect', () => undefined);
stocks.on({ unknown: 'FOO' }, (e) => expectTypeOf(e).toEqualTypeOf<UnknownEvent>());

// ── events(): narrows like on() ──────────────────────────────────────────────────────────────
expectTypeOf<Yielded<ReturnType<typeof stocks.events>>>().toEqualTypeOf<StreamEvent<'stocks'>>();
async function iterate(): Promise<void> {
  for await (const q of stocks.events({ ev: 'Q', symbols: ['AAPL'] })) {
    expectTypeOf(q).toEqualTypeOf<StockQuote>();
    expectTypeOf(q.bp).toEqualTypeOf<number>();
  }
  for await (const e of stocks.events({ ev: ['Q', 'T'] })) {
    expectTypeOf(e).toEqualTypeOf<StockQuote | StockTrade>();
  }
  for await (const e of options.events({ ev: 'T' })) expectTypeOf(e).toEqualTypeOf<OptionTrade>();
  for await (const e of forex.events({ ev: ['C', 'CA'] })) {
    expectTypeOf(e).toEqualTypeOf<ForexQuote | ForexAggregate<'CA'>>();
  }
  for await (const e of crypto.events({ ev: 'XL2', capacity: 10, overflow: 'latest' })) {
    expectTypeOf(e).toEqualTypeOf<CryptoL2Book>();
  }
  for await (const e of indices.events({ ev: 'V' })) expectTypeOf(e).toEqualTypeOf<IndexValue>();
  for await (const e of stocks.events()) expectTypeOf(e).toEqualTypeOf<StreamEvent<'stocks'>>();
  for await (const e of stocks.events({ unknown: 'FOO' })) {
    expectTypeOf(e).toEqualTypeOf<UnknownEvent>();
  }
  // @ts-expect-error a misspelt ev
  stocks.events({ ev: 'QQ' });
  // @ts-expect-error a misspelt ev in a list
  stocks.events({ ev: ['Q', 'TT'] });
  // @ts-expect-error stock quotes are not on crypto
  crypto.events({ ev: 'Q' });
}
void iterate;
