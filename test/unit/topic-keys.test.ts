/**
 * One canonical key per topic: for every stream of the table, the key of the topic a user
 * subscribes to equals the key of that stream's events, however the user spells the symbol and
 * however the event spells it (the provider's examples and the simulator's generators).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterOfTicker, STREAMS, symbolPrefixOf } from '../../src/protocol/streams.js';
import { eventKey, eventPair, topicKey, wildcardOf } from '../../src/protocol/symbols.js';
import { topicsFor } from '../../src/protocol/topics.js';
import { generatorFor, Universe } from '../../src/simulator/index.js';
import { STREAM_EXAMPLES } from '../fixtures/event-examples.js';

/** Ways a user writes `symbol` (`X:BTC-USD`): as is, without the prefix, lower case, other pair spellings. */
function spellings(cluster: string, symbol: string): string[] {
  const prefix = symbolPrefixOf(cluster);
  const bare = prefix !== '' && symbol.startsWith(prefix) ? symbol.slice(prefix.length) : symbol;
  const out = [symbol, bare, symbol.toLowerCase(), bare.toLowerCase()];
  if (/^[A-Z]+-[A-Z]+$/.test(bare)) out.push(bare.replace('-', '/'), bare.replace('-', ''));
  return out;
}

describe('topicKey(subscribe topic) == eventKey(event) for every stream', () => {
  for (const stream of STREAMS) {
    const { cluster } = stream;
    test(`${stream.schemaPath}: the provider's example`, () => {
      const ex = STREAM_EXAMPLES[stream.schemaPath];
      assert.ok(ex, `no example for ${stream.schemaPath}`);
      // /options/A's example says ev 'AM'; its stream's events are 'A'.
      const event = { ...ex.event, ev: stream.ev };
      const key = eventKey(cluster, event);
      assert.ok(key !== undefined);
      for (const symbol of spellings(cluster, ex.symbol)) {
        const [topic] = topicsFor(stream, [symbol], { forceUppercaseSymbols: false });
        assert.equal(topicKey(cluster, topic!), key, `${topic} vs ${JSON.stringify(event)}`);
      }
    });

    test(`${stream.schemaPath}: the simulator's events`, () => {
      const u = new Universe(1);
      const [state, other] = u.symbols(cluster);
      assert.ok(state && other);
      const event = generatorFor(stream)({ u, s: state, now: Date.now() });
      const key = eventKey(cluster, event);
      for (const symbol of spellings(cluster, state.symbol)) {
        const [topic] = topicsFor(stream, [symbol], { forceUppercaseSymbols: false });
        assert.equal(topicKey(cluster, topic!), key, `${topic} vs ${JSON.stringify(event)}`);
      }
      const elsewhere = generatorFor(stream)({ u, s: other, now: Date.now() });
      assert.notEqual(eventKey(cluster, elsewhere), key, 'another symbol has another key');
      assert.equal(topicKey(cluster, wildcardOf(stream.prefix)), wildcardOf(stream.ev));
      assert.equal(wildcardOf(`${stream.prefix}.${state.symbol}`), `${stream.prefix}.*`);
    });
  }
});

describe("eventPair spells a pair as the provider's events do", () => {
  const pairStreams = STREAMS.filter((s) => s.symbolField === 'pair' || s.symbolField === 'p');
  for (const stream of pairStreams) {
    test(`${stream.schemaPath}: ${stream.symbolField} from any spelling of the symbol`, () => {
      const ex = STREAM_EXAMPLES[stream.schemaPath];
      assert.ok(ex, `no example for ${stream.schemaPath}`);
      const spelled = (ex.event as Readonly<Record<string, unknown>>)[stream.symbolField];
      assert.equal(typeof spelled, 'string');
      for (const symbol of spellings(stream.cluster, ex.symbol)) {
        assert.equal(eventPair(stream.cluster, symbol.toUpperCase()), spelled, symbol);
      }
    });
  }
  test("the simulator's pair field is eventPair of its symbol", () => {
    const u = new Universe(1);
    for (const cluster of ['forex', 'crypto'] as const) {
      for (const state of u.symbols(cluster)) {
        assert.equal(state.pair, eventPair(cluster, state.symbol));
        assert.match(state.pair, cluster === 'forex' ? /^[A-Z]+\/[A-Z]+$/ : /^[A-Z]+-[A-Z]+$/);
      }
    }
  });
});

test('clusterOfTicker: the cluster of a REST ticker by its prefix, stocks without one', () => {
  assert.equal(clusterOfTicker('AAPL'), 'stocks');
  assert.equal(clusterOfTicker('CAT'), 'stocks');
  assert.equal(clusterOfTicker('O:SPY251219C00650000'), 'options');
  assert.equal(clusterOfTicker('C:EUR-USD'), 'forex');
  assert.equal(clusterOfTicker('X:BTC-USD'), 'crypto');
  assert.equal(clusterOfTicker('I:SPX'), 'indices');
});
