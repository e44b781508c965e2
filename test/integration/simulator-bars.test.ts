/**
 * Aggregate bars as the provider sends them: one bar per symbol per window, when the window has
 * closed. Real sockets against the simulator; windows shortened with `windowScale` where a minute
 * would be too long to wait.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type WebSocket from 'ws';
import type { WireEvent } from '../../src/protocol/codec.js';
import { symbolOf } from '../../src/protocol/symbols.js';
import { withSimulator } from '../helpers/sim.js';
import { until } from '../helpers/until.js';

const T = { timeout: 20_000 };

interface Received {
  event: WireEvent;
  at: number;
}

/** Every data event `ws` receives from now on, with its arrival time. */
function record(ws: WebSocket): Received[] {
  const received: Received[] = [];
  ws.on('message', (data: WebSocket.RawData) => {
    const at = Date.now();
    for (const event of JSON.parse(String(data)) as WireEvent[]) {
      if (event.ev !== 'status') received.push({ event, at });
    }
  });
  return received;
}

/** Each (ev, symbol, window start) at most once, and never before the window's end. */
function checkBars(received: readonly Received[], sizes: Readonly<Record<string, number>>): void {
  const seen = new Map<string, number>();
  for (const { event, at } of received) {
    const size = sizes[event.ev];
    assert.ok(size !== undefined, `unexpected ev ${event.ev}`);
    const { s, e } = event as unknown as { s: number; e: number };
    assert.equal(e - s, size, `${event.ev} window length`);
    assert.equal(s % size, 0, `${event.ev} window aligned`);
    assert.ok(
      at >= e,
      `${event.ev} ${symbolOf(event)} [${s}, ${e}) arrived at ${at}, before it closed`,
    );
    const key = `${event.ev} ${symbolOf(event)} ${s}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const repeated = [...seen].filter(([, n]) => n > 1);
  assert.deepEqual(repeated, [], 'one bar per symbol per window');
}

/** Distinct window starts seen for `ev`. */
const windowsOf = (received: readonly Received[], ev: string): number =>
  new Set(received.filter((r) => r.event.ev === ev).map((r) => r.event['s'])).size;

describe('simulator aggregate bars', () => {
  it('one bar per symbol per window, sent after the window closes (every cluster)', T, () =>
    withSimulator({ eventsPerSecond: 2_000, tickMs: 10, windowScale: 0.01 }, async (_sim, open) => {
      const cases: { cluster: string; topics: string; sizes: Record<string, number> }[] = [
        { cluster: 'stocks', topics: 'A.*,AM.*', sizes: { A: 10, AM: 600 } },
        { cluster: 'options', topics: 'A.*,AM.*', sizes: { A: 10, AM: 600 } },
        { cluster: 'forex', topics: 'CAS.*,CA.*', sizes: { CAS: 10, CA: 600 } },
        { cluster: 'crypto', topics: 'XAS.*,XA.*', sizes: { XAS: 10, XA: 600 } },
        { cluster: 'indices', topics: 'A.*,AM.*', sizes: { A: 10, AM: 600 } },
      ];
      const runs = await Promise.all(
        cases.map(async (c) => {
          const client = await open(c.cluster, `key-${c.cluster}`);
          const received = record(client.ws);
          await client.subscribe(c.topics);
          return { ...c, received };
        }),
      );
      for (const run of runs) {
        const evs = Object.keys(run.sizes);
        await until(
          () => evs.every((ev) => windowsOf(run.received, ev) >= 3),
          `three windows of ${evs.join(', ')} on ${run.cluster}`,
        );
      }
      for (const run of runs) checkBars(run.received, run.sizes);
    }),
  );

  it('unscaled: second bars span one second and come once, after it', T, () =>
    withSimulator({ eventsPerSecond: 500 }, async (_sim, open) => {
      const client = await open('stocks', 'key');
      const received = record(client.ws);
      await client.subscribe('A.AAPL,A.MSFT');
      await until(() => windowsOf(received, 'A') >= 2, 'two second-bar windows');
      checkBars(received, { A: 1_000 });
      const first = received[0]!.event;
      assert.ok(['AAPL', 'MSFT'].includes(String(first['sym'])));
    }),
  );
});
