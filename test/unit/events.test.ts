/**
 * Every example in websocket.json, as typed literals (test/fixtures/event-examples.ts), compared
 * at runtime with the file itself and run through `symbolOf`; the event types against the stream
 * table.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type CryptoTrade,
  type EventOf,
  type EvOf,
  type ForexQuote,
  type IndexValue,
  type OptionTrade,
  type StatusEvent,
  type StockTrade,
  type StreamEvent,
} from '../../src/protocol/events.js';
import { isKnownEvent, isStatusEvent, knownEvs } from '../../src/protocol/known-events.js';
import { STREAMS, type Cluster } from '../../src/protocol/streams.js';
import { SYMBOL_FIELDS, symbolOf, topicOf } from '../../src/protocol/symbols.js';
import { EXAMPLES, STREAM_EXAMPLES } from '../fixtures/event-examples.js';

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

/** Every futures cluster (all exchanges, or one) has the same events. */
const FUTURES_KEYS = { T: true, Q: true, A: true, AM: true, status: true } as const;

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
  futures: FUTURES_KEYS,
  'futures/cme': FUTURES_KEYS,
  'futures/cbot': FUTURES_KEYS,
  'futures/nymex': FUTURES_KEYS,
  'futures/comex': FUTURES_KEYS,
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
    assert.deepEqual([...schemaPaths].sort(), Object.keys(STREAM_EXAMPLES).sort());
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
