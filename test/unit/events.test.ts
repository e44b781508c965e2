/**
 * Every example in websocket.json, written as a literal of its declared type (so `tsc --noEmit`
 * checks the types against the provider's examples, excess fields included), then compared at
 * runtime with the file itself when it can be found, and run through `symbolOf`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  isKnownEvent,
  isStatusEvent,
  knownEvs,
  type ClusterEvent,
  type CryptoAggregate,
  type CryptoL2Book,
  type CryptoQuote,
  type CryptoTrade,
  type EventOf,
  type EvOf,
  type FairMarketValue,
  type ForexAggregate,
  type ForexQuote,
  type IndexAggregate,
  type IndexValue,
  type LaunchpadAggregate,
  type LaunchpadValue,
  type OptionAggregate,
  type OptionQuote,
  type OptionTrade,
  type StatusEvent,
  type StockAggregate,
  type StockImbalance,
  type StockLULD,
  type StockQuote,
  type StockTrade,
  type StreamEvent,
} from '../../src/protocol/events.js';
import { STREAMS, type Cluster } from '../../src/protocol/streams.js';
import { SYMBOL_FIELDS, symbolOf, topicOf } from '../../src/protocol/symbols.js';

// ── Compile-time checks ──────────────────────────────────────────────────────────────────────────

type Equal<A, B> =
  (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
export type TypeChecks = [
  Expect<Equal<EventOf<'stocks', 'T'>, StockTrade>>,
  Expect<Equal<EventOf<'options', 'T'>, OptionTrade>>,
  Expect<Equal<EventOf<'forex', 'C'>, ForexQuote>>,
  Expect<Equal<EventOf<'crypto', 'XT'>, CryptoTrade>>,
  Expect<Equal<EventOf<'indices', 'V'>, IndexValue>>,
  Expect<Equal<EventOf<'crypto', 'status'>, StatusEvent>>,
  Expect<Equal<EventOf<'stocks', 'AM'>['ev'], 'AM'>>,
  Expect<Equal<EvOf<'indices'>, 'A' | 'AM' | 'V' | 'status'>>,
];

/** Narrowing on `ev` types each case (compile-time only; also run once below). */
function describeCrypto(e: StreamEvent<'crypto'>): string {
  if (!isKnownEvent('crypto', e)) return `unknown ${e.ev}`;
  switch (e.ev) {
    case 'XT':
      return `trade ${e.pair} @ ${e.p.toFixed(2)}`; // `p` is a number here
    case 'XL2':
      return `book ${e.pair} ${e.b.length}x${e.a.length}`;
    case 'status':
      return `status ${e.status}`;
    default:
      return e.ev;
  }
}

/** ev → true, per cluster: a literal that must list exactly EventMap's keys (compile-checked). */
const EVENT_MAP_KEYS: { [C in Cluster]: { [E in EvOf<C>]: true } } = {
  stocks: {
    T: true,
    Q: true,
    A: true,
    AM: true,
    LULD: true,
    NOI: true,
    FMV: true,
    LV: true,
    status: true,
  },
  options: { T: true, Q: true, A: true, AM: true, FMV: true, LV: true, status: true },
  forex: { C: true, CA: true, CAS: true, AM: true, FMV: true, LV: true, status: true },
  crypto: {
    XT: true,
    XQ: true,
    XL2: true,
    XA: true,
    XAS: true,
    AM: true,
    FMV: true,
    LV: true,
    status: true,
  },
  indices: { A: true, AM: true, V: true, status: true },
};

// ── The examples ─────────────────────────────────────────────────────────────────────────────────

interface Example {
  cluster: Cluster;
  symbol: string;
  event: StreamEvent;
  /** Fields where websocket.json's example departs from its own schema, as the file has them. */
  quirks?: Record<string, unknown>;
}

/** Checks `event` against `T` exactly (excess properties too), and `T` against the cluster map. */
const as =
  <T>() =>
  <C extends Cluster>(cluster: C, symbol: string, event: T & ClusterEvent<C>): Example => ({
    cluster,
    symbol,
    event,
  });

const EXAMPLES: Record<string, Example> = {
  '/stocks/T': as<StockTrade>()('stocks', 'MSFT', {
    ev: 'T',
    sym: 'MSFT',
    x: 4,
    i: '12345',
    z: 3,
    p: 114.125,
    s: 100,
    c: [0, 12],
    t: 1536036818784,
    q: 3681328,
  }),
  '/stocks/Q': as<StockQuote>()('stocks', 'MSFT', {
    ev: 'Q',
    sym: 'MSFT',
    bx: 4,
    bp: 114.125,
    bs: 100,
    ax: 7,
    ap: 114.128,
    as: 160,
    c: 0,
    i: [604],
    t: 1536036818784,
    q: 50385480,
    z: 3,
  }),
  '/stocks/A': as<StockAggregate<'A'>>()('stocks', 'SPCE', {
    ev: 'A',
    sym: 'SPCE',
    v: 200,
    av: 8642007,
    op: 25.66,
    vw: 25.3981,
    o: 25.39,
    c: 25.39,
    h: 25.39,
    l: 25.39,
    a: 25.3714,
    z: 50,
    s: 1610144868000,
    e: 1610144869000,
  }),
  '/stocks/AM': as<StockAggregate<'AM'>>()('stocks', 'GTE', {
    ev: 'AM',
    sym: 'GTE',
    v: 4110,
    av: 9470157,
    op: 0.4372,
    vw: 0.4488,
    o: 0.4488,
    c: 0.4486,
    h: 0.4489,
    l: 0.4486,
    a: 0.4352,
    z: 685,
    s: 1610144640000,
    e: 1610144700000,
  }),
  '/stocks/LULD': as<StockLULD>()('stocks', 'MSFT', {
    ev: 'LULD',
    T: 'MSFT',
    h: 218.96,
    l: 198.11,
    i: [21],
    z: 3,
    t: 1601316752683746,
    q: 290317,
  }),
  '/stocks/NOI': as<StockImbalance>()('stocks', 'NTEST.Q', {
    ev: 'NOI',
    T: 'NTEST.Q',
    t: 1601318039223013600,
    at: 930,
    a: 'M',
    i: 44,
    x: 10,
    o: 480,
    p: 440,
    b: 25.03,
  }),
  '/business/stocks/FMV': as<FairMarketValue>()('stocks', 'AAPL', {
    ev: 'FMV',
    fmv: 189.22,
    sym: 'AAPL',
    t: 1678220098130,
  }),
  '/launchpad/stocks/AM': as<LaunchpadAggregate>()('stocks', 'GTE', {
    ev: 'AM',
    sym: 'GTE',
    v: 4110,
    av: 9470157,
    op: 0.4372,
    vw: 0.4488,
    o: 0.4488,
    c: 0.4486,
    h: 0.4489,
    l: 0.4486,
    a: 0.4352,
    z: 685,
    s: 1610144640000,
    e: 1610144700000,
  }),
  '/launchpad/stocks/LV': as<LaunchpadValue>()('stocks', 'AAPL', {
    ev: 'LV',
    val: 189.22,
    sym: 'AAPL',
    t: 1678220098130,
  }),
  '/options/T': as<OptionTrade>()('options', 'O:AMC210827C00037000', {
    ev: 'T',
    sym: 'O:AMC210827C00037000',
    x: 65,
    p: 1.54,
    s: 1,
    c: [233],
    t: 1629820676333,
    q: 651921857,
  }),
  '/options/Q': as<OptionQuote>()('options', 'O:SPY241220P00720000', {
    ev: 'Q',
    sym: 'O:SPY241220P00720000',
    bx: 302,
    ax: 302,
    bp: 9.71,
    ap: 9.81,
    bs: 17,
    as: 24,
    t: 1644506128351,
    q: 844090872,
  }),
  // Documented quirk: the provider's example for the per-second stream says ev 'AM'. Per-second
  // option aggregates are 'A' on the wire; the shape is the same, so the example is typed as what
  // it literally is (an 'AM' bar) and a test below pins the quirk.
  '/options/A': as<OptionAggregate<'AM'>>()('options', 'O:ONEM220121C00025000', {
    ev: 'AM',
    sym: 'O:ONEM220121C00025000',
    v: 2,
    av: 8,
    op: 2.2,
    vw: 2.05,
    o: 2.05,
    c: 2.05,
    h: 2.05,
    l: 2.05,
    a: 2.1312,
    z: 2,
    s: 1632419640000,
    e: 1632419700000,
  }),
  '/options/AM': as<OptionAggregate<'AM'>>()('options', 'O:ONEM220121C00025000', {
    ev: 'AM',
    sym: 'O:ONEM220121C00025000',
    v: 2,
    av: 8,
    op: 2.2,
    vw: 2.05,
    o: 2.05,
    c: 2.05,
    h: 2.05,
    l: 2.05,
    a: 2.1312,
    z: 2,
    s: 1632419640000,
    e: 1632419700000,
  }),
  '/business/options/FMV': as<FairMarketValue>()('options', 'O:TSLA210903C00700000', {
    ev: 'FMV',
    fmv: 7.2,
    sym: 'O:TSLA210903C00700000',
    t: 1401715883806000000,
  }),
  '/launchpad/options/AM': as<LaunchpadAggregate>()('options', 'O:ONEM220121C00025000', {
    ev: 'AM',
    sym: 'O:ONEM220121C00025000',
    v: 2,
    av: 8,
    op: 2.2,
    vw: 2.05,
    o: 2.05,
    c: 2.05,
    h: 2.05,
    l: 2.05,
    a: 2.1312,
    z: 1,
    s: 1632419640000,
    e: 1632419700000,
  }),
  '/launchpad/options/LV': as<LaunchpadValue>()('options', 'O:TSLA210903C00700000', {
    ev: 'LV',
    val: 7.2,
    sym: 'O:TSLA210903C00700000',
    t: 1401715883806000000,
  }),
  // Documented quirk: the provider's example sends `x` as the string "44" although its schema
  // says integer. ForexQuote types what the schema says; the literal uses 44 and `quirks` records
  // what the file actually holds.
  '/forex/C': {
    ...as<ForexQuote>()('forex', 'USD/CNH', {
      ev: 'C',
      p: 'USD/CNH',
      x: 44,
      a: 6.83366,
      b: 6.83363,
      t: 1536036818784,
    }),
    quirks: { x: '44' },
  },
  // The provider's CA/CAS examples leave out `e` (window end), so ForexAggregate makes it optional.
  '/forex/CA': as<ForexAggregate<'CA'>>()('forex', 'USD/EUR', {
    ev: 'CA',
    pair: 'USD/EUR',
    o: 0.8687,
    c: 0.86889,
    h: 0.86889,
    l: 0.8686,
    v: 20,
    s: 1539145740000,
  }),
  '/forex/CAS': as<ForexAggregate<'CAS'>>()('forex', 'USD/EUR', {
    ev: 'CAS',
    pair: 'USD/EUR',
    o: 0.8687,
    c: 0.86889,
    h: 0.86889,
    l: 0.8686,
    v: 20,
    s: 1539145740000,
  }),
  '/business/forex/FMV': as<FairMarketValue>()('forex', 'C:EURUSD', {
    ev: 'FMV',
    fmv: 1.0631,
    sym: 'C:EURUSD',
    t: 1678220098130,
  }),
  '/launchpad/forex/AM': as<LaunchpadAggregate>()('forex', 'C:USD-EUR', {
    ev: 'AM',
    sym: 'C:USD-EUR',
    v: 4110,
    av: 9470157,
    op: 0.9272,
    vw: 0.9288,
    o: 0.9288,
    c: 0.9286,
    h: 0.9289,
    l: 0.9206,
    a: 0.9352,
    z: 685,
    s: 1610144640000,
    e: 1610144700000,
  }),
  '/launchpad/forex/LV': as<LaunchpadValue>()('forex', 'C:EURUSD', {
    ev: 'LV',
    val: 1.0631,
    sym: 'C:EURUSD',
    t: 1678220098130,
  }),
  '/crypto/XT': as<CryptoTrade>()('crypto', 'BTC-USD', {
    ev: 'XT',
    pair: 'BTC-USD',
    p: 33021.9,
    t: 1610462007425,
    s: 0.01616617,
    c: [2],
    i: 14272084,
    x: 3,
    r: 1610462007576,
  }),
  '/crypto/XQ': as<CryptoQuote>()('crypto', 'BTC-USD', {
    ev: 'XQ',
    pair: 'BTC-USD',
    bp: 33052.79,
    bs: 0.48,
    ap: 33073.19,
    as: 0.601,
    t: 1610462411115,
    x: 1,
    r: 1610462411128,
  }),
  '/crypto/XL2': as<CryptoL2Book>()('crypto', 'BTC-USD', {
    ev: 'XL2',
    pair: 'BTC-USD',
    t: 1610462411115,
    r: 1610462411128,
    x: 1,
    b: [
      [33712.71, 0.18635],
      [33712.7, 0.134],
    ],
    a: [
      [33718.23, 3.5527483],
      [33718.24, 0.1],
    ],
  }),
  '/crypto/XA': as<CryptoAggregate<'XA'>>()('crypto', 'BCD-USD', {
    ev: 'XA',
    pair: 'BCD-USD',
    v: 951.6112,
    vw: 0.7756,
    z: 73,
    o: 0.772,
    c: 0.784,
    h: 0.784,
    l: 0.771,
    s: 1610463240000,
    e: 1610463300000,
  }),
  '/crypto/XAS': as<CryptoAggregate<'XAS'>>()('crypto', 'BCD-USD', {
    ev: 'XAS',
    pair: 'BCD-USD',
    v: 951.6112,
    vw: 0.7756,
    z: 73,
    o: 0.772,
    c: 0.784,
    h: 0.784,
    l: 0.771,
    s: 1610463240000,
    e: 1610463300000,
  }),
  '/business/crypto/FMV': as<FairMarketValue>()('crypto', 'X:BTC-USD', {
    ev: 'FMV',
    fmv: 33021.9,
    sym: 'X:BTC-USD',
    t: 1610462007425,
  }),
  '/launchpad/crypto/AM': as<LaunchpadAggregate>()('crypto', 'X:BTC-USD', {
    ev: 'AM',
    sym: 'X:BTC-USD',
    v: 951.6112,
    av: 738.6112,
    op: 26503.8,
    vw: 26503.8,
    o: 27503.8,
    c: 27203.8,
    h: 27893.8,
    l: 26503.8,
    a: 26503.8,
    z: 10,
    s: 1610463240000,
    e: 1610463300000,
  }),
  '/launchpad/crypto/LV': as<LaunchpadValue>()('crypto', 'X:BTC-USD', {
    ev: 'LV',
    val: 33021.9,
    sym: 'X:BTC-USD',
    t: 1610462007425,
  }),
  '/indices/A': as<IndexAggregate<'A'>>()('indices', 'I:SPX', {
    ev: 'A',
    sym: 'I:SPX',
    op: 3985.67,
    o: 3985.67,
    c: 3985.67,
    h: 3985.67,
    l: 3985.67,
    s: 1678220675805,
    e: 1678220675805,
  }),
  '/indices/AM': as<IndexAggregate<'AM'>>()('indices', 'I:SPX', {
    ev: 'AM',
    sym: 'I:SPX',
    op: 3985.67,
    o: 3985.67,
    c: 3985.67,
    h: 3985.67,
    l: 3985.67,
    s: 1678220675805,
    e: 1678220675805,
  }),
  '/indices/V': as<IndexValue>()('indices', 'I:SPX', {
    ev: 'V',
    val: 3988.5,
    T: 'I:SPX',
    t: 1678220098130,
  }),
};

// ── websocket.json (vendored from the provider's description in test/fixtures) ──────────────────

interface Spec {
  paths: Record<
    string,
    { get: { responses: { 200: { content: { 'application/json': { example: unknown } } } } } }
  >;
}

function loadSpec(): Spec {
  const file = fileURLToPath(new URL('../fixtures/websocket.json', import.meta.url));
  return JSON.parse(readFileSync(file, 'utf8')) as Spec;
}

const spec = loadSpec();
const exampleOf = (path: string): unknown =>
  spec.paths[path]?.get.responses[200].content['application/json'].example;

describe('websocket.json examples', () => {
  test('there is a typed example for every path in websocket.json', () => {
    assert.deepEqual(Object.keys(EXAMPLES).sort(), Object.keys(spec.paths).sort());
  });

  const paths = Object.keys(spec.paths);
  for (const path of paths) {
    test(path, () => {
      const ex = EXAMPLES[path];
      assert.ok(ex, `no typed example for ${path}`);
      if (spec) assert.deepEqual(exampleOf(path), { ...ex.event, ...ex.quirks });
      assert.equal(symbolOf(ex.event), ex.symbol);
      assert.equal(topicOf(ex.event), `${ex.event.ev}.${ex.symbol}`);
      assert.ok(isKnownEvent(ex.cluster, ex.event), `${ex.event.ev} unknown on ${ex.cluster}`);
      const stream = STREAMS.find((s) => s.schemaPath === path);
      assert.ok(stream, `no stream for ${path}`);
      assert.equal(stream.cluster, ex.cluster);
      assert.equal((ex.event as unknown as Record<string, unknown>)[stream.symbolField], ex.symbol);
      if (path !== '/options/A') assert.equal(ex.event.ev, stream.ev);
    });
  }

  test("quirk: /options/A's example says ev 'AM'", () => {
    assert.equal(EXAMPLES['/options/A']!.event.ev, 'AM');
    if (spec) assert.equal((exampleOf('/options/A') as { ev: string }).ev, 'AM');
  });

  test('quirk: /forex/C example sends x as a string; the schema says integer', () => {
    if (spec) assert.equal((exampleOf('/forex/C') as { x: unknown }).x, '44');
    assert.equal((EXAMPLES['/forex/C']!.event as ForexQuote).x, 44);
  });
});

describe('EventMap and STREAMS agree', () => {
  test('every stream has a typed example, and every example a stream', () => {
    const schemaPaths = new Set(STREAMS.map((s) => s.schemaPath));
    assert.deepEqual([...schemaPaths].sort(), Object.keys(EXAMPLES).sort());
  });

  test("EventMap's evs per cluster are exactly STREAMS' evs plus status", () => {
    for (const [cluster, evs] of Object.entries(EVENT_MAP_KEYS)) {
      const fromStreams = STREAMS.filter((s) => s.cluster === cluster).map((s) => s.ev);
      assert.deepEqual(Object.keys(evs).sort(), [...new Set([...fromStreams, 'status'])].sort());
      assert.deepEqual([...knownEvs(cluster)].sort(), Object.keys(evs).sort());
    }
  });

  test('all rows with the same ev name the same symbol field', () => {
    for (const s of STREAMS) assert.equal(SYMBOL_FIELDS.get(s.ev), s.symbolField, s.method);
  });
});

describe('symbolOf / topicOf', () => {
  test('crypto trade: p is the price, the symbol is pair', () => {
    const e = EXAMPLES['/crypto/XT']!.event;
    assert.equal(symbolOf(e), 'BTC-USD');
    assert.equal(topicOf(e), 'XT.BTC-USD');
  });

  test('forex quote: p is the pair', () => {
    assert.equal(symbolOf({ ev: 'C', p: 'EUR/USD', a: 1, b: 1, x: 1, t: 1 }), 'EUR/USD');
  });

  test('unknown ev passes through with the sym ?? T ?? pair fallback', () => {
    const futures: StreamEvent = { ev: 'FT', sym: 'ESZ5', p: 6000.25 };
    assert.equal(isKnownEvent('stocks', futures), false);
    assert.equal(symbolOf(futures), 'ESZ5');
    assert.equal(topicOf(futures), 'FT.ESZ5');
    assert.equal(symbolOf({ ev: 'ZZ', T: 'ABC' }), 'ABC');
    assert.equal(symbolOf({ ev: 'ZZ', pair: 'ETH-USD' }), 'ETH-USD');
    assert.equal(symbolOf({ ev: 'ZZ', sym: 7, T: 'ABC' }), 'ABC');
    assert.equal(symbolOf({ ev: 'ZZ', p: 'not a symbol field for unknown ev' }), undefined);
  });

  test('status events have no symbol and no topic', () => {
    const status: StatusEvent = { ev: 'status', status: 'auth_success', message: 'authenticated' };
    assert.ok(isStatusEvent(status));
    assert.equal(symbolOf(status), undefined);
    assert.equal(topicOf(status), undefined);
    assert.ok(isKnownEvent('indices', status));
  });

  test('narrowing helper types each case', () => {
    assert.equal(
      describeCrypto(EXAMPLES['/crypto/XT']!.event as StreamEvent<'crypto'>),
      'trade BTC-USD @ 33021.90',
    );
    assert.equal(describeCrypto({ ev: 'XNEW', pair: 'BTC-USD' }), 'unknown XNEW');
  });
});
