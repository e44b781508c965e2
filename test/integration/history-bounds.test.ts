/**
 * `client.history()` against REST answers that break the rules, each bounded in time and memory
 * and ending in a coded error that never shows the key: a body far longer than maxPageBytes (not
 * read further), an endless chain of empty pages, more pages than maxPages, rows for another
 * ticker, out of time order or with a string for a number, a 429 whose Retry-After passes the
 * deadline, a server that keeps answering 500 slowly (the whole call within deadlineMs), and a bar
 * whose window is still open (left out, never delivered as final).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import type { HistoryOptions } from '../../src/client/history/history.js';
import { ErrorCode, isPolygonStreamError } from '../../src/errors.js';
import { HISTORY_DEFAULTS } from '../../src/index.js';
import { type RestReply, startRestServer } from '../helpers/rest-server.js';

const KEY = 'BOUNDS-SECRET-KEY';
const T = { timeout: 20_000 };
const FROM = 1_700_000_000_000;
const TO = FROM + 60_000;
const FAST: HistoryOptions = { retryDelayMs: 5, requestsPerSecond: 1_000 };

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers) await close();
});

async function rest(handler: (n: number) => RestReply) {
  const server = await startRestServer((req) => handler(req.n));
  closers.push(() => server.close());
  return server;
}

function client(host: string, history: HistoryOptions = FAST): StreamClient<'stocks'> {
  return new StreamClient(KEY, 'stocks', { host, history });
}

function trade(ms: number, q: number, extra: Record<string, unknown> = {}): object {
  return {
    sip_timestamp: `${ms}000000`,
    sequence_number: q,
    price: 10,
    size: 1,
    exchange: 4,
    ...extra,
  };
}

/** Rejects with `code`, the message matching `said`, and no key anywhere in it. */
async function fails(p: Promise<unknown>, code: string, said: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isPolygonStreamError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, said);
    assert.ok(!JSON.stringify({ m: e.message, d: e.details }).includes(KEY));
    return true;
  });
}

describe('history: every answer bounded and checked', () => {
  it('a body longer than maxPageBytes is not read further: HISTORY_INVALID', T, async () => {
    // An endless body: the server writes until the client goes away.
    let written = 0;
    let closed = false;
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      res.write('{"status":"OK","results":[');
      const pump = (): void => {
        while (!closed && res.write(chunk)) written += chunk.length;
        if (!closed) res.once('drain', pump);
      };
      res.on('close', () => (closed = true));
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const port = (server.address() as AddressInfo).port;
    const c = client(`ws://127.0.0.1:${port}`, { ...FAST, maxPageBytes: 1024 * 1024 });
    const rss = process.memoryUsage().rss;
    await fails(
      c.history('T.AAPL', { from: FROM, to: TO }),
      ErrorCode.HistoryInvalid,
      /longer than history\.maxPageBytes \(1048576\)/,
    );
    assert.ok(written < 64 * 1024 * 1024, `the server wrote ${written} bytes before the cut`);
    assert.ok(process.memoryUsage().rss - rss < 100 * 1024 * 1024, 'memory stays bounded');
  });

  it('an endless chain of empty pages stops at the first: HISTORY_INVALID', T, async () => {
    const server = await rest((n) => ({
      body: { status: 'OK', results: [], next_url: `/v3/trades/AAPL?cursor=c${n}` },
    }));
    await fails(
      client(server.wsHost).history('T.AAPL', { from: FROM, to: TO }),
      ErrorCode.HistoryInvalid,
      /no rows and a next_url.*no progress/,
    );
    assert.equal(server.requests.length, 1);
  });

  it('more pages than maxPages: HISTORY_INVALID after exactly maxPages', T, async () => {
    const server = await rest((n) => ({
      body: {
        status: 'OK',
        results: [trade(FROM + n, n + 1)],
        next_url: `/v3/trades/AAPL?cursor=c${n}`,
      },
    }));
    await fails(
      client(server.wsHost, { ...FAST, maxPages: 5 }).history('T.AAPL', { from: FROM, to: TO }),
      ErrorCode.HistoryInvalid,
      /more than history\.maxPages \(5\)/,
    );
    assert.equal(server.requests.length, 5);
  });

  for (const [name, rows, said] of [
    [
      'a row for another ticker',
      [trade(FROM, 1), trade(FROM + 1, 2, { T: 'MSFT' })],
      /ticker MSFT, not AAPL/,
    ],
    ['rows out of time order', [trade(FROM + 5, 1), trade(FROM + 1, 2)], /out of time order/],
    [
      'a string where a number goes',
      [trade(FROM, 1, { price: 'abc' })],
      /p is "abc", not a number/,
    ],
  ] as const) {
    it(`${name}: HISTORY_INVALID naming it`, T, async () => {
      const server = await rest(() => ({ body: { status: 'OK', results: rows } }));
      await fails(
        client(server.wsHost).history('T.AAPL', { from: FROM, to: TO }),
        ErrorCode.HistoryInvalid,
        said,
      );
    });
  }

  it('a 429 whose Retry-After passes the deadline fails at once', T, async () => {
    const server = await rest(() => ({
      status: 429,
      headers: { 'retry-after': '60' },
      body: { status: 'ERROR', message: 'slow down' },
    }));
    const started = Date.now();
    await fails(
      client(server.wsHost, { ...FAST, deadlineMs: 5_000 }).history('T.AAPL', {
        from: FROM,
        to: TO,
      }),
      ErrorCode.HistoryFailed,
      /HTTP 429.*a retry in 30000 ms would pass the deadline/,
    );
    assert.ok(Date.now() - started < 2_000, `failed after ${Date.now() - started} ms`);
    assert.equal(server.requests.length, 1);
  });

  it('slow 500s: the whole call ends by deadlineMs, retries included', T, async () => {
    const server = await rest(() => ({ status: 500, delayMs: 300, body: { message: 'down' } }));
    const started = Date.now();
    await fails(
      client(server.wsHost, { ...FAST, maxRetries: 100, deadlineMs: 1_000 }).history('T.AAPL', {
        from: FROM,
        to: TO,
      }),
      ErrorCode.HistoryFailed,
      /deadline|timed out/,
    );
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 2_000, `took ${took} ms`);
  });

  it('the default deadline is well under 30 s', () => {
    assert.ok(HISTORY_DEFAULTS.deadlineMs <= 20_000);
  });

  it('a bar whose window is still open is left out', T, async () => {
    const now = Date.now();
    const open = Math.floor(now / 60_000) * 60_000;
    const closed = open - 60_000;
    const bar = (t: number) => ({ o: 1, h: 1, l: 1, c: 1, v: 5, vw: 1, n: 1, t });
    const server = await rest(() => ({
      body: { ticker: 'AAPL', status: 'OK', results: [bar(closed), bar(open)] },
    }));
    const events = await client(server.wsHost).history('AM.AAPL', {
      from: closed,
      to: open + 60_000,
    });
    assert.deepEqual(
      events.map((e) => (e as { s?: number }).s),
      [closed],
    );
  });

  it('an aggregates page for another ticker: HISTORY_INVALID', T, async () => {
    const server = await rest(() => ({
      body: { ticker: 'MSFT', status: 'OK', results: [{ o: 1, h: 1, l: 1, c: 1, v: 1, t: FROM }] },
    }));
    await fails(
      client(server.wsHost).history('AM.AAPL', { from: FROM, to: TO }),
      ErrorCode.HistoryInvalid,
      /ticker MSFT, not AAPL/,
    );
  });
});
