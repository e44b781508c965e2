/**
 * The Python library's client behaviours, against the simulator: queued subscribes, handler
 * arguments, default handlers, close, `await using`, bad input, authentication, one client per
 * cluster.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import type { ClientOptions } from '../../src/client/config.js';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { Cluster } from '../../src/protocol/streams.js';
import { Host } from '../../src/protocol/hosts.js';

const KEY = 'SECRET-KEY-123';
const quiet = { onMessage: () => {}, onError: () => {}, onClose: () => {} };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PolygonStreamError, `typed error, got ${String(err)}`);
    assert.ok(!err.message.includes(KEY), 'the key never appears in an error');
    return err.code;
  }
  return undefined;
}

describe('StreamClient', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ eventsPerSecond: 400, apiKeys: [KEY, 'other-key'] });
  });
  after(() => sim.close());

  function client(
    cluster: Cluster = Cluster.Stocks,
    options: ClientOptions<StreamClient> = {},
    key = KEY,
  ) {
    return new StreamClient(key, cluster, { host: sim.url, ...quiet, ...options });
  }

  test('subscribing before start is queued and sent once, right after auth_success', async () => {
    const c = client();
    const acked = c.subscribeStockTrades(['AAPL', 'msft']);
    c.subscribeStockQuotes(['AAPL']);
    assert.equal(c.state, 'idle');
    await c.startStreamThread();
    assert.equal(c.state, 'open');
    assert.deepEqual(await acked, { topics: ['T.AAPL', 'T.MSFT'] });
    const conn = await sim.waitFor((x) => x.authenticated && x.apiKey === KEY);
    assert.deepEqual(conn.received, [
      { action: 'auth', params: KEY },
      { action: 'subscribe', params: 'T.AAPL,T.MSFT,Q.AAPL' },
    ]);
    assert.deepEqual(Object.fromEntries([...c.subscriptions()].map(([t, s]) => [t, s.state])), {
      'T.AAPL': 'active',
      'T.MSFT': 'active',
      'Q.AAPL': 'active',
    });
    await c.closeStream();
  });

  test('handlers get (client, raw frame), (client, error), (client, code, reason)', async () => {
    const raws: unknown[][] = [];
    const closes: unknown[][] = [];
    const errors: unknown[][] = [];
    const c = new StreamClient(KEY, 'crypto', {
      host: sim.url,
      onMessage: (...args) => raws.push(args),
      onError: (...args) => errors.push(args),
      onClose: (...args) => closes.push(args),
    });
    await c.startStreamThread();
    await c.subscribeCryptoTrades(['BTC-USD']);
    const conn = await sim.waitFor((x) => x.cluster === 'crypto' && x.authenticated);
    conn.sendRaw('[{"ev":"XT","pair":"BTC-USD","p":1,"s":2,"t":3,"c":[],"x":1,"r":4}]');
    await waitUntil(() => raws.some(([, raw]) => String(raw).includes('"p":1,"s":2')));
    for (const [self, raw] of raws) {
      assert.equal(self, c);
      assert.equal(typeof raw, 'string');
    }
    assert.ok(
      raws.some(
        ([, raw]) => raw === '[{"ev":"XT","pair":"BTC-USD","p":1,"s":2,"t":3,"c":[],"x":1,"r":4}]',
      ),
      'exactly as received',
    );
    assert.equal(
      raws[0]![1],
      '[{"ev":"status","status":"connected","message":"Connected Successfully"}]',
    );
    // Raw mode hands frames over undecoded; with a typed listener the client decodes them.
    conn.sendRaw('not json');
    await waitUntil(() => raws.some(([, raw]) => raw === 'not json'));
    assert.equal(errors.length, 0);
    c.on('*', () => {});
    conn.sendRaw(`not json, and it echoes the key ${KEY}`);
    await waitUntil(() => errors.length > 0);
    assert.equal(errors[0]![0], c);
    const malformed = errors[0]![1] as PolygonStreamError;
    assert.equal(malformed.code, ErrorCode.MalformedFrame);
    assert.match(malformed.message, /echoes the key \*\*\*/);
    assert.equal(c.state, 'open', 'a malformed frame does not end the stream');
    await c.closeStream();
    assert.deepEqual(closes, [[c, 1000, 'closed by client']], 'onClose once, on close');
  });

  test("default handlers print like the Python library's", async (t) => {
    const logs: string[] = [];
    t.mock.method(console, 'log', (line: string) => logs.push(line));
    const c = new StreamClient(KEY, 'stocks', { host: sim.url });
    await c.startStreamThread();
    await c.subscribeStockTrades(['AAPL']);
    await waitUntil(() => logs.some((l) => l.startsWith('[{"ev":"T"')));
    await c.closeStream();
    t.mock.restoreAll();
    assert.ok(
      logs.includes('status: [{"ev":"status","status":"auth_success","message":"authenticated"}]'),
    );
    assert.equal(logs.at(-1), 'Stream closed with code: 1000 || msg: closed by client');
    assert.ok(logs.every((l) => !l.includes(KEY)));
  });

  test('closeStream resolves once closed; calls after it are typed errors', async () => {
    const c = client('indices');
    await c.startStreamThread();
    const conn = await sim.waitFor((x) => x.authenticated && x.cluster === 'indices');
    await c.closeStream();
    assert.equal(c.state, 'closed');
    await waitUntil(() => !sim.connections().includes(conn));
    assert.equal(
      codeOf(() => c.subscribeIndexValue()),
      ErrorCode.ClientClosed,
    );
    assert.equal(
      codeOf(() => c.startStreamThread()),
      ErrorCode.ClientClosed,
    );
    await c.closeStream(); // idempotent
  });

  test('await using closes the client', async () => {
    let seen: StreamClient | undefined;
    {
      await using c = client();
      seen = c;
      await c.startStreamThread();
      assert.equal(c.state, 'open');
    }
    assert.equal(seen.state, 'closed');
  });

  test('auth failure rejects startStreamThread with AUTH_FAILED and ends the stream', async () => {
    const errors: PolygonStreamError[] = [];
    const c = client(
      'forex',
      { onError: (_c, e) => errors.push(e as PolygonStreamError) },
      'WRONG-KEY-999',
    );
    await assert.rejects(c.startStreamThread(), (e: PolygonStreamError) => {
      assert.equal(e.code, ErrorCode.AuthFailed);
      assert.match(e.message, /authentication failed/);
      assert.ok(!e.message.includes('WRONG-KEY-999'));
      return true;
    });
    assert.equal(c.state, 'closed');
    assert.deepEqual(
      errors.map((e) => e.code),
      [ErrorCode.AuthFailed],
    );
  });

  test('bad input is a typed error thrown at the call, saying what is allowed', () => {
    assert.equal(
      codeOf(() => new StreamClient('', 'stocks')),
      ErrorCode.InvalidApiKey,
    );
    assert.equal(
      codeOf(() => new StreamClient(undefined as unknown as string, 'stocks')),
      ErrorCode.InvalidApiKey,
    );
    assert.equal(
      codeOf(() => new StreamClient(KEY, 'bonds' as Cluster)),
      ErrorCode.UnknownCluster,
    );
    assert.throws(
      () => new StreamClient(KEY, 'bonds' as Cluster),
      /allowed: stocks, options, forex, crypto, indices/,
    );
    assert.equal(
      codeOf(() => new StreamClient(KEY, 'stocks', { host: 'http://x' })),
      ErrorCode.InvalidHost,
    );
    assert.equal(
      codeOf(() => new StreamClient(KEY, 'stocks', { reclaimAfterMs: 1000 })),
      ErrorCode.InvalidOption,
    );
    assert.equal(
      codeOf(() => new StreamClient(KEY, 'stocks', { reconnect: { jitter: 2 } })),
      ErrorCode.InvalidOption,
    );
    const crypto = client('crypto');
    assert.equal(
      codeOf(() => crypto.subscribeStockTrades(['AAPL'])),
      ErrorCode.StreamNotOnCluster,
    );
    assert.throws(
      () => crypto.subscribeStockTrades(),
      /not offered on the crypto cluster \(it exists on: stocks\)/,
    );
    assert.equal(
      codeOf(() => client('stocks').subscribeIndexValue()),
      ErrorCode.StreamNotOnCluster,
    );
    assert.equal(
      codeOf(() => client('indices').subscribeFairMarketValue()),
      ErrorCode.StreamNotOnCluster,
    );
    assert.equal(
      codeOf(() => crypto.subscribeCryptoTrades([1 as unknown as string])),
      ErrorCode.InvalidSymbols,
    );
    assert.equal(
      codeOf(() => crypto.subscribeCryptoTrades([''])),
      ErrorCode.InvalidSymbols,
    );
    assert.equal(
      codeOf(() => crypto.subscribeCryptoTrades(['BTC-USD,ETH-USD'])),
      ErrorCode.InvalidSymbols,
    );
    assert.equal(
      codeOf(() => crypto.subscribe(['nodot'])),
      ErrorCode.InvalidSymbols,
    );
    assert.equal(
      codeOf(() => crypto.startStreamThread({ pingInterval: -1 })),
      ErrorCode.InvalidOption,
    );
    assert.equal(
      codeOf(() => crypto.on('T', 'nope' as unknown as () => void)),
      ErrorCode.InvalidOption,
    );
  });

  test('hosts: names become wss://HOST/CLUSTER, URLs get /CLUSTER', () => {
    // The default: what the provider's own clients use since the rebrand.
    assert.equal(new StreamClient(KEY, 'stocks').url, 'wss://socket.massive.com/stocks');
    assert.equal(
      new StreamClient(KEY, 'options', { host: Host.Delayed }).url,
      'wss://delayed.massive.com/options',
    );
    assert.equal(
      new StreamClient(KEY, 'options', { host: Host.PolygonDelayed }).url,
      'wss://delayed.polygon.io/options',
    );
    assert.equal(
      new StreamClient(KEY, 'futures', { host: 'delayed' }).url,
      'wss://delayed.massive.com/futures',
    );
    assert.equal(
      new StreamClient(KEY, 'crypto', { host: Host.MassiveBusiness }).url,
      'wss://business.massive.com/crypto',
    );
    assert.equal(
      new StreamClient(KEY, 'forex', { host: 'ws://127.0.0.1:9/' }).url,
      'ws://127.0.0.1:9/forex',
    );
  });

  test('one open client per host, cluster and key: the second throws before it connects', async () => {
    const first = client('options');
    await first.startStreamThread();
    const second = client('options');
    assert.equal(
      codeOf(() => second.startStreamThread()),
      ErrorCode.DuplicateClient,
    );
    assert.equal(second.state, 'idle');
    assert.equal(
      sim.connections().filter((x) => x.cluster === 'options').length,
      1,
      'the first was not dropped',
    );
    const otherKey = client('options', {}, 'other-key');
    await otherKey.startStreamThread(); // another key is another quota
    await otherKey.closeStream();
    await first.closeStream();
    const third = client('options');
    await third.startStreamThread(); // free again once the first closed
    await third.closeStream();
  });

  test('compression: true negotiates permessage-deflate; the default does not', async () => {
    const seen = new Set<number>();
    for (const compression of [true, false]) {
      await using c = client('forex', { compression });
      await c.startStreamThread();
      const conn = await sim.waitFor(
        (x) => x.cluster === 'forex' && x.authenticated && !seen.has(x.id),
      );
      seen.add(conn.id);
      assert.equal(conn.compressed, compression);
      await c.subscribeForexQuotes(['EUR-USD']);
    }
  });

  test('a pluggable logger gets close codes, reasons and the last status text, never the key', async () => {
    const lines: string[] = [];
    const record = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    const logger = {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    };
    const c = client('indices', { logger, reconnect: false });
    await c.startStreamThread();
    await c.subscribeIndexValue(['SPX']);
    const conn = await sim.waitFor((x) => x.cluster === 'indices' && x.authenticated);
    conn.forceDisconnect('maintenance');
    await waitUntil(() => c.state === 'closed');
    const closed = lines.find((l) => l.startsWith('info socket closed'));
    assert.ok(closed, lines.join('\n'));
    assert.match(closed, /"code":1001/);
    assert.match(closed, /"lastStatus":"force_disconnect: maintenance"/);
    assert.ok(lines.some((l) => l.startsWith('debug send subscribe') && l.includes('V.I:SPX')));
    assert.ok(lines.every((l) => !l.includes(KEY)));
  });

  test('generic subscribe reaches any topic (launchpad, future feeds)', async () => {
    const c = client();
    await c.startStreamThread();
    const conn = await sim.waitFor(
      (x) => x.authenticated && x.apiKey === KEY && x.cluster === 'stocks',
    );
    const lv: unknown[] = [];
    c.on('LV', (e) => lv.push(e));
    await c.subscribe('LV.AAPL,FMV.*');
    assert.deepEqual(conn.received.at(-1), { action: 'subscribe', params: 'LV.AAPL,FMV.*' });
    // FMV.* spreads the generated rate over every listed stock: LV.AAPL alone would be rare, so
    // one is published.
    sim.publish('stocks', [{ ev: 'LV', sym: 'AAPL', val: 189.5, t: Date.now() }]);
    await waitUntil(() => lv.length > 0);
    await c.unsubscribe(['LV.AAPL']);
    assert.deepEqual([...conn.subscriptions], ['FMV.*']);
    await c.closeStream();
  });
});

async function waitUntil(predicate: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
