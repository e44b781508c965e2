/**
 * The relay protects its upstream: subscription changes are gathered and rate-limited (a client
 * flapping a topic thousands of times costs a few messages, under the documented ceiling, and
 * the upstream still ends holding exactly the union), a change undone within the window sends
 * nothing, a refusal inside a gathered batch refuses only its topic, and malformed topics are
 * refused downstream (by the relay and the simulator alike) without reaching upstream.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientMessage, WireEvent } from '../../src/protocol/codec.js';
import type { SimConnection, Simulator } from '../../src/simulator/index.js';
import { UPSTREAM_BURST, UPSTREAM_MESSAGES_PER_SECOND } from '../../src/relay/upstream-changes.js';
import { connectAuthed, isAck, isData, isStatus, type TestClient } from '../helpers/sim.js';
import { TOKENS, trade, withRelay } from '../helpers/relay.js';

const T = { timeout: 30_000 };

const same = (set: ReadonlySet<string>, topics: string[]): boolean =>
  set.size === topics.length && topics.every((t) => set.has(t));

/** Every subscribe and unsubscribe message `conn` sends the simulator from now on, in order. */
function upstreamMessages(sim: Simulator, conn: SimConnection): ClientMessage[] {
  const messages: ClientMessage[] = [];
  sim.on('message', (c, msg) => {
    if (c === conn && (msg.action === 'subscribe' || msg.action === 'unsubscribe')) {
      messages.push(msg);
    }
  });
  return messages;
}

const isError = (message: string) => isStatus('error', message);
const invalidTopic =
  (topic: string) =>
  (e: WireEvent): boolean =>
    e.ev === 'status' &&
    e.status === 'error' &&
    typeof e.message === 'string' &&
    e.message.startsWith(`invalid topic for stocks: ${topic} (the symbol `);

describe('relay upstream protection', () => {
  it(
    '5,000 flaps of one client stay under 10 + 5·T upstream messages; the union is exact after',
    T,
    (t) =>
      withRelay({}, async ({ sim, relay, open, upstream }) => {
        const up = await upstream();
        const messages = upstreamMessages(sim, up);
        const started = Date.now();
        const steady = await open(TOKENS[1]);
        await steady.subscribe('T.AAPL,T.MSFT');
        const flapper = await open();
        // The flapper churns seven topics, one of them the steady client's T.AAPL, and ends each
        // round holding one of them, a different one each round, so what it holds keeps changing.
        const churn = ['T.AAPL', 'T.F0', 'T.F1', 'T.F2', 'T.F3', 'T.F4', 'T.F5'];
        const FLAPS = 5_000;
        const PER_ROUND = 50;
        let subscribes = 0;
        let held: string | undefined;
        for (let flap = 0, round = 0; flap < FLAPS; round++) {
          const from = flapper.events.length;
          if (held !== undefined) flapper.send({ action: 'unsubscribe', params: held });
          let last = '';
          for (let i = 0; i < PER_ROUND; i++, flap++) {
            last = churn[flap % churn.length] as string;
            flapper.send({ action: 'subscribe', params: last });
            flapper.send({ action: 'unsubscribe', params: last });
          }
          held = churn[round % churn.length] as string;
          flapper.send({ action: 'subscribe', params: held });
          subscribes += PER_ROUND + 1;
          // The relay answers an unsubscribe at once: the round has been read up to there.
          await flapper.waitFor(isAck('unsubscribed', last), from);
        }
        flapper.send({ action: 'unsubscribe', params: held as string });
        flapper.send({ action: 'subscribe', params: 'T.F1,T.F2' });
        subscribes += 2;
        const union = ['T.AAPL', 'T.F1', 'T.F2', 'T.MSFT'];
        await sim.waitFor((c) => c === up && same(c.subscriptions, union), 10_000);
        assert.deepEqual([...(relay.metrics().upstreamTopics['stocks'] ?? [])].sort(), union);
        // Date.now, as the bucket counts time.
        const seconds = (Date.now() - started) / 1000;
        const ceiling = UPSTREAM_BURST + UPSTREAM_MESSAGES_PER_SECOND * seconds;
        t.diagnostic(
          `${FLAPS} flaps (${subscribes} subscribes): ${messages.length} upstream messages in ${seconds.toFixed(2)} s (ceiling ${ceiling.toFixed(1)})`,
        );
        assert.ok(
          messages.length <= ceiling,
          `${messages.length} messages in ${seconds} s: over the ceiling ${ceiling}`,
        );
        // Every subscribe the flapper sent is answered, one ack each, and nothing is refused.
        await flapper.waitForMany(
          (e) => typeof e.message === 'string' && e.message.startsWith('subscribed to: '),
          subscribes,
        );
        assert.equal(flapper.events.filter(isStatus('error')).length, 0);

        // Each client then gets exactly its topics.
        sim.publish('stocks', [trade('AAPL', 1), trade('F0', 2), trade('F1', 3), trade('MSFT', 4)]);
        sim.publish('stocks', [trade('F3', 5), trade('F2', 6), trade('AAPL', 7)]);
        assert.deepEqual(await steady.waitForMany(isData, 3), [
          trade('AAPL', 1),
          trade('MSFT', 4),
          trade('AAPL', 7),
        ]);
        assert.deepEqual(await flapper.waitForMany(isData, 2), [trade('F1', 3), trade('F2', 6)]);
        // A marker for each: had anything else been sent to them, it would have come before.
        sim.publish('stocks', [trade('MSFT', 8), trade('F1', 9)]);
        await steady.waitFor((e) => e.p === 8);
        await flapper.waitFor((e) => e.p === 9);
        assert.equal(steady.events.filter(isData).length, 4);
        assert.equal(flapper.events.filter(isData).length, 3);
      }),
  );

  it('a change undone within the window sends nothing upstream', T, () =>
    withRelay({}, async ({ sim, open, upstream }) => {
      const up = await upstream();
      const a = await open();
      await a.subscribe('T.AAPL');
      await sim.waitFor((c) => c === up && same(c.subscriptions, ['T.AAPL']));
      const messages = upstreamMessages(sim, up);
      const from = a.events.length;
      // Unsubscribe then re-subscribe: T.AAPL stays held; subscribe then unsubscribe: never held.
      a.send({ action: 'unsubscribe', params: 'T.AAPL' });
      a.send({ action: 'subscribe', params: 'T.AAPL' });
      a.send({ action: 'subscribe', params: 'T.NEW' });
      a.send({ action: 'unsubscribe', params: 'T.NEW' });
      await a.waitFor(isAck('unsubscribed', 'T.AAPL'), from);
      await a.waitFor(isAck('subscribed', 'T.AAPL'), from);
      await a.waitFor(isAck('unsubscribed', 'T.NEW'), from);
      // T.NEW's subscribe is answered by the flush that found nothing to send.
      await a.waitFor(isAck('subscribed', 'T.NEW'), from);
      // A later change is flushed after those: by its ack, any message about them was sent.
      await a.subscribe('T.MARK');
      assert.deepEqual(messages, [{ action: 'subscribe', params: 'T.MARK' }]);
      assert.ok(same(up.subscriptions, ['T.AAPL', 'T.MARK']));
      sim.publish('stocks', [trade('NEW', 1), trade('AAPL', 2)]);
      assert.deepEqual(await a.waitForMany(isData, 1), [trade('AAPL', 2)]);
    }),
  );

  it('a refusal inside a gathered batch refuses only its topic; the others are acked', T, () =>
    withRelay({}, async ({ sim, relay, open, upstream }) => {
      // A terse refusal names no topic: charged to the one it answers, not the whole batch.
      sim.faults.rejectTopics.set('T.NOPE', 'not authorized');
      sim.faults.rejectTopics.set('T.BAD', 'not entitled to T.BAD');
      const up = await upstream();
      const messages = upstreamMessages(sim, up);
      const a = await open();
      const b = await open(TOKENS[1]);
      a.send({ action: 'subscribe', params: 'T.A,T.NOPE,T.BAD,T.B' });
      await a.waitFor(isError('not authorized'));
      await a.waitFor(isError('not entitled to T.BAD'));
      await a.waitFor(isAck('subscribed', 'T.A'));
      await a.waitFor(isAck('subscribed', 'T.B'));
      // One upstream message for the four topics, answered topic by topic.
      assert.deepEqual(messages, [{ action: 'subscribe', params: 'T.A,T.NOPE,T.BAD,T.B' }]);
      await b.subscribe('T.C');
      await sim.waitFor((c) => c === up && same(c.subscriptions, ['T.A', 'T.B', 'T.C']));
      assert.deepEqual(relay.metrics().upstreamTopics, { stocks: ['T.A', 'T.B', 'T.C'] });
      assert.deepEqual(
        a.events.filter((e) => e.status === 'error').map((e) => e.message),
        ['not authorized', 'not entitled to T.BAD'],
      );
      assert.equal(b.events.filter((e) => e.status === 'error').length, 0);
      sim.publish('stocks', [trade('NOPE', 1), trade('A', 2), trade('BAD', 3), trade('B', 4)]);
      assert.deepEqual(await a.waitForMany(isData, 2), [trade('A', 2), trade('B', 4)]);
    }),
  );

  it(
    'malformed topics are refused downstream, by the relay and the simulator, never sent upstream',
    T,
    () =>
      withRelay({}, async ({ sim, open, upstream }) => {
        const up = await upstream();
        const messages = upstreamMessages(sim, up);
        const malformed = ['T..AAPL', 'T.*.*', 'T.AAPL.', 'T.A*', 'T.AA PL', 'T.ÄPPL'];
        const check = async (c: TestClient): Promise<void> => {
          c.send({ action: 'subscribe', params: [...malformed, 'T.GOOD'].join(',') });
          for (const topic of malformed) await c.waitFor(invalidTopic(topic));
          await c.waitFor(isAck('subscribed', 'T.GOOD'));
        };
        await check(await open());
        assert.deepEqual(messages, [{ action: 'subscribe', params: 'T.GOOD' }]);
        assert.ok(same(up.subscriptions, ['T.GOOD']));
        const direct = await connectAuthed(sim, 'stocks', 'direct-key');
        try {
          await check(direct);
          const own = await sim.waitFor((c) => c.apiKey === 'direct-key');
          assert.ok(same(own.subscriptions, ['T.GOOD']));
          assert.match(
            (direct.events.find(invalidTopic('T..AAPL')) as WireEvent).message as string,
            /^invalid topic for stocks: T\.\.AAPL \(the symbol starts or ends with '\.'\)$/,
          );
        } finally {
          direct.close();
        }
      }),
  );
});
