/**
 * The simulator's REST history on its WebSocket port: every endpoint and cluster validated against
 * the provider's description (rest-history.json), pages followed through `next_url` give back the
 * tape exactly (each row converted by the client's mapping is the event the stream delivered, less
 * the fields REST lacks), both orders, auth (Bearer and ?apiKey), 401, 429 and error bodies.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import type { WireEvent } from '../../src/protocol/codec.js';
import {
  historyPath,
  historyRoute,
  parseHistoryBody,
  restTicker,
} from '../../src/protocol/rest/rest-history.js';
import { isFuturesCluster, STREAMS, type StreamSpec } from '../../src/protocol/streams.js';
import { eventTime } from '../../src/protocol/timestamps.js';
import { StreamClient } from '../../src/index.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { connectAuthed, pause, type TestClient } from '../helpers/sim.js';

const T = { timeout: 20_000 };
const KEY = 'rest-key';
const SPEC = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/rest-history.json', import.meta.url)), 'utf8'),
) as {
  paths: Record<
    string,
    { get: { responses: { '200': { content: Record<string, { schema: object }> } } } }
  >;
};

const ajv = new Ajv({ strict: false, allErrors: true });
for (const f of ['double', 'float', 'int64', 'int32']) ajv.addFormat(f, () => true);

/** The provider's path template an endpoint and cluster use. */
const TEMPLATE: Record<string, string> = {
  'trades stocks': '/v3/trades/{stockTicker}',
  'trades options': '/v3/trades/{optionsTicker}',
  'trades crypto': '/v3/trades/{cryptoTicker}',
  'quotes stocks': '/v3/quotes/{stockTicker}',
  'quotes options': '/v3/quotes/{optionsTicker}',
  'quotes forex': '/v3/quotes/{fxTicker}',
  'aggs stocks': '/v2/aggs/ticker/{stocksTicker}/range/{multiplier}/{timespan}/{from}/{to}',
  'aggs options': '/v2/aggs/ticker/{optionsTicker}/range/{multiplier}/{timespan}/{from}/{to}',
  'aggs forex': '/v2/aggs/ticker/{forexTicker}/range/{multiplier}/{timespan}/{from}/{to}',
  'aggs crypto': '/v2/aggs/ticker/{cryptoTicker}/range/{multiplier}/{timespan}/{from}/{to}',
  'aggs indices': '/v2/aggs/ticker/{indicesTicker}/range/{multiplier}/{timespan}/{from}/{to}',
};

const validators = new Map<string, ValidateFunction>();
function validatorFor(template: string): ValidateFunction {
  let v = validators.get(template);
  if (!v) {
    const content = SPEC.paths[template]!.get.responses['200'].content['application/json']!;
    validators.set(template, (v = ajv.compile(content.schema)));
  }
  return v;
}

/** A symbol of each cluster, and the topic's tape key. */
const SYMBOL: Record<string, [symbol: string, canonical: string]> = {
  stocks: ['AAPL', 'AAPL'],
  options: ['O:SPY251219C00650000', 'O:SPY251219C00650000'],
  forex: ['EUR-USD', 'C:EURUSD'],
  crypto: ['BTC-USD', 'X:BTCUSD'],
  indices: ['I:SPX', 'I:SPX'],
};

// The provider's description (rest-history.json) has no futures endpoints: futures REST is checked
// against FUTURES-AND-HOSTS.md's field tables in simulator-futures.test.ts instead.
const WITH_HISTORY = STREAMS.filter(
  (s) => historyRoute(s) !== undefined && !isFuturesCluster(s.cluster),
);

async function get(
  url: string,
  headers: Record<string, string> = { Authorization: `Bearer ${KEY}` },
): Promise<{ status: number; body: Record<string, unknown>; json: unknown }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  const body = parseHistoryBody(text) as Record<string, unknown>;
  return { status: res.status, body, json: JSON.parse(text) };
}

/** An event without the fields REST lacks (or may lack), as the stream or REST gives it. */
function expected(s: StreamSpec, e: WireEvent): WireEvent {
  const route = historyRoute(s)!;
  const out: Record<string, unknown> = { ...e };
  for (const f of route.absent) delete out[f];
  // Bars: the window end is the nominal window after the start (the simulator scales windows).
  if (route.endpoint === 'aggs') out['e'] = (e['s'] as number) + route.windowMs;
  return out as WireEvent;
}

describe('simulator REST history', () => {
  let sim: Simulator;
  let base: string;
  const clients: TestClient[] = [];

  before(async () => {
    sim = await startSimulator({
      apiKeys: [KEY],
      eventsPerSecond: 3_000,
      tickMs: 10,
      windowScale: 0.01,
      seed: 5,
    });
    base = sim.url.replace('ws:', 'http:');
    for (const cluster of Object.keys(SYMBOL)) {
      const c = await connectAuthed(sim, cluster, KEY);
      clients.push(c);
      const [symbol] = SYMBOL[cluster]!;
      const topics = WITH_HISTORY.filter((s) => s.cluster === cluster).map(
        (s) => `${s.prefix}.${symbol}`,
      );
      await c.subscribe(topics.join(','));
    }
    await pause(1_500);
  });

  after(async () => {
    for (const c of clients) c.close();
    await sim.close();
  });

  for (const s of WITH_HISTORY) {
    it(`${s.schemaPath}: pages match the description and give back the tape`, T, async () => {
      const route = historyRoute(s)!;
      const [symbol, canonical] = SYMBOL[s.cluster]!;
      const tape = sim.history(s.cluster, `${s.prefix}.${canonical}`);
      assert.ok(tape.length >= 3, `${s.schemaPath}: tape has events`);
      const from = eventTime(tape[0]!);
      const to = eventTime(tape[tape.length - 1]!) + 1;
      const ticker = restTicker(s, symbol);
      const validate = validatorFor(TEMPLATE[`${route.endpoint} ${s.cluster}`]!);
      const want = tape.filter((e) => eventTime(e) >= from && eventTime(e) < to);
      const limit = Math.max(1, Math.ceil(want.length / 3));
      let url: string | undefined = base + historyPath(s, route, ticker, { from, to }, limit);
      const got: WireEvent[] = [];
      let pages = 0;
      while (url) {
        const { status, body, json } = await get(url);
        assert.equal(status, 200, JSON.stringify(body));
        assert.ok(validate(json), `${url}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
        for (const row of body['results'] as Record<string, unknown>[]) {
          got.push(route.convert(row, ticker)!);
        }
        url = body['next_url'] as string | undefined;
        assert.ok(!url || url.includes('cursor='), 'next_url carries a cursor');
        pages++;
      }
      assert.equal(pages, Math.ceil(want.length / limit), `pages of ${limit}`);
      assert.deepEqual(
        got.map((e) => expected(s, e)),
        want.map((e) => expected(s, e)),
      );
    });
  }

  it('order=desc gives the newest first; ?apiKey= authenticates too', T, async () => {
    const q = sim.history('stocks', 'Q.AAPL');
    const to = (q[q.length - 1]!['t'] as number) + 1;
    const url = `${base}/v3/quotes/AAPL?timestamp.lt=${to}000000&limit=5&apiKey=${KEY}`;
    const { status, body } = await get(url, {});
    assert.equal(status, 200);
    const qs = (body['results'] as { sequence_number: number }[]).map((r) => r.sequence_number);
    assert.deepEqual(
      qs,
      q
        .slice(-5)
        .map((e) => e['q'])
        .reverse(),
    );
  });

  it('401 without a key or with a bad one; 400 and 404 with the error body', T, async () => {
    const url = `${base}/v3/trades/AAPL?limit=1`;
    const none = await get(url, {});
    assert.equal(none.status, 401);
    assert.equal(none.body['status'], 'NOT_AUTHORIZED');
    assert.equal(typeof none.body['request_id'], 'string');
    const bad = await get(url, { Authorization: 'Bearer nope' });
    assert.equal(bad.status, 401);
    assert.match(String(bad.body['message']), /Unknown API Key/);
    const limit = await get(`${base}/v3/trades/AAPL?limit=0`);
    assert.equal(limit.status, 400);
    assert.equal(limit.body['status'], 'ERROR');
    assert.match(String(limit.body['message']), /limit/);
    const span = await get(`${base}/v2/aggs/ticker/AAPL/range/1/hour/0/1`);
    assert.equal(span.status, 400);
    const cursor = await get(`${base}/v3/trades/AAPL?cursor=garbage`);
    assert.equal(cursor.status, 400);
    const none404 = await get(`${base}/v3/quotes/X:BTC-USD`);
    assert.equal(none404.status, 404);
    // Not a history path: the WebSocket server's own answer.
    assert.equal((await fetch(`${base}/v1/other`)).status, 404);
  });

  it('429 over the configured rate, per key', T, async () => {
    const limited = await startSimulator({ apiKeys: [KEY], restRequestsPerSecond: 2 });
    try {
      const url = `${limited.url.replace('ws:', 'http:')}/v3/trades/AAPL`;
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await get(url)).status);
      assert.deepEqual(statuses, [200, 200, 429, 429]);
      const { body } = await get(url);
      assert.equal(body['status'], 'ERROR');
    } finally {
      await limited.close();
    }
  });

  it('client.history() against the simulator is the tape', T, async () => {
    const client = new StreamClient(KEY, 'crypto', { host: sim.url });
    const tape = sim.history('crypto', 'XT.X:BTCUSD');
    const from = tape[0]!['t'] as number;
    const to = (tape[tape.length - 1]!['t'] as number) + 1;
    const got = (await client.history('XT.BTC-USD', { from, to })) as unknown as WireEvent[];
    const s = STREAMS.find((x) => x.schemaPath === '/crypto/XT')!;
    assert.deepEqual(
      got.map((e) => expected(s, e)),
      tape.filter((e) => (e['t'] as number) < to).map((e) => expected(s, e)),
    );
  });
});
