/**
 * Hostile input (README): every option is checked at the call, with one message
 * format naming the option and what it allows; durations beyond what a timer honours (2^31 ms)
 * are refused instead of firing after 1 ms.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import { BoundedQueue } from '../../src/client/delivery/bounded-queue.js';
import { Stats } from '../../src/client/delivery/stats.js';
import { ErrorCode } from '../../src/errors.js';
import { readStream, RedisSink } from '../../src/redis/index.js';
import { startSimulator } from '../../src/simulator/index.js';
import { parseDuration } from '../../src/cli/args.js';

const HOST = 'ws://127.0.0.1:1';
const client = (options: unknown): StreamClient<'stocks'> =>
  new StreamClient('k', 'stocks', { host: HOST, ...(options as object) });
const idle = (): StreamClient<'stocks'> => client({});

/** [what, the call, the message it must throw]. */
const CASES: [string, () => unknown, RegExp][] = [
  [
    'options: null',
    () => new StreamClient('k', 'stocks', null as never),
    /StreamClient: options must be an object \(got null\)/,
  ],
  [
    'stableAfterMs: Infinity',
    () => client({ reconnect: { stableAfterMs: Infinity } }),
    /StreamClient: reconnect\.stableAfterMs must be a duration in ms from 1 to 2147483647 \(got Infinity\)/,
  ],
  [
    "transport: 'browser'",
    () => client({ transport: 'browser' }),
    /StreamClient: transport must be one of "ws", "native" \(got "browser"\)/,
  ],
  [
    "ws options with transport: 'native'",
    () => client({ transport: 'native', ws: { headers: { a: 'b' } } }),
    /StreamClient: ws must be unset with transport 'native' \(the runtime's WebSocket takes no agent, headers or TLS options\)/,
  ],
  [
    'reclaimAfterMs: Infinity',
    () => client({ onMaxConnections: 'reclaim', reclaimAfterMs: Infinity }),
    /reclaimAfterMs must be a duration in ms from 60000 to 2147483647 \(got Infinity\)/,
  ],
  [
    'reclaimAfterMs below a minute',
    () => client({ reclaimAfterMs: 1_000 }),
    /reclaimAfterMs must be a duration in ms from 60000/,
  ],
  [
    'authTimeoutMs: 3e9',
    () => client({ authTimeoutMs: 3e9 }),
    /authTimeoutMs must be a duration in ms from 1 to 2147483647 \(got 3000000000\)/,
  ],
  [
    'subscribeTimeoutMs: NaN',
    () => client({ subscribeTimeoutMs: NaN }),
    /subscribeTimeoutMs must be a duration .* \(got NaN\)/,
  ],
  [
    'idleTimeoutMs: -1',
    () => client({ idleTimeoutMs: -1 }),
    /idleTimeoutMs must be a duration in ms from 0/,
  ],
  [
    'initialDelayMs: 2^31',
    () => client({ reconnect: { initialDelayMs: 2 ** 31 } }),
    /reconnect\.initialDelayMs must be/,
  ],
  [
    'maxDelayMs: Infinity',
    () => client({ reconnect: { maxDelayMs: Infinity } }),
    /reconnect\.maxDelayMs must be/,
  ],
  [
    'maxAttempts: 2.5',
    () => client({ reconnect: { maxAttempts: 2.5 } }),
    /reconnect\.maxAttempts must be an integer from 0 .* \(got 2\.5\)/,
  ],
  ['reconnect: 5', () => client({ reconnect: 5 }), /reconnect must be an object \(got 5\)/],
  [
    'a logger lacking methods',
    () => client({ logger: { info() {} } }),
    /StreamClient: logger\.debug must be a function \(got undefined\)/,
  ],
  [
    'onMessage: 5',
    () => client({ onMessage: 5 }),
    /StreamClient: onMessage must be a function \(got 5\)/,
  ],
  ['onError: 5', () => client({ onError: 5 }), /onError must be a function/],
  ['onClose: "x"', () => client({ onClose: 'x' }), /onClose must be a function \(got "x"\)/],
  [
    'onMaxConnections: {toString:1}',
    () => client({ onMaxConnections: { toString: 1 } }),
    /onMaxConnections must be one of "stop", "reclaim" \(got \{"toString":1\}\)/,
  ],
  [
    'startStreamThread(null)',
    () => idle().startStreamThread(null as never),
    /startStreamThread: options must be an object \(got null\)/,
  ],
  [
    'pingInterval: 1e7',
    () => idle().startStreamThread({ pingInterval: 1e7 }),
    /startStreamThread: pingInterval must be a duration in s from 0 to 2147483 \(got 10000000\)/,
  ],
  [
    'pingTimeout: Infinity',
    () => idle().startStreamThread({ pingTimeout: Infinity }),
    /pingTimeout must be a duration in s/,
  ],
  [
    'events({ ev: 123 })',
    () => idle().events({ ev: 123 as never }),
    /events: ev must be an event type or an array of them .* \(got 123\)/,
  ],
  [
    "events({ symbols: 'AAPL' })",
    () => idle().events({ symbols: 'AAPL' as never }),
    /events: symbols must be an array of symbols .* \(got "AAPL"\)/,
  ],
  [
    "events({ signal: 'x' })",
    () => idle().events({ signal: 'x' as never }),
    /events: signal must be an AbortSignal \(got "x"\)/,
  ],
  [
    'events({ capacity: 0 })',
    () => idle().events({ capacity: 0 }),
    /queue: capacity must be an integer from 1/,
  ],
  [
    "on('T', fn, null)",
    () => idle().on('T', () => undefined, null as never),
    /on\("T"\): options must be an object/,
  ],
  [
    "on('T', 5)",
    () => idle().on('T', 5 as never),
    /on\("T"\): listener must be a function \(got 5\)/,
  ],
  [
    'queue overflow "x"',
    () => new BoundedQueue({ overflow: 'x' as never }),
    /queue: overflow must be one of/,
  ],
  [
    'stats rateWindowMs: 1e10',
    () => new Stats({ rateWindowMs: 1e10 }),
    /Stats: rateWindowMs must be an integer from 1 to 2147483647/,
  ],
  [
    'RedisSink closeTimeoutMs: Infinity',
    () =>
      new RedisSink({ url: 'redis://127.0.0.1:1', cluster: 'stocks', closeTimeoutMs: Infinity }),
    /RedisSink: closeTimeoutMs must be a duration/,
  ],
  [
    'RedisSink trimIntervalMs: -1',
    () => new RedisSink({ url: 'redis://127.0.0.1:1', cluster: 'stocks', trimIntervalMs: -1 }),
    /RedisSink: trimIntervalMs must be a duration/,
  ],
  [
    'RedisSink logger without warn',
    () => new RedisSink({ url: 'redis://127.0.0.1:1', cluster: 'stocks', logger: {} as never }),
    /RedisSink: logger\.warn must be a function \(got undefined\)/,
  ],
  [
    'RedisSink url with a password and the wrong scheme',
    () => new RedisSink({ url: 'http://:hunter2@127.0.0.1:1', cluster: 'stocks' }),
    /^RedisSink: url must be a redis:\/\/ or rediss:\/\/ URL, or redis\+cluster:\/\/host:port\[,host:port…\] \(got "http:\/\/:\*\*\*@127\.0\.0\.1:1\/"\)$/,
  ],
  [
    'readStream url: 5',
    () => readStream({ url: 5 as never, key: 'k', group: 'g', consumer: 'c' }),
    /^readStream: url must be a redis:\/\/ or rediss:\/\/ URL, or redis\+cluster:\/\/host:port\[,host:port…\] \(got 5\)$/,
  ],
  [
    'RedisSink(null)',
    () => new RedisSink(null as never),
    /RedisSink: options must be an object \(got null\)/,
  ],
];

test('each bad option: INVALID_OPTION naming the option, what it allows and what it got', () => {
  for (const [what, call, message] of CASES) {
    assert.throws(call, (err: { code?: string; message?: string }) => {
      assert.equal(err.code, ErrorCode.InvalidOption, `${what}: ${err.message}`);
      assert.match(err.message!, message, what);
      return true;
    });
  }
});

test('a host URL with a query string or fragment: INVALID_HOST', () => {
  for (const host of ['ws://h:1?x=1', 'wss://h/path#frag', 'ws://h:1/?']) {
    assert.throws(() => new StreamClient('k', 'stocks', { host }), {
      code: ErrorCode.InvalidHost,
      message: /without a query string or fragment/,
    });
  }
});

test('simulator durations: INVALID_OPTION at the call (rejected promise)', async () => {
  for (const [options, message] of [
    [
      { authTimeoutMs: 3e9 },
      /startSimulator: authTimeoutMs must be a duration in ms from 1 to 2147483647/,
    ],
    [{ tickMs: Infinity }, /startSimulator: tickMs must be a duration/],
    [null, /startSimulator: options must be an object \(got null\)/],
  ] as const) {
    await assert.rejects(startSimulator(options as never), {
      code: ErrorCode.InvalidOption,
      message,
    });
  }
});

test('simulator methods: INVALID_OPTION at the call', async () => {
  const sim = await startSimulator({ port: 0, eventsPerSecond: 0 });
  try {
    assert.throws(() => sim.waitFor(() => false, Infinity), {
      code: ErrorCode.InvalidOption,
      message: /waitFor: timeoutMs must be a duration in ms from 0 to 2147483647 \(got Infinity\)/,
    });
    assert.throws(() => sim.waitFor(null as never), {
      code: ErrorCode.InvalidOption,
      message: /waitFor: predicate must be a function \(got null\)/,
    });
    assert.throws(() => sim.publish('bonds', []), {
      code: ErrorCode.InvalidOption,
      message: /publish: cluster must be one of "stocks", .* \(got "bonds"\)/,
    });
    assert.throws(() => sim.publish('stocks', null as never), {
      code: ErrorCode.InvalidOption,
      message: /publish: events must be an array \(got null\)/,
    });
    assert.equal(sim.publish('stocks', [null, 5, { ev: 'T', sym: 'A' }] as never), 0);
  } finally {
    await sim.close();
  }
});

test('CLI durations stop at what a timer honours', () => {
  assert.equal(parseDuration('24d'.replace('d', 'h')), 86_400_000);
  assert.equal(parseDuration('596h'), 2_145_600_000);
  assert.throws(() => parseDuration('597h'), /from 1ms to 2147483647ms/);
  assert.throws(() => parseDuration('0.0001'), /from 1ms/);
});

test('the limits themselves are accepted', () => {
  const c = client({
    authTimeoutMs: 2 ** 31 - 1,
    reconnect: { stableAfterMs: 2 ** 31 - 1, maxAttempts: Infinity },
    onMaxConnections: 'reclaim',
    reclaimAfterMs: 60_000,
  });
  assert.equal(c.state, 'idle');
});
