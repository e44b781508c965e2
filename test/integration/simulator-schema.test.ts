/**
 * Every stream's generated events against its schema in websocket.json: over the wire (subscribe
 * PREFIX.* on the stream's cluster) and straight from the generator table (every field covered).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Ajv, ValidateFunction } from 'ajv';
import type { WireEvent } from '../../src/protocol/codec.js';
import { GENERATORS, startSimulator, Universe, type Simulator } from '../../src/simulator/index.js';
import {
  isFuturesCluster,
  STREAMS as ALL_STREAMS,
  streamsOfCluster,
  type StreamSpec,
} from '../../src/protocol/streams.js';
import { connect, isData, type TestClient } from '../helpers/sim.js';
import { loadSpec, propertiesOf, schemaOf, type Spec, validatorOf } from '../helpers/schema.js';

const T = { timeout: 10_000 };

/**
 * websocket.json has no futures paths: futures events are checked against the provider's field
 * tables in simulator-futures.test.ts instead.
 */
const STREAMS = ALL_STREAMS.filter((s) => !isFuturesCluster(s.cluster));

const MS_FIELDS = ['t', 'r', 'trft', 's', 'e'];

/** Checks beyond the schema: ev, no stray fields, current ms timestamps, sane prices. */
function checkEvent(
  stream: StreamSpec,
  e: WireEvent,
  props: Set<string>,
  strictKeys: boolean,
): void {
  const where = `${stream.schemaPath}: ${JSON.stringify(e)}`;
  assert.equal(e.ev, stream.ev, where);
  if (strictKeys)
    for (const k of Object.keys(e)) assert.ok(props.has(k), `stray field ${k} in ${where}`);
  const now = Date.now();
  for (const f of MS_FIELDS) {
    const v = e[f];
    if (typeof v !== 'number' || (f === 's' && !('e' in e))) continue; // `s` is a size on trades
    assert.ok(Math.abs(v - now) < 5 * 60_000, `${f} is not a current Unix ms time in ${where}`);
  }
  if (typeof e.h === 'number' && typeof e.l === 'number' && typeof e.o === 'number') {
    const { o, h, l, c } = e as unknown as { o: number; h: number; l: number; c: number };
    assert.ok(l <= Math.min(o, c) && h >= Math.max(o, c), `OHLC in ${where}`);
  }
  for (const [bid, ask] of [
    ['bp', 'ap'],
    ['b', 'a'],
  ]) {
    const b = e[bid as string];
    const a = e[ask as string];
    if (typeof b === 'number' && typeof a === 'number' && e.ev !== 'NOI') {
      assert.ok(b > 0 && b < a, `bid < ask in ${where}`);
    }
  }
}

function validate(v: ValidateFunction, stream: StreamSpec, e: WireEvent): void {
  assert.ok(v(e), `${stream.schemaPath}: ${JSON.stringify(v.errors)} in ${JSON.stringify(e)}`);
}

describe('simulator events match websocket.json', () => {
  let spec: Spec;
  let ajv: Ajv;
  let sim: Simulator;
  const clients: TestClient[] = [];

  before(async () => {
    ({ spec, ajv } = loadSpec());
    // Shortened aggregate windows: minute bars every 600 ms, not every minute.
    sim = await startSimulator({ seed: 11, eventsPerSecond: 4_000, tickMs: 10, windowScale: 0.01 });
  });

  after(async () => {
    for (const c of clients) c.close();
    await sim.close();
  });

  it('the validator rejects a wrong type and a wrong ev (sanity)', () => {
    const v = validatorOf(ajv, '/stocks/T');
    assert.equal(v({ ev: 'T', sym: 'AAPL', s: 1.5 }), false);
    assert.equal(v({ ev: 'Q', sym: 'AAPL' }), false);
    assert.equal(v({ ev: 'T', sym: 'AAPL', s: 100, p: 1.5, c: [0] }), true);
  });

  describe('generator table, every field covered', () => {
    for (const stream of STREAMS) {
      it(stream.schemaPath, () => {
        const schema = schemaOf(spec, stream.schemaPath);
        const props = propertiesOf(schema);
        const v = validatorOf(ajv, stream.schemaPath);
        const gen = GENERATORS[stream.schemaPath];
        assert.ok(gen && v, stream.schemaPath);
        const u = new Universe(5);
        const symbols = u.symbols(stream.cluster);
        const seen = new Set<string>();
        const lastSeq = new Map<string, number>();
        for (let i = 0; i < 800; i++) {
          const s = symbols[i % symbols.length];
          assert.ok(s);
          const e = gen({ u, s, now: Date.now() });
          validate(v, stream, e);
          checkEvent(stream, e, props, true);
          for (const k of Object.keys(e)) seen.add(k);
          if (typeof e.q === 'number') {
            assert.ok(e.q > (lastSeq.get(s.symbol) ?? -1), `q rises for ${s.symbol}`);
            lastSeq.set(s.symbol, e.q);
          }
        }
        const missing = [...props].filter((p) => !seen.has(p));
        assert.deepEqual(missing, [], `${stream.schemaPath} never produces ${missing.join(', ')}`);
      });
    }
  });

  describe('over the wire, PREFIX.* on the stream cluster', () => {
    for (const stream of STREAMS) {
      const served = streamsOfCluster(stream.cluster).includes(stream);
      it(`${stream.schemaPath} (${stream.cluster} ${stream.prefix}.*)`, T, async () => {
        const v = validatorOf(ajv, stream.schemaPath);
        const props = propertiesOf(schemaOf(spec, stream.schemaPath));
        const c = await connect(sim, stream.cluster);
        clients.push(c);
        await c.auth(`key-${stream.schemaPath}`);
        await c.subscribe(`${stream.prefix}.*`);
        const events = await c.waitForMany(isData, 40, 0, 5_000);
        for (const e of events) {
          validate(v, stream, e);
          // Where another feed's stream serves the prefix (launchpad AM on stocks), its extra
          // optional fields (otc) are allowed.
          checkEvent(stream, e, props, served);
        }
        c.close();
      });
    }
  });
});
