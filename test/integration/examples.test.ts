/**
 * Every example runs to completion by itself (against the embedded simulator), exits 0 and prints
 * what it promises. examples/redis-workers.ts needs Redis and is tested in redis-cli.test.ts.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { killAll, type Result, spawnNode } from '../helpers/spawn.js';

after(killAll);

function runExample(name: string, timeoutMs = 20_000): Promise<Result> {
  return spawnNode(['--import', 'tsx', `examples/${name}`], { timeoutMs }).result;
}

describe('examples', { concurrency: true }, () => {
  test('basic.ts: raw onMessage + subscribeStockTrades', async () => {
    const r = await runExample('basic.ts');
    assert.equal(r.code, 0, r.stderr);
    const trades = r.stdout.split('\n').filter((l) => l.startsWith('trade '));
    assert.equal(trades.length, 10);
    for (const line of trades) assert.match(line, /^trade \d+: AAPL \d+(\.\d+)? x \d+$/);
    assert.match(r.stdout, /received 10 AAPL trades/);
  });

  test('typed-events.ts: on(T) and events({ ev: Q, symbols: [AAPL] })', async () => {
    const r = await runExample('typed-events.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^trade (AAPL|MSFT) [\d.]+ x \d+ on exchange \d+$/m);
    const quotes = r.stdout.split('\n').filter((l) => l.startsWith('quote '));
    assert.equal(quotes.length, 5);
    for (const line of quotes)
      assert.match(line, /^quote AAPL bid [\d.]+ x \d+ \/ ask [\d.]+ x \d+$/);
    assert.match(r.stdout, /done: 5 AAPL quotes, \d+ trades/);
  });

  test('reconnect.ts: drop, reconnect, resubscribe, gap', async () => {
    const r = await runExample('reconnect.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dropping the connection/);
    assert.match(r.stdout, /reconnect: attempt 1 in \d+ ms \(cause CONNECTION_CLOSED\)/);
    assert.match(r.stdout, /resubscribe: T\.\*/);
    assert.match(r.stdout, /gap: \d+ ms without data on T\.\*/);
    const after = /after reconnect: (\d+) more events; reconnects: 1/.exec(r.stdout);
    assert.ok(after && Number(after[1]) > 0, r.stdout);
  });
});
