/**
 * The protocol server's fan-out over real sockets: clients holding the same topics share one
 * encoded frame (written straight to an uncompressed socket, through `ws` to a compressed one),
 * and every client still gets exactly its own events, as text frames, whole at every frame size
 * (7-bit, 16-bit and 64-bit lengths), after the acknowledgement of the subscribe that brought them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import type { WireEvent } from '../../src/protocol/codec.js';
import {
  isAck,
  isData,
  isStatus,
  QUIET,
  T,
  TestClient,
  trade,
  withSimulator,
} from '../helpers/sim.js';
import type { Simulator } from '../../src/simulator/index.js';
import { sleep } from '../helpers/until.js';

/** A client with or without permessage-deflate, authenticated (its own key), recording each frame's kind. */
async function open(
  sim: Simulator,
  compressed: boolean,
  opened: TestClient[],
): Promise<{ client: TestClient; binary: boolean[] }> {
  const ws = new WebSocket(`${sim.url}/stocks`, { perMessageDeflate: compressed });
  const binary: boolean[] = [];
  ws.on('message', (_data, isBinary) => binary.push(isBinary));
  const client = new TestClient(ws);
  opened.push(client);
  await client.waitFor(isStatus('connected'));
  await client.auth(`key-${opened.length}`); // one key, one connection: as the provider does
  return { client, binary };
}

describe('protocol server fan-out', () => {
  test(
    'clients with the same topics share frames; each gets its own events, whole, as text',
    T,
    () =>
      withSimulator(QUIET, async (sim) => {
        const opened: TestClient[] = [];
        try {
          const a = await open(sim, false, opened);
          const b = await open(sim, false, opened);
          const z = await open(sim, true, opened);
          const one = await open(sim, false, opened);
          const all = await open(sim, false, opened);
          await a.client.subscribe('T.AAPL,T.MSFT');
          await b.client.subscribe('T.MSFT,T.AAPL');
          await z.client.subscribe('T.AAPL,T.MSFT');
          await one.client.subscribe('T.AAPL');
          await all.client.subscribe('T.*');
          const conns = sim.connections().filter((c) => c.authenticated);
          assert.deepEqual(
            conns.map((c) => c.compressed),
            [false, false, true, false, false],
          );
          // One event (7-bit length), 10 (16-bit), 1,500 (64-bit: over 65,535 bytes).
          const sent: WireEvent[] = [];
          let q = 0;
          for (const size of [1, 10, 1_500]) {
            const batch: WireEvent[] = [];
            for (let i = 0; i < size; i++) {
              for (const sym of ['AAPL', 'MSFT', 'GOOG']) batch.push(trade(sym, ++q, { q }));
            }
            sim.publish('stocks', batch);
            sent.push(...batch);
          }
          const want = (syms: string[]): WireEvent[] =>
            sent.filter((e) => syms.includes(e.sym as string));
          const cases: [typeof a, WireEvent[]][] = [
            [a, want(['AAPL', 'MSFT'])],
            [b, want(['AAPL', 'MSFT'])],
            [z, want(['AAPL', 'MSFT'])],
            [one, want(['AAPL'])],
            [all, sent],
          ];
          for (const [c, expected] of cases) {
            const got = await c.client.waitForMany(isData, expected.length);
            assert.deepEqual(got, expected);
            const frames = c.client.frames.length;
            assert.ok(c.binary.length === frames && c.binary.every((x) => !x), 'text frames only');
          }
          assert.ok(Buffer.byteLength(all.client.frames.at(-1)!) > 65_535, 'a 64-bit length frame');
          // A fixed quiet period: an event sent twice or to a client not subscribed would arrive.
          await sleep(50);
          for (const [c, expected] of cases) {
            assert.equal(c.client.events.filter(isData).length, expected.length, 'nothing more');
          }
        } finally {
          for (const c of opened) c.close();
        }
      }),
  );

  test('data a new subscribe brings follows its acknowledgement on the same socket', T, () =>
    withSimulator(QUIET, async (sim) => {
      const opened: TestClient[] = [];
      try {
        const { client } = await open(sim, false, opened);
        await client.subscribe('T.AAPL');
        const conn = await sim.waitFor((c) => c.authenticated);
        client.send({ action: 'subscribe', params: 'T.MSFT' });
        await sim.waitFor(() => conn.subscriptions.has('T.MSFT'));
        sim.publish('stocks', [trade('MSFT', 1), trade('AAPL', 2)]);
        const ack = client.events.length;
        await client.waitFor(isAck('subscribed', 'T.MSFT'));
        const [first] = await client.waitForMany(isData, 1);
        assert.ok(client.events.indexOf(first!) > ack, 'after the ack');
        assert.deepEqual(client.events.filter(isData), [trade('MSFT', 1), trade('AAPL', 2)]);
      } finally {
        for (const c of opened) c.close();
      }
    }),
  );
});
