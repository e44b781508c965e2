/**
 * client.history(topic, { from, to }) against a purpose-built REST server on loopback: the
 * request, pagination, retries (429 with Retry-After, 5xx, timeouts), refusals, the shared
 * concurrency and rate limits, and the key kept out of every error and log line. The WebSocket is
 * never opened: a `ws://127.0.0.1:PORT` host means REST at `http://127.0.0.1:PORT`.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import type { HistoryOptions } from '../../src/client/history/history.js';
import { ErrorCode, isPolygonStreamError, type PolygonStreamError } from '../../src/errors.js';
import type { WireEvent } from '../../src/protocol/codec.js';
import type { Cluster } from '../../src/protocol/streams.js';
import { type RestReply, type RestRequest, startRestServer } from '../helpers/rest-server.js';
import { errorText, recordingLogger } from '../helpers/servers.js';
import { until } from '../helpers/reliability.js';

const KEY = 'SECRET-KEY-123';
const T = { timeout: 10_000 };
const FROM = 1_700_000_000_000;
const TO = FROM + 60_000;
/** Fast retries for the tests. */
const FAST: HistoryOptions = { retryDelayMs: 5, requestsPerSecond: 1_000 };

const servers: { close(): Promise<void> }[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function serve(handler: (req: RestRequest) => RestReply) {
  const server = await startRestServer(handler);
  servers.push(server);
  return server;
}

function client<C extends Cluster>(
  cluster: C,
  host: string,
  history: HistoryOptions = FAST,
  lines?: string[],
): StreamClient<C> {
  const logger = lines ? recordingLogger(lines) : undefined;
  return new StreamClient<C>(KEY, cluster, { host, history, logger });
}

/** A v3 trade row at `ms` + `subNs` nanoseconds. */
function tradeRow(ms: number, q: number, subNs = 123_456): Record<string, unknown> {
  const ns = `${ms}${String(subNs).padStart(6, '0')}`;
  return {
    sip_timestamp: ns,
    sequence_number: q,
    price: 10 + q,
    size: 100,
    exchange: 4,
    id: `${q}`,
  };
}

/** The typed events as plain records, to read fields by name. */
const asWire = (events: readonly object[]): WireEvent[] => events as WireEvent[];

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<Error> {
  const err = await p.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(isPolygonStreamError(err), String(err));
  assert.equal(err.code, code, err.message);
  assert.match(err.message, pattern);
  return err;
}

describe('client.history', () => {
  it('follows next_url across 3 pages, Bearer auth on each, events in order', T, async () => {
    const server = await serve((req) => {
      const cursor = new URL(req.url, 'http://x').searchParams.get('cursor');
      const page = cursor === null ? 0 : Number(cursor);
      const next = page < 2 ? `http://elsewhere.example/v3/trades/AAPL?cursor=${page + 1}` : '';
      const results = [
        tradeRow(FROM + page * 10, page * 2 + 1),
        tradeRow(FROM + page * 10 + 1, page * 2 + 2),
      ];
      return { body: { status: 'OK', results, ...(next ? { next_url: next } : {}) } };
    });
    const c = client('stocks', server.wsHost);
    const events = asWire(await c.history('T.AAPL', { from: FROM, to: TO }));
    assert.equal(c.state, 'idle', 'the stream was never opened');
    assert.deepEqual(
      events.map((e) => [e.ev, e['sym'], e['t'], e['q'], e['p']]),
      [1, 2, 3, 4, 5, 6].map((q) => [
        'T',
        'AAPL',
        FROM + Math.floor((q - 1) / 2) * 10 + ((q - 1) % 2),
        q,
        10 + q,
      ]),
    );
    assert.deepEqual(
      server.requests.map((r) => r.url),
      [
        `/v3/trades/AAPL?timestamp.gte=${FROM}000000&timestamp.lt=${TO}000000&order=asc&sort=timestamp&limit=50000`,
        '/v3/trades/AAPL?cursor=1',
        '/v3/trades/AAPL?cursor=2',
      ],
      'next_url is followed on our own host',
    );
    for (const r of server.requests) assert.equal(r.authorization, `Bearer ${KEY}`);
  });

  it(
    'keeps the window: a row before from or at/after to is HISTORY_INVALID; crypto ticker encoded',
    T,
    async () => {
      const row = (ms: string, id: string) => ({
        participant_timestamp: ms,
        id,
        price: Number(id),
        size: 1,
        exchange: 1,
      });
      const inside = [row(`${FROM}000000`, '2'), row(`${TO - 1}999999`, '3')];
      for (const [outside, said] of [
        [row(`${FROM - 1}999999`, '1'), `a row at ${FROM - 1}, outside the window`],
        [row(`${TO}000000`, '4'), `a row at ${TO}, outside the window`],
      ] as const) {
        const server = await serve(() => ({
          body: { status: 'OK', results: [...inside, outside] },
        }));
        const c = client('crypto', server.wsHost);
        await assert.rejects(c.history('XT.BTC-USD', { from: FROM, to: TO }), (e: unknown) => {
          assert.ok(isPolygonStreamError(e, ErrorCode.HistoryInvalid), String(e));
          assert.ok(e.message.includes(said), e.message);
          return true;
        });
      }
      const server = await serve(() => ({ body: { status: 'OK', results: inside } }));
      const c = client('crypto', server.wsHost);
      const events = await c.history('XT.BTC-USD', { from: FROM, to: TO });
      assert.deepEqual(events, [
        { ev: 'XT', pair: 'BTC-USD', p: 2, t: FROM, s: 1, i: 2, x: 1 },
        { ev: 'XT', pair: 'BTC-USD', p: 3, t: TO - 1, s: 1, i: 3, x: 1 },
      ]);
      assert.match(server.requests[0]!.url, /^\/v3\/trades\/X%3ABTC-USD\?/);
    },
  );

  it('minute bars: ms window starts, the restUrl option wins over the host', T, async () => {
    const server = await serve(() => ({
      body: {
        status: 'OK',
        results: [{ o: 1, h: 2, l: 0.5, c: 1.5, v: 10, vw: 1.2, n: 3, t: FROM }],
      },
    }));
    const c = client('stocks', 'ws://127.0.0.1:1', { ...FAST, restUrl: server.url });
    assert.deepEqual(await c.history('AM.AAPL', { from: FROM, to: TO }), [
      {
        ev: 'AM',
        sym: 'AAPL',
        o: 1,
        h: 2,
        l: 0.5,
        c: 1.5,
        v: 10,
        vw: 1.2,
        s: FROM,
        e: FROM + 60_000,
      },
    ]);
    assert.equal(
      server.requests[0]!.url,
      `/v2/aggs/ticker/AAPL/range/1/minute/${FROM}/${TO - 1}?adjusted=false&sort=asc&limit=50000`,
    );
  });

  it('429 with Retry-After: waits that long, then succeeds', T, async () => {
    const server = await serve((req) =>
      req.n === 0
        ? {
            status: 429,
            headers: { 'retry-after': '0.3' },
            body: { status: 'ERROR', message: 'slow down' },
          }
        : { body: { status: 'OK', results: [tradeRow(FROM, 1)] } },
    );
    const c = client('stocks', server.wsHost, { ...FAST, retryDelayMs: 5_000 });
    const events = await c.history('T.AAPL', { from: FROM, to: TO });
    assert.equal(events.length, 1);
    const waited = server.requests[1]!.at - server.requests[0]!.at;
    assert.ok(waited >= 280 && waited < 2_000, `waited ${waited} ms for Retry-After 0.3 s`);
  });

  it('401 → HISTORY_UNAVAILABLE at once, quoting the server', T, async () => {
    const server = await serve(() => ({
      status: 401,
      body: {
        status: 'NOT_AUTHORIZED',
        request_id: 'r1',
        message: 'You are not entitled to this data.',
      },
    }));
    const c = client('stocks', server.wsHost);
    const err = await rejectsWith(
      c.history('Q.AAPL', { from: FROM, to: TO }),
      ErrorCode.HistoryUnavailable,
      /Q\.AAPL.*HTTP 401.*not entitled.*plan does not include/,
    );
    assert.equal(server.requests.length, 1, 'no retry');
    assert.equal((err as PolygonStreamError).details['status'], 401);
  });

  it('500 twice, then success', T, async () => {
    const server = await serve((req) =>
      req.n < 2
        ? { status: 500, body: { status: 'ERROR', message: 'boom' } }
        : { body: { status: 'OK', results: [tradeRow(FROM, 7)] } },
    );
    const c = client('stocks', server.wsHost);
    const events = asWire(await c.history('T.AAPL', { from: FROM, to: TO }));
    assert.deepEqual(
      events.map((e) => e['q']),
      [7],
    );
    assert.equal(server.requests.length, 3);
  });

  it('5xx past the retries → HISTORY_FAILED', T, async () => {
    const server = await serve(() => ({ status: 503, body: { message: 'down' } }));
    const c = client('stocks', server.wsHost, { ...FAST, maxRetries: 2 });
    await rejectsWith(
      c.history('T.AAPL', { from: FROM, to: TO }),
      ErrorCode.HistoryFailed,
      /HTTP 503: "down"/,
    );
    assert.equal(server.requests.length, 3);
  });

  it(
    'a server that never answers → HISTORY_FAILED after the timeout and its retries',
    T,
    async () => {
      const server = await serve(() => ({ hang: true }));
      // Long enough for the retry to reach the server on a loaded machine before it times out.
      const c = client('stocks', server.wsHost, { ...FAST, timeoutMs: 500, maxRetries: 1 });
      await rejectsWith(
        c.history('T.AAPL', { from: FROM, to: TO }),
        ErrorCode.HistoryFailed,
        /timed out after 500 ms/,
      );
      assert.equal(server.requests.length, 2);
    },
  );

  it(
    'the key never appears in errors or logs, even when next_url and the server carry it',
    T,
    async () => {
      const server = await serve((req) =>
        req.n === 0
          ? {
              body: {
                status: 'OK',
                results: [tradeRow(FROM, 1)],
                next_url: `http://127.0.0.1/v3/trades/AAPL?cursor=2&apiKey=${KEY}`,
              },
            }
          : {
              status: 500,
              body: { status: 'ERROR', message: `bad request ?apiKey=${KEY} for ${KEY}` },
            },
      );
      const lines: string[] = [];
      const c = client('stocks', server.wsHost, { ...FAST, maxRetries: 1 }, lines);
      const err = await rejectsWith(
        c.history('T.AAPL', { from: FROM, to: TO }),
        ErrorCode.HistoryFailed,
        /HTTP 500/,
      );
      assert.equal(
        server.requests[1]!.url,
        '/v3/trades/AAPL?cursor=2',
        'apiKey is not sent in the URL',
      );
      assert.equal(server.requests[1]!.authorization, `Bearer ${KEY}`);
      const text = [errorText(err), ...lines].join('\n');
      assert.ok(
        lines.some((l) => l.includes('retry 1')),
        lines.join('\n'),
      );
      assert.ok(!text.includes(KEY), text);
      assert.ok(text.includes('apiKey=***'), text);
    },
  );

  it('never more requests in flight than the concurrency limit, across calls', T, async () => {
    const server = await serve(() => ({ delayMs: 40, body: { status: 'OK', results: [] } }));
    const c = client('stocks', server.wsHost, { ...FAST, concurrency: 2 });
    const symbols = ['A', 'B', 'C', 'D', 'E', 'F'];
    await Promise.all(symbols.map((s) => c.history(`T.${s}`, { from: FROM, to: TO })));
    assert.equal(server.requests.length, 6);
    assert.equal(server.maxInFlight, 2);
  });

  it('requests start no faster than requestsPerSecond, across calls', T, async () => {
    const server = await serve(() => ({ body: { status: 'OK', results: [] } }));
    const c = client('stocks', server.wsHost, { ...FAST, requestsPerSecond: 10 });
    await Promise.all(
      ['A', 'B', 'C', 'D', 'E'].map((s) => c.history(`T.${s}`, { from: FROM, to: TO })),
    );
    const at = server.requests.map((r) => r.at);
    // 400 ms of spacing; arrival times jitter by a connection set-up.
    assert.ok(at[4]! - at[0]! >= 300, `5 requests at 10/s took ${at[4]! - at[0]!} ms`);
  });

  it('an aborted call rejects with the signal reason at once and frees its slot', T, async () => {
    const server = await serve((req) =>
      req.n === 0 ? { hang: true } : { body: { status: 'OK', results: [tradeRow(FROM, 1)] } },
    );
    const c = client('stocks', server.wsHost, { ...FAST, concurrency: 1 });
    const abort = new AbortController();
    const first = c.history('T.AAPL', { from: FROM, to: TO, signal: abort.signal });
    const second = c.history('T.MSFT', { from: FROM, to: TO });
    await until(() => server.requests.length > 0, 'the first request');
    abort.abort(new Error('caller gave up'));
    await assert.rejects(first, /caller gave up/);
    assert.equal(asWire(await second).length, 1);
  });

  it('more rows than maxRows → HISTORY_FAILED', T, async () => {
    const server = await serve(() => ({
      body: { status: 'OK', results: [tradeRow(FROM, 1), tradeRow(FROM, 2), tradeRow(FROM, 3)] },
    }));
    const c = client('stocks', server.wsHost);
    await rejectsWith(
      c.history('T.AAPL', { from: FROM, to: TO, maxRows: 2 }),
      ErrorCode.HistoryFailed,
      /more than maxRows \(2\)/,
    );
  });

  it(
    'topics without history and bad windows are refused at the call, with no request',
    T,
    async () => {
      const server = await serve(() => ({ body: { status: 'OK', results: [] } }));
      const stocks = client('stocks', server.wsHost);
      const cases: [() => unknown, string, RegExp][] = [
        [() => stocks.history('T.*', { from: FROM, to: TO }), ErrorCode.NoHistory, /wildcard/],
        [
          () => stocks.history('LULD.AAPL', { from: FROM, to: TO }),
          ErrorCode.NoHistory,
          /limit down has no history/,
        ],
        [
          () => stocks.history('XT.BTC-USD', { from: FROM, to: TO }),
          ErrorCode.StreamNotOnCluster,
          /prefix XT on the stocks/,
        ],
        [
          () => stocks.history('T.AAPL,T.MSFT', { from: FROM, to: TO }),
          ErrorCode.InvalidSymbols,
          /one 'PREFIX.SYMBOL' topic/,
        ],
        [
          () => stocks.history('T.AAPL', { from: TO, to: FROM }),
          ErrorCode.InvalidOption,
          /from < to/,
        ],
        [
          () => client('crypto', server.wsHost).history('XQ.BTC-USD', { from: FROM, to: TO }),
          ErrorCode.NoHistory,
          /not crypto/,
        ],
        [
          () => client('stocks', 'launchpad.polygon.io').history('AM.AAPL', { from: FROM, to: TO }),
          ErrorCode.NoHistory,
          /launchpad/,
        ],
      ];
      for (const [call, code, pattern] of cases) {
        assert.throws(
          call,
          (e: unknown) => isPolygonStreamError(e, code as ErrorCode) && pattern.test(e.message),
        );
      }
      assert.equal(server.requests.length, 0);
    },
  );
});
