/**
 * Every subscribe/unsubscribe method of the Python `polygon` library (and beyond), against the
 * simulator: the exact message that reaches the server for each kind of `symbols` argument.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClientMessage } from '../../src/protocol/codec.js';
import { StreamClient } from '../../src/client/stream-client.js';
import { startSimulator, type Simulator, type SimConnection } from '../../src/simulator/index.js';
import { CLUSTERS, type Cluster, STREAMS } from '../../src/protocol/streams.js';
import type { SymbolOptions, Symbols } from '../../src/protocol/topics.js';

/** The provider's stream table, written out independently of src/protocol/streams.ts. */
const PYTHON_TABLE: [pythonName: string, prefix: string, cluster: Cluster][] = [
  ['stock_trades', 'T', 'stocks'],
  ['stock_quotes', 'Q', 'stocks'],
  ['stock_minute_aggregates', 'AM', 'stocks'],
  ['stock_second_aggregates', 'A', 'stocks'],
  ['stock_limit_up_limit_down', 'LULD', 'stocks'],
  ['stock_imbalances', 'NOI', 'stocks'],
  ['option_trades', 'T', 'options'],
  ['option_quotes', 'Q', 'options'],
  ['option_minute_aggregates', 'AM', 'options'],
  ['option_second_aggregates', 'A', 'options'],
  ['forex_quotes', 'C', 'forex'],
  ['forex_minute_aggregates', 'CA', 'forex'],
  ['crypto_trades', 'XT', 'crypto'],
  ['crypto_quotes', 'XQ', 'crypto'],
  ['crypto_minute_aggregates', 'XA', 'crypto'],
  ['crypto_level2_book', 'XL2', 'crypto'],
  ['indices_minute_aggregates', 'AM', 'indices'],
  ['indices_second_aggregates', 'A', 'indices'],
  ['index_value', 'V', 'indices'],
  ['fair_market_value', 'FMV', 'stocks'],
  ['fair_market_value', 'FMV', 'options'],
  ['fair_market_value', 'FMV', 'forex'],
  ['fair_market_value', 'FMV', 'crypto'],
];

/** Per cluster: a lowercase bare symbol, its uppercase prefixed topic symbol, a prefixed input. */
const SYMBOLS: Record<
  Cluster,
  { bare: string; upper: string; lowerPrefixed: string; prefixed: string }
> = {
  stocks: { bare: 'aapl', upper: 'AAPL', lowerPrefixed: 'aapl', prefixed: 'MSFT' },
  options: {
    bare: 'spy251219c00650000',
    upper: 'O:SPY251219C00650000',
    lowerPrefixed: 'O:spy251219c00650000',
    prefixed: 'O:AAPL250117C00150000',
  },
  forex: { bare: 'eur-usd', upper: 'C:EUR-USD', lowerPrefixed: 'C:eur-usd', prefixed: 'C:GBP-USD' },
  crypto: {
    bare: 'btc-usd',
    upper: 'X:BTC-USD',
    lowerPrefixed: 'X:btc-usd',
    prefixed: 'X:ETH-USD',
  },
  indices: { bare: 'spx', upper: 'I:SPX', lowerPrefixed: 'I:spx', prefixed: 'I:NDX' },
  // Futures tickers have no prefix; roots may start with a digit.
  futures: { bare: 'esz6', upper: 'ESZ6', lowerPrefixed: 'clf7', prefixed: '6EH7' },
  'futures/cme': { bare: 'esz6', upper: 'ESZ6', lowerPrefixed: 'nqh7', prefixed: '6EH7' },
  'futures/cbot': { bare: 'znz6', upper: 'ZNZ6', lowerPrefixed: 'zch7', prefixed: 'YMZ6' },
  'futures/nymex': { bare: 'clf7', upper: 'CLF7', lowerPrefixed: 'ngf7', prefixed: 'CLG7' },
  'futures/comex': { bare: 'gcz6', upper: 'GCZ6', lowerPrefixed: 'sih7', prefixed: 'GCG7' },
};

type Method = (symbols?: Symbols, options?: SymbolOptions) => Promise<unknown>;

function method(client: StreamClient, name: string): Method {
  const fn = (client as unknown as Record<string, Method | undefined>)[name];
  assert.equal(typeof fn, 'function', `${name} exists`);
  return fn!.bind(client);
}

const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

describe('every Python library method sends exactly what its symbol rules say', () => {
  let sim: Simulator;
  const clients = new Map<Cluster, StreamClient>();
  const conns = new Map<Cluster, SimConnection>();

  before(async () => {
    sim = await startSimulator({ eventsPerSecond: 1 });
    for (const cluster of CLUSTERS) {
      const client = new StreamClient('methods-key', cluster, {
        host: sim.url,
        onError: () => {},
        onMessage: () => {},
        onClose: () => {},
      });
      await client.startStreamThread({ pingInterval: 0 });
      clients.set(cluster, client);
      conns.set(cluster, await sim.waitFor((c) => c.cluster === cluster && c.authenticated));
    }
  });
  after(async () => {
    for (const c of clients.values()) await c.closeStream();
    await sim.close();
  });

  test("the table has one generated pair per row of the provider's table", () => {
    for (const [pythonName, prefix, cluster] of PYTHON_TABLE) {
      const spec = STREAMS.find((s) => s.pythonName === pythonName && s.cluster === cluster);
      assert.ok(spec, `${pythonName} on ${cluster}`);
      assert.equal(spec.prefix, prefix, pythonName);
    }
    const pythonRows = STREAMS.filter((s) => s.pythonName !== undefined);
    assert.equal(
      pythonRows.length,
      PYTHON_TABLE.length,
      "no Python library stream beyond the provider's table",
    );
  });

  for (const [pythonName, prefix, cluster] of PYTHON_TABLE) {
    const sub = camel(`subscribe_${pythonName}`);
    const unsub =
      pythonName === 'index_value' ? 'unsubscribeIndicesValue' : camel(`unsubscribe_${pythonName}`);
    test(`${sub} / ${unsub} on ${cluster}`, async () => {
      const client = clients.get(cluster)!;
      const conn = conns.get(cluster)!;
      const s = SYMBOLS[cluster];
      const cases: [
        label: string,
        symbols: Symbols,
        options: SymbolOptions | undefined,
        params: string,
      ][] = [
        [
          'list, lowercase, forced upper',
          [s.bare, s.prefixed],
          undefined,
          `${prefix}.${s.upper},${prefix}.${s.prefixed}`,
        ],
        ['[]', [], undefined, `${prefix}.*`],
        ['null', null, undefined, `${prefix}.*`],
        ['undefined', undefined, undefined, `${prefix}.*`],
        ["['*']", ['*'], undefined, `${prefix}.*`],
        ["'all'", 'all', undefined, `${prefix}.*`],
        ['raw string, sent as given', `${prefix}.${s.bare}`, undefined, `${prefix}.${s.bare}`],
        [
          'lowercase, forceUppercaseSymbols false',
          [s.bare],
          { forceUppercaseSymbols: false },
          `${prefix}.${s.lowerPrefixed}`,
        ],
        ['already prefixed', [s.prefixed], undefined, `${prefix}.${s.prefixed}`],
      ];
      for (const [label, symbols, options, params] of cases) {
        const before = conn.received.length;
        await method(client, sub)(symbols, options);
        assert.deepEqual(
          conn.received.slice(before),
          [{ action: 'subscribe', params }] satisfies ClientMessage[],
          `${sub} ${label}`,
        );
        await method(client, unsub)(symbols, options);
        assert.deepEqual(
          conn.received.slice(before + 1),
          [{ action: 'unsubscribe', params }],
          `${unsub} ${label}`,
        );
      }
      assert.equal(conn.subscriptions.size, 0, 'everything unsubscribed again');
    });
  }

  test('beyond the Python library: CAS, XAS, launchpad and both index-value unsubscribe names', async () => {
    const extra: [Cluster, string, string][] = [
      ['forex', 'ForexSecondAggregates', 'CAS.C:EUR-USD'],
      ['crypto', 'CryptoSecondAggregates', 'XAS.X:BTC-USD'],
      ['stocks', 'LaunchpadValue', 'LV.AAPL'],
      ['crypto', 'LaunchpadMinuteAggregates', 'AM.X:BTC-USD'],
      ['indices', 'IndexValue', 'V.I:SPX'],
    ];
    for (const [cluster, stem, topic] of extra) {
      const client = clients.get(cluster)!;
      const conn = conns.get(cluster)!;
      const symbol = SYMBOLS[cluster].bare;
      const before = conn.received.length;
      await method(client, `subscribe${stem}`)([symbol]);
      await method(client, `unsubscribe${stem}`)([symbol]);
      assert.deepEqual(conn.received.slice(before), [
        { action: 'subscribe', params: topic },
        { action: 'unsubscribe', params: topic },
      ]);
    }
    assert.equal(
      typeof (clients.get('indices') as unknown as Record<string, unknown>)[
        'unsubscribeIndexValue'
      ],
      'function',
    );
  });

  test('every generated method name follows the Python name, camelCased', () => {
    const proto = StreamClient.prototype as unknown as Record<string, unknown>;
    for (const s of STREAMS) {
      assert.equal(typeof proto[`subscribe${s.method}`], 'function');
      assert.equal(typeof proto[`unsubscribe${s.method}`], 'function');
      if (s.pythonName)
        assert.equal(`subscribe${s.method}`, `subscribe${cap(camel(s.pythonName))}`);
    }
  });
});
