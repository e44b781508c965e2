/**
 * Property tests of the SubscriptionStore against a model of the server (fast-check): arbitrary
 * interleavings of subscribe, unsubscribe, drop, reconnect, server answers (acks, refusals,
 * silence), data and expiry. After the server has answered everything and a final reconnect:
 * the store wants exactly what the user asked for minus what the server refused, every topic it
 * wants is active, every promise has settled, and no operation threw.
 *
 * Seeded and bounded for `npm test`; FUZZ_RUNS (and FUZZ_SEED) run it longer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { SubscriptionStore } from '../../src/client/subscriptions/subscription-store.js';
import type { WireEvent } from '../../src/protocol/codec.js';
import { runs, SEED } from '../helpers/arbitraries.js';

const RUNS = runs(500);
const TIMEOUT_MS = 100;

/** Crypto topics: two spellings of one key, names that contain each other, a wildcard. */
const POOL = [
  'XT.X:BTC-USD',
  'XT.X:BTCUSD',
  'XT.X:B',
  'XT.X:BT',
  'XT.*',
  'XQ.X:BTC-USD',
  'XQ.X:ETH-USD',
  'XT.X:BAD-USD',
  'XT.X:BAD',
] as const;
/** Topics the server refuses. */
const FORBIDDEN = new Set(['XT.X:BAD-USD', 'XT.X:BAD']);
/** Symbols data under a `*` subscription may carry. */
const PAIRS = ['BTC-USD', 'ETH-USD', 'BAD-USD', 'B'];

type Op =
  | { op: 'subscribe' | 'unsubscribe'; topics: string[] }
  | { op: 'drop' | 'reconnect' }
  | { op: 'answer'; n: number }
  | { op: 'data'; pick: number }
  | { op: 'expire'; advance: number };

const topicsArb = fc.uniqueArray(fc.constantFrom(...POOL), { minLength: 1, maxLength: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: topicsArb.map((topics) => ({ op: 'subscribe' as const, topics })) },
  { weight: 2, arbitrary: topicsArb.map((topics) => ({ op: 'unsubscribe' as const, topics })) },
  { weight: 1, arbitrary: fc.constant({ op: 'drop' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reconnect' as const }) },
  {
    weight: 4,
    arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => ({ op: 'answer' as const, n })),
  },
  { weight: 2, arbitrary: fc.nat(20).map((pick) => ({ op: 'data' as const, pick })) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 0, max: 150 })
      .map((advance) => ({ op: 'expire' as const, advance })),
  },
);

/** A trade or quote for `topic` as the server spells it in events (`pair: 'BTC-USD'`). */
function eventFor(topic: string, pick: number): WireEvent {
  const [ev, symbol] = topic.split('.') as [string, string];
  const pair = symbol === '*' ? PAIRS[pick % PAIRS.length]! : symbol.slice(2);
  return { ev, pair, p: 1, t: 1 };
}

/**
 * Runs `ops` against a store and a model server. `anonymous`: the server refuses without naming
 * the topic (the store then charges the oldest request, which may be another one, so the model's
 * intent is only kept for named refusals).
 */
async function run(ops: readonly Op[], anonymous: boolean) {
  const store = new SubscriptionStore('crypto');
  const intent = new Set<string>();
  const held = new Set<string>();
  const wire: { action: 'subscribe' | 'unsubscribe'; topic: string }[] = [];
  const promises: { settled: boolean }[] = [];
  let online = true;
  let now = 0;

  const track = (done: Promise<unknown>): void => {
    const p = { settled: false };
    promises.push(p);
    done.then(
      () => (p.settled = true),
      () => (p.settled = true),
    );
  };
  const answer = (): void => {
    const msg = wire.shift();
    if (!msg) return;
    if (msg.action === 'unsubscribe') {
      held.delete(msg.topic);
      store.ack('unsubscribe', msg.topic);
    } else if (FORBIDDEN.has(msg.topic)) {
      const failed = store.refuse(anonymous ? 'not authorized' : `not entitled to ${msg.topic}`);
      if (!anonymous) {
        assert.ok(
          failed.every((t) => t === msg.topic),
          `refused ${msg.topic}, failed ${failed}`,
        );
        intent.delete(msg.topic);
      }
    } else if (!held.has(msg.topic)) {
      held.add(msg.topic);
      store.ack('subscribe', msg.topic);
    }
  };
  const drop = (): void => {
    online = false;
    wire.length = 0;
    held.clear();
    store.disconnected();
  };
  const reconnect = (): void => {
    online = true;
    for (const topic of store.intended()) wire.push({ action: 'subscribe', topic });
    store.sent(now + TIMEOUT_MS);
  };

  for (const op of ops) {
    switch (op.op) {
      case 'subscribe':
      case 'unsubscribe': {
        const { send, done } = store[op.op](op.topics, online, now + TIMEOUT_MS);
        track(done);
        for (const topic of send) wire.push({ action: op.op, topic });
        for (const topic of op.topics) {
          if (op.op === 'subscribe') intent.add(topic);
          else intent.delete(topic);
        }
        break;
      }
      case 'drop':
        if (online) drop();
        break;
      case 'reconnect':
        if (!online) reconnect();
        break;
      case 'answer':
        for (let i = 0; i < op.n; i++) answer();
        break;
      case 'data': {
        const topics = [...held];
        if (topics.length > 0) store.sawData(eventFor(topics[op.pick % topics.length]!, op.pick));
        break;
      }
      case 'expire':
        now += op.advance;
        store.expire(now);
        break;
    }
  }
  // The server answers everything; then a final drop and reconnect, answered too.
  while (wire.length > 0) answer();
  if (online) drop();
  reconnect();
  while (wire.length > 0) answer();
  if (anonymous) store.expire(Infinity);
  await new Promise((resolve) => setImmediate(resolve));
  return { store, intent, promises };
}

describe('SubscriptionStore properties (fast-check)', () => {
  test('converges to subscribes minus unsubscribes minus refusals; everything settles', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        const { store, intent, promises } = await run(ops, false);
        assert.deepEqual(new Set(store.intended()), intent);
        for (const topic of intent) assert.equal(store.snapshot().get(topic)?.state, 'active');
        assert.equal(store.waitingCount, 0);
        assert.ok(promises.every((p) => p.settled));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  test('refusals naming no topic: nothing throws, and everything settles', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        const { store, promises } = await run(ops, true);
        assert.equal(store.waitingCount, 0);
        assert.ok(promises.every((p) => p.settled));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
