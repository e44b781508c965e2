/**
 * Typed events: a listener per event type (`client.on('T', …)` gets a StockTrade), and async
 * iteration scoped to one type and symbol (`client.events({ ev: 'Q', symbols: ['AAPL'] })`).
 *
 *   node --import tsx examples/typed-events.ts
 */
import { StreamClient, symbolOf } from 'polygon-stream';
import { startSimulator } from 'polygon-stream/simulator';

const sim = await startSimulator();
const client = new StreamClient('any-key', 'stocks', { host: sim.url });

let trades = 0;
client.on('T', (trade) => {
  // `trade` is a StockTrade: p (price), s (size), x (exchange), sym …
  if (trades++ < 3)
    console.log(`trade ${symbolOf(trade)} ${trade.p} x ${trade.s} on exchange ${trade.x}`);
});

await client.startStreamThread();
await client.subscribeStockTrades(['AAPL', 'MSFT']);
await client.subscribeStockQuotes(['AAPL', 'MSFT']);

// Only AAPL quotes; the iterator has its own bounded queue (drop-oldest when full).
const quotes = new AbortController();
let seen = 0;
for await (const quote of client.events({ ev: 'Q', symbols: ['AAPL'], signal: quotes.signal })) {
  if (quote.ev !== 'Q') continue; // narrows the union to StockQuote
  console.log(`quote ${quote.sym} bid ${quote.bp} x ${quote.bs} / ask ${quote.ap} x ${quote.as}`);
  if (++seen === 5) quotes.abort(); // ends the loop
}

await client.closeStream();
await sim.close();
console.log(`done: ${seen} AAPL quotes, ${trades} trades`);
