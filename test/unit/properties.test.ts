/**
 * Property tests (fast-check, seeded): whatever a server sends and whatever a caller passes, the
 * library either works or throws a PolygonStreamError with a code, never a TypeError or the like.
 * Bounded in `npm test`; `npm run fuzz` runs them longer (FUZZ_RUNS, FUZZ_SEED).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { StreamClient } from '../../src/client/stream-client.js';
import { decodeFrame, isWireEvent } from '../../src/protocol/codec.js';
import { interpretStatus, type StatusContext } from '../../src/protocol/statuses.js';
import { ErrorCode } from '../../src/errors.js';
import { MASK, redactText, redactValue } from '../../src/redact.js';
import { readStream, RedisSink } from '../../src/redis/index.js';
import { STREAM_METHODS } from '../../src/protocol/streams.js';
import { codedOrFine, optionsOf, RUNS, SEED, statusEvent } from '../helpers/arbitraries.js';

const params = { numRuns: RUNS, seed: SEED };

const CODES = Object.values(ErrorCode) as string[];
const context = fc.record<StatusContext>({
  authenticating: fc.boolean(),
  open: fc.boolean(),
  secret: fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom('1', '0', ':', 'KEY')),
  cluster: fc.constantFrom('stocks', 'crypto'),
  reclaimAfterMs: fc.option(fc.constant(60_000), { nil: undefined }),
  figures: fc.constant(() => ({ eventsPerSecond: 1 })),
});

test('any text as a frame: decoded or MALFORMED_FRAME; every status gets a verdict', () => {
  const frame = fc.oneof(
    fc.json(),
    fc.string({ unit: 'binary' }),
    // A binary frame's bytes, decoded as the client decodes them (invalid UTF-8 included).
    fc.uint8Array().map((bytes) => Buffer.from(bytes).toString('utf8')),
    fc.array(statusEvent).map((events) => JSON.stringify(events)),
  );
  fc.assert(
    fc.property(frame, context, (text, ctx) => {
      let events: unknown[] = [];
      codedOrFine(() => (events = decodeFrame(text)), [ErrorCode.MalformedFrame]);
      for (const event of events) {
        if (!isWireEvent(event)) continue;
        const verdict = interpretStatus(event, ctx);
        assert.equal(typeof verdict.text, 'string');
        assert.equal(typeof verdict.status, 'string');
        if ('error' in verdict) assert.ok(CODES.includes(verdict.error.code));
      }
    }),
    params,
  );
});

test('status fields of any value at all (fc.anything) never throw', () => {
  fc.assert(
    fc.property(fc.anything(), fc.anything(), context, (status, message, ctx) => {
      interpretStatus({ ev: 'status', status, message }, ctx);
    }),
    params,
  );
});

test('redaction: never throws, never grows a text without the key, masks a spaced token', () => {
  const anyKey = fc.string({ minLength: 1, maxLength: 4 });
  const wordKey = fc.stringMatching(/^\w{1,12}$/);
  fc.assert(
    fc.property(fc.string(), anyKey, wordKey, fc.anything(), (text, odd, word, value) => {
      redactValue(value, odd);
      if (!text.includes(odd)) assert.equal(redactText(text, odd), text);
      const masked = redactText(`${text} ${word} ${text}`, word);
      assert.ok(masked.includes(` ${MASK} `), masked);
    }),
    params,
  );
});

const CLIENT_KEYS = [
  'host',
  'onMessage',
  'onError',
  'onClose',
  'enableConnectionLogs',
  'logger',
  'reconnect',
  'subscribeTimeoutMs',
  'authTimeoutMs',
  'idleTimeoutMs',
  'onMaxConnections',
  'reclaimAfterMs',
  'allowDuplicateClient',
  'compression',
  'maxFrameBytes',
  'initialDelayMs',
  'maxAttempts',
  'stableAfterMs',
];

test('any options into new StreamClient: a client or a coded error', () => {
  fc.assert(
    fc.property(fc.anything(), fc.anything(), optionsOf(CLIENT_KEYS), (key, cluster, options) => {
      codedOrFine(() => new StreamClient(key as string, cluster as 'stocks', options as object));
      codedOrFine(() => new StreamClient('k', 'stocks', options as object));
    }),
    params,
  );
});

test('any arguments into startStreamThread, events, on, subscribe*, history: fine or coded', async () => {
  const quiet = {
    host: 'ws://127.0.0.1:1',
    onClose: () => undefined,
    history: { restUrl: 'http://127.0.0.1:1', maxRetries: 0 },
  };
  const closed = new StreamClient('k', 'stocks', quiet);
  await closed.closeStream();
  const idle = new StreamClient('k', 'stocks', quiet);
  const methods = STREAM_METHODS.flatMap((m) => [`subscribe${m}`, `unsubscribe${m}`]);
  const startKeys = ['pingInterval', 'pingTimeout', 'pingPayload', 'skipUtf8Validation'];
  const eventKeys = ['ev', 'symbols', 'signal', 'capacity', 'overflow'];
  fc.assert(
    fc.property(
      optionsOf(startKeys),
      optionsOf(eventKeys),
      fc.oneof(fc.string(), fc.anything()),
      fc.constantFrom(...methods),
      fc.oneof(fc.array(fc.string()), fc.anything()),
      (start, events, name, method, symbols) => {
        // On a closed client nothing connects: valid input ends in CLIENT_CLOSED.
        codedOrFine(() => closed.startStreamThread(start as object));
        codedOrFine(() => void idle.events(events as object).return?.());
        codedOrFine(() => idle.on(name as 'T', () => undefined, events as object)());
        const call = (closed as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!;
        codedOrFine(() => call.call(closed, symbols, events));
        codedOrFine(() => closed.subscribe(symbols as string[]));
        codedOrFine(() => closed.unsubscribe(symbols as string[]));
        // Checked at the call; a valid call on a closed client fails fast at the closed port.
        codedOrFine(() => void closed.history(name as string, start as never).catch(() => 0));
      },
    ),
    params,
  );
  await idle.closeStream();
});

test('any options into new RedisSink and readStream: coded errors only', () => {
  const keys = [
    'url',
    'streamKey',
    'cluster',
    'maxLen',
    'maxBuffer',
    'batchSize',
    'trimIntervalMs',
    'logger',
    'onError',
  ];
  const readKeys = ['url', 'key', 'group', 'consumer', 'count', 'blockMs', 'claimIdleMs', 'signal'];
  const withUrl = (k: string[]): fc.Arbitrary<unknown> =>
    fc.oneof(
      optionsOf(k),
      optionsOf(k).map((o) => ({ ...(o as object), url: 'redis://127.0.0.1:1' })),
    );
  fc.assert(
    fc.property(withUrl(keys), withUrl(readKeys), (sink, reader) => {
      codedOrFine(() => new RedisSink(sink as never));
      codedOrFine(() => readStream(reader as never));
    }),
    params,
  );
});

test('symbols: any symbol with whitespace or an empty part is INVALID_SYMBOLS on every path', () => {
  const client = new StreamClient('k', 'stocks', { host: 'ws://127.0.0.1:1' });
  const word = fc.stringMatching(/^[A-Z]{1,5}$/);
  const space = fc.constantFrom(' ', '\t', '\n', '\u00a0');
  const spaced = fc.tuple(word, space, word).map(([a, s, b]) => `${a}${s}${b}`);
  const coded = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      return (err as { code?: string }).code;
    }
    return undefined;
  };
  fc.assert(
    fc.property(spaced, word, (bad, good) => {
      assert.equal(
        coded(() => client.subscribeStockTrades([good, bad])),
        ErrorCode.InvalidSymbols,
      );
      assert.equal(
        coded(() => client.subscribe(`T.${good},T.${bad}`)),
        ErrorCode.InvalidSymbols,
      );
      assert.equal(
        coded(() => client.subscribe(`T.${good},,`)),
        ErrorCode.InvalidSymbols,
      );
      assert.equal(
        coded(() => client.subscribe([`T.${bad}`])),
        ErrorCode.InvalidSymbols,
      );
    }),
    { numRuns: 200 },
  );
  assert.equal(client.subscriptions().size, 0, 'nothing refused was added');
});
