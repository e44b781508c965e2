/**
 * Fan-out without per-client work, without a socket: a session's key-set signature names exactly
 * the canonical keys it holds, and one published batch is filtered, encoded and framed once per
 * distinct key set (the frame object itself is shared), reusing the upstream text when a set
 * covers every event.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeEvents, type WireEvent } from '../../src/protocol/codec.js';
import { eventKey, topicKey } from '../../src/protocol/symbols.js';
import { SessionTopics } from '../../src/server/session-topics.js';
import { SharedFrames } from '../../src/server/shared-frames.js';

const trade = (sym: string, q: number): WireEvent => ({ ev: 'T', sym, p: 1, s: 1, t: q, q });

function held(cluster: string, ...topics: string[]): SessionTopics {
  const s = new SessionTopics();
  for (const t of topics) s.apply('subscribe', t, topicKey(cluster, t)!);
  return s;
}

function frames(cluster: string, events: WireEvent[], raw?: string): SharedFrames {
  return new SharedFrames(
    events,
    events.map((e) => eventKey(cluster, e)),
    raw,
  );
}

describe('session key-set signature', () => {
  it('is equal for the same canonical keys, whatever the order or spelling', () => {
    const a = held('crypto', 'XT.X:BTC-USD', 'XT.X:ETH-USD');
    const b = held('crypto', 'XT.X:ETHUSD', 'XT.X:BTCUSD');
    assert.equal(a.signature, b.signature);
    assert.notEqual(a.signature, held('crypto', 'XT.X:BTC-USD').signature);
  });

  it('follows subscribes and unsubscribes (a second spelling of a held key changes nothing)', () => {
    const s = held('crypto', 'XT.X:BTC-USD');
    const one = s.signature;
    s.apply('subscribe', 'XT.X:BTCUSD', 'XT.X:BTCUSD');
    assert.equal(s.signature, one);
    s.apply('subscribe', 'XT.X:ETH-USD', 'XT.X:ETHUSD');
    const two = s.signature;
    assert.notEqual(two, one);
    s.apply('unsubscribe', 'XT.X:BTC-USD', 'XT.X:BTCUSD');
    assert.equal(s.signature, two, 'XT.X:BTCUSD still held');
    s.apply('unsubscribe', 'XT.X:BTCUSD', 'XT.X:BTCUSD');
    assert.equal(s.signature, held('crypto', 'XT.X:ETH-USD').signature);
  });
});

describe('shared frames', () => {
  const batch = [trade('AAPL', 1), trade('MSFT', 2), trade('GOOG', 3)];

  it('builds one frame per distinct key set and hands the same one to equal sets', () => {
    const f = frames('stocks', batch);
    const a = f.for(held('stocks', 'T.AAPL', 'T.MSFT'));
    const b = f.for(held('stocks', 'T.MSFT', 'T.AAPL'));
    assert.ok(a !== undefined && a === b, 'the same frame object');
    assert.equal(a.events, 2);
    assert.deepEqual(JSON.parse(a.payload.toString()), [batch[0], batch[1]]);
    const only = f.for(held('stocks', 'T.GOOG'));
    assert.deepEqual(JSON.parse(only!.payload.toString()), [batch[2]]);
    assert.equal(f.for(held('stocks', 'T.TSLA')), undefined, 'nothing covered: no frame');
  });

  it('reuses the text as received for a set covering every event, and encodes otherwise', () => {
    const raw = ` ${encodeEvents(batch)} `; // spelled differently from encodeEvents: proves reuse
    const f = frames('stocks', batch, raw);
    assert.equal(f.for(held('stocks', 'T.*'))!.payload.toString(), raw);
    assert.equal(
      f.for(held('stocks', 'T.AAPL'))!.payload.toString(),
      encodeEvents([batch[0]!]),
      'a subset is encoded',
    );
  });

  it('frames the payload once as an unmasked text frame, for every payload length', () => {
    for (const count of [1, 10, 1_000]) {
      const events = Array.from({ length: count }, (_, i) => trade('AAPL', i));
      const frame = frames('stocks', events).for(held('stocks', 'T.AAPL'))!;
      const { payload, wire } = frame;
      assert.equal(frame.wire, wire, 'framed once');
      assert.equal(wire[0], 0x81, 'FIN + text opcode, no RSV1');
      const [header, length] =
        payload.length < 126
          ? [2, wire[1]!]
          : payload.length < 65536
            ? [4, wire.readUInt16BE(2)]
            : [10, Number(wire.readBigUInt64BE(2))];
      assert.equal(wire[1]! & 0x80, 0, 'not masked');
      assert.equal(length, payload.length);
      assert.deepEqual(wire.subarray(header), payload);
    }
  });
});
