/**
 * Reconnects: the simulator drops the socket without a close frame (as real connections
 * sometimes are); the client reconnects, re-authenticates, re-subscribes by itself and reports
 * the gap — the provider replays nothing, so a gap is data you did not get.
 *
 *   node --import tsx examples/reconnect.ts
 */
import { StreamClient } from 'polygon-stream';
import { startSimulator } from 'polygon-stream/simulator';

const sim = await startSimulator();
const client = new StreamClient('any-key', 'stocks', {
  host: sim.url,
  reconnect: { initialDelayMs: 200, maxDelayMs: 1_000 },
});

let events = 0;
client.on('*', () => void events++);
client.on('state', ({ previous, state }) => console.log(`state: ${previous} -> ${state}`));
client.on('reconnect', ({ attempt, delayMs, cause }) =>
  console.log(`reconnect: attempt ${attempt} in ${delayMs} ms (cause ${cause.code})`),
);
client.on('resubscribe', ({ topics }) => console.log(`resubscribe: ${topics.join(',')}`));
client.on('gap', ({ from, to, topics }) =>
  console.log(`gap: ${to - from} ms without data on ${topics.join(',')}`),
);

await client.startStreamThread();
await client.subscribeStockTrades(); // every symbol: T.*

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
await wait(300);
const before = events;
console.log(`received ${before} events; dropping the connection`);
const dropped = new Set(sim.connections().map((c) => c.id));
for (const connection of sim.connections()) connection.drop();

// Wait for the client to be back (a new connection) and re-subscribed, and for data to flow.
await sim.waitFor((c) => !dropped.has(c.id) && c.subscriptions.size > 0, 5_000);
await wait(300);
console.log(
  `after reconnect: ${events - before} more events; reconnects: ${client.stats().reconnects}`,
);

await client.closeStream();
await sim.close();
