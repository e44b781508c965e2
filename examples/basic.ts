/**
 * Used as the Python `polygon` library is: a raw `onMessage` handler (the frame exactly as
 * received, like its `on_message`) and a generated subscribe method, against the embedded
 * simulator.
 *
 *   node --import tsx examples/basic.ts
 *
 * For the real feed: `new StreamClient(process.env.POLYGON_API_KEY!, 'stocks', { onMessage })`.
 */
import { StreamClient } from 'polygon-stream';
import { startSimulator } from 'polygon-stream/simulator';

const WANTED = 10;

const sim = await startSimulator();
let trades = 0;
let resolveDone: () => void;
const done = new Promise<void>((resolve) => (resolveDone = resolve));

const client = new StreamClient('any-key', 'stocks', {
  host: sim.url,
  onMessage: (_client, raw) => {
    for (const event of JSON.parse(raw) as { ev: string; sym?: string; p?: number; s?: number }[]) {
      if (event.ev !== 'T' || trades >= WANTED) continue;
      trades++;
      console.log(`trade ${trades}: ${event.sym} ${event.p} x ${event.s}`);
      if (trades === WANTED) resolveDone();
    }
  },
});

await client.startStreamThread(); // resolves once authenticated
await client.subscribeStockTrades(['AAPL']); // → T.AAPL; resolves on the server's ack
await done;
await client.closeStream();
await sim.close();
console.log(`received ${trades} AAPL trades`);
