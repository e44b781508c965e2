import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, PolygonStreamError } from '../../src/errors.js';
import {
  redactError,
  redactJsonText,
  redactText,
  redactUrlPassword,
  redactValue,
} from '../../src/redact.js';
import { defaultOnMessage } from '../../src/client/print-handlers.js';
import { redactingLogger } from '../../src/client/logger.js';
import { recordingLogger } from '../helpers/servers.js';

test('redactText masks the key only where it stands as a whole token', () => {
  const cases: [string, string, string][] = [
    ['abc123', 'key abc123 is not valid', 'key *** is not valid'],
    ['abc123', '{"params":"abc123"}', '{"params":"***"}'],
    ['abc123', 'key=abc123&x=1 (abc123). abc123', 'key=***&x=1 (***). ***'],
    ['abc123', 'xabc123 abc1234 abc123abc123', 'xabc123 abc1234 abc123abc123'],
    [
      '1',
      'code 1000 at ws://127.0.0.1:8080/stocks, attempt 1',
      'code 1000 at ws://127.0.0.1:8080/stocks, attempt ***',
    ],
    ['0', 'key 0.', 'key ***.'],
    ['k', '/stocks', '/stocks'],
    [':', 'ws://h:1 said: ":"', 'ws://h:1 said: "***"'],
    [':', ':', '***'],
    ['', 'anything', 'anything'],
  ];
  for (const [key, text, expected] of cases) assert.equal(redactText(text, key), expected, key);
});

test('printed frames: the key is masked also where the JSON escapes it', (t) => {
  const printed = t.mock.method(console, 'log', () => undefined);
  for (const key of ['ab"cd', 'k\\ey', 'tab\tkey', 'clé', 'KEY123']) {
    const raw = JSON.stringify([{ ev: 'status', status: 'error', message: `key ${key} refused` }]);
    const asciiOnly = raw.replace(/[^\x20-\x7e]/g, (c) => {
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`;
    });
    for (const frame of [raw, asciiOnly]) {
      assert.equal(
        redactJsonText(frame, key),
        '[{"ev":"status","status":"error","message":"key *** refused"}]',
        `${key} in ${frame}`,
      );
    }
    defaultOnMessage(key)(undefined, raw);
    assert.equal(
      printed.mock.calls.at(-1)!.arguments[0],
      'status: [{"ev":"status","status":"error","message":"key *** refused"}]',
    );
  }
  assert.equal(redactJsonText('{"p":"1000","k":"1"}', '1'), '{"p":"1000","k":"***"}');
});

test('redactValue masks strings inside objects and arrays, keeps the rest, never throws', () => {
  const hostile = Object.defineProperty({ a: '1' }, 'boom', {
    enumerable: true,
    get() {
      throw new Error('getter');
    },
  });
  const date = new Date(0);
  assert.deepEqual(
    redactValue(
      { n: 1, s: 'key 1', list: ['1', 1, null], nested: { '1': '1' }, date, hostile },
      '1',
    ),
    {
      n: 1,
      s: 'key ***',
      list: ['***', 1, null],
      nested: { '***': '***' },
      date,
      hostile: { a: '***' },
    },
  );
  const cycle: Record<string, unknown> = { s: 'k' };
  cycle['self'] = cycle;
  assert.doesNotThrow(() => redactValue(cycle, 'k'));
});

test('the logger masks message and fields of any key without serialising them', () => {
  for (const key of ['1', '0', ':', '"', '}']) {
    const lines: string[] = [];
    const log = redactingLogger(recordingLogger(lines), key);
    log.info(`socket ${key} closed`, {
      code: 1000,
      reason: key,
      url: 'ws://127.0.0.1:8080/stocks',
    });
    assert.equal(
      lines[0],
      `info socket *** closed {"code":1000,"reason":"***","url":"ws://127.0.0.1:8080/stocks"}`,
      key,
    );
  }
});

test('redactError masks message and details of the error and its coded causes', () => {
  const cause = new PolygonStreamError(ErrorCode.ConnectionClosed, 'closed: K', { reason: 'K' });
  const error = new PolygonStreamError(
    ErrorCode.ReconnectExhausted,
    'gave up: K',
    { k: ['K'] },
    { cause },
  );
  redactError(error, 'K');
  assert.equal(error.message, 'gave up: ***');
  assert.deepEqual(error.details, { k: ['***'] });
  assert.equal(cause.message, 'closed: ***');
  assert.deepEqual(cause.details, { reason: '***' });
});

test("redactUrlPassword masks a URL's password and nothing else", () => {
  assert.equal(redactUrlPassword('redis://u:hunter2@h:6379/0'), 'redis://u:***@h:6379/0');
  assert.equal(redactUrlPassword('rediss://:hunter2@h'), 'rediss://:***@h');
  assert.equal(redactUrlPassword('redis://h:6379'), 'redis://h:6379');
  assert.equal(redactUrlPassword('not a url hunter2'), '<unparseable URL>');
});

test('redactJsonText masks the key in a frame however JSON spells it, and leaves other frames as sent', () => {
  const frame = (message: string): string =>
    JSON.stringify([{ ev: 'status', status: 'auth_failed', message }]);
  const masked = frame('bad key ***');
  // As written, with JSON escapes (quote, backslash), and as \u escapes the server may choose.
  assert.equal(redactJsonText(frame('bad key abc123'), 'abc123'), masked);
  assert.equal(redactJsonText(frame('bad key k"e\\y'), 'k"e\\y'), masked);
  const escaped = frame('bad key ключ').replace('ключ', '\\u043a\\u043b\\u044e\\u0447');
  assert.equal(redactJsonText(escaped, 'ключ'), masked);
  // Frames without the key are printed exactly as received, escapes and spacing included.
  const other = '[ {"ev":"T","sym":"A\\u0042C","p":1} ]';
  assert.equal(redactJsonText(other, 'abc123'), other);
  assert.equal(redactJsonText('not json \\ abc123', 'abc123'), 'not json \\ ***');
});
