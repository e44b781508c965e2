/**
 * Property tests over a real socket (fast-check, seeded): a purpose-built server sends a random
 * sequence of frames (any JSON, random text, status events with fields of any value, data events
 * with odd fields, random bytes as binary frames) to a real StreamClient with plain, async and
 * queued listeners. Invariants: no throw, no unhandled rejection (the suite runs with
 * --unhandled-rejections=strict), only coded errors reported, and the client stays responsive:
 * once the frames are read, it is open (or reconnected) and a subscribe is acknowledged, or it
 * closed for a fatal status. `npm run fuzz` runs longer (FUZZ_RUNS, FUZZ_SEED); the simulator's
 * options and methods are fuzzed here too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { StreamClient } from '../../src/client/stream-client.js';
import { PolygonStreamError } from '../../src/errors.js';
import { generatorFor, startSimulator, Universe } from '../../src/simulator/index.js';
import type { Cluster, StreamSpec } from '../../src/protocol/streams.js';
import { FAST_RECONNECT, until } from '../helpers/reliability.js';
import { startScriptedServer } from '../helpers/servers.js';
import { codedOrFine, optionsOf, RUNS, SEED, statusEvent } from '../helpers/arbitraries.js';

const SOCKET_RUNS = Math.max(5, Math.ceil(RUNS / 15));

const dataEvent = fc.record(
  {
    ev: fc.constantFrom('T', 'Q', 'A', 'XT', 'status', '__proto__', ''),
    sym: fc.oneof(fc.constantFrom('AAPL', 'X:BTC-USD'), fc.jsonValue()),
    pair: fc.jsonValue(),
    p: fc.jsonValue(),
    t: fc.oneof(fc.integer(), fc.jsonValue()),
  },
  { requiredKeys: ['ev'] },
);

const frame = fc.oneof(
  fc.json(),
  fc.string(),
  fc
    .array(fc.oneof(statusEvent, dataEvent, fc.jsonValue()), { maxLength: 5 })
    .map((e) => JSON.stringify(e)),
  // Binary frames: any bytes, and JSON sent as bytes.
  fc.uint8Array({ maxLength: 64 }),
  fc.json().map((text) => new TextEncoder().encode(text)),
);

/**
 * Once calm, the client acknowledges a subscribe, or it closed for a fatal status. A status read
 * just before may still end the socket or be charged to the probe: then try again.
 */
async function responsive(client: StreamClient<'stocks'>): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    await until(() => client.state === 'open' || client.state === 'closed', 'open or closed');
    if (client.state === 'closed') return true;
    try {
      await client.subscribe([`T.PROBE${attempt}`]);
      return true;
    } catch (err) {
      assert.ok(err instanceof PolygonStreamError, String(err));
    }
  }
  return false;
}

test(
  'random frames from a server: no throw, coded errors, still responsive',
  { timeout: 120_000 },
  async (t) => {
    let script: readonly (string | Uint8Array)[] = [];
    const server = await startScriptedServer({
      connect: { status: 'connected', message: 'Connected Successfully' },
      auth: { status: 'auth_success', message: 'authenticated' },
      // Only the first connection of a run gets the frames: a reconnect then finds a calm server.
      afterAuth: () => {
        const frames = script;
        script = [];
        return frames;
      },
    });
    t.after(() => server.close());
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 12 }), async (frames) => {
        script = frames;
        const errors: unknown[] = [];
        let raw = 0;
        const client = new StreamClient('k', 'stocks', {
          host: server.url,
          reconnect: FAST_RECONNECT,
          subscribeTimeoutMs: 2_000,
          onMessage: () => void raw++,
          onError: (_c, e) => errors.push(e),
          onClose: () => undefined,
        });
        try {
          client.on('*', () => undefined);
          client.on('T', async () => {
            throw new Error('async listener');
          });
          client.on('status', () => Promise.reject(new Error('rejecting listener')));
          client.on('Q', () => undefined, { queue: { capacity: 2 } });
          const iterator = client.events({ symbols: ['AAPL'], capacity: 4 });
          const draining = (async () => {
            for await (const event of iterator) void event;
          })().catch((e: unknown) => errors.push(e));
          await client.startStreamThread({ pingInterval: 0 }).catch((e: unknown) => errors.push(e));
          // connected + auth_success + the frames, all read.
          await until(() => raw >= frames.length + 2 || client.state === 'closed', 'the frames');
          assert.ok(await responsive(client), `no ack, state ${client.state}`);
          await client.closeStream();
          await draining;
          for (const e of errors) assert.ok(e instanceof PolygonStreamError && e.code, String(e));
        } finally {
          await client.closeStream();
        }
      }),
      { numRuns: SOCKET_RUNS, seed: SEED },
    );
  },
);

test('any options into startSimulator: a simulator or a coded error', async () => {
  const keys = [
    'eventsPerSecond',
    'tickMs',
    'authTimeoutMs',
    'slowConsumerBytes',
    'seed',
    'apiKeys',
    'restLagMs',
    'restLagJitterMs',
    'restFormingBars',
    'restFaults',
  ];
  await fc.assert(
    fc.asyncProperty(optionsOf(keys), async (options) => {
      // Port 0 always: a fixed port may be taken or privileged, which is not an option mistake.
      const given =
        typeof options === 'object' && options !== null ? { ...options, port: 0 } : options;
      try {
        const sim = await startSimulator(given as never);
        await sim.close();
      } catch (err) {
        assert.ok(err instanceof PolygonStreamError, String(err));
      }
    }),
    { numRuns: SOCKET_RUNS * 3, seed: SEED },
  );
});

test('any arguments into the simulator methods: fine or a coded error', async (t) => {
  const sim = await startSimulator({ port: 0, eventsPerSecond: 0 });
  t.after(() => sim.close());
  const waiting: Promise<unknown>[] = [];
  fc.assert(
    fc.property(fc.anything(), fc.anything(), fc.anything(), (a, b, c) => {
      codedOrFine(() => sim.publish(a as string, b as object[]));
      codedOrFine(() => sim.publish('stocks', [b, c] as object[]));
      codedOrFine(() => sim.setEventsPerSecond(a as number));
      codedOrFine(() => generatorFor(a as StreamSpec));
      codedOrFine(() => new Universe(a as number, b as Date).symbols(c as Cluster));
      codedOrFine(() => {
        // A valid call waits (no connection matches): closing the simulator ends it.
        waiting.push(sim.waitFor(a as () => boolean, b as number).catch(() => undefined));
      });
    }),
    { numRuns: RUNS, seed: SEED },
  );
  await sim.close();
  await Promise.all(waiting);
});
