import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import {
  interpretStatus,
  type StatusContext,
  type StatusVerdict,
} from '../../src/protocol/statuses.js';

const ctx = (over: Partial<StatusContext> = {}): StatusContext => ({
  authenticating: false,
  open: false,
  secret: 'KEY',
  cluster: 'stocks',
  reclaimAfterMs: undefined,
  figures: () => ({ eventsPerSecond: 900, queueDepth: 12 }),
  ...over,
});

function summary(v: StatusVerdict): string {
  return v.kind === 'end'
    ? `end ${v.error.code} fatal=${v.fatal} report=${v.report} delay=${v.delayMs}`
    : v.kind === 'report'
      ? `report ${v.error.code}`
      : v.kind;
}

test('every status, documented and older spellings, to its verdict (no socket)', () => {
  const auth = ctx({ authenticating: true });
  const cases: [string, string, StatusContext, string][] = [
    ['connected', 'Connected Successfully', auth, 'log'],
    ['success', 'Connected Successfully', auth, 'log'],
    ['auth_success', 'authenticated', auth, 'authenticated'],
    ['success', 'authenticated', auth, 'authenticated'],
    [
      'auth_failed',
      'authentication failed',
      auth,
      'end AUTH_FAILED fatal=true report=false delay=undefined',
    ],
    ['error', 'bad key', auth, 'end AUTH_FAILED fatal=true report=false delay=undefined'],
    [
      'auth_timeout',
      'timed out',
      auth,
      'end AUTH_TIMEOUT fatal=false report=false delay=undefined',
    ],
    [
      'force_disconnect',
      'bye',
      ctx(),
      'end FORCE_DISCONNECT fatal=false report=false delay=undefined',
    ],
    [
      'slow_consumer',
      'too slow',
      ctx(),
      'end SLOW_CONSUMER fatal=false report=true delay=undefined',
    ],
    [
      'max_connections',
      'Maximum number of connections exceeded.',
      ctx(),
      'end MAX_CONNECTIONS fatal=true report=false delay=undefined',
    ],
    [
      'max_connections',
      'Maximum',
      ctx({ reclaimAfterMs: 60_000 }),
      'end MAX_CONNECTIONS fatal=false report=true delay=60000',
    ],
    ['error', 'not authorized', ctx(), 'report SERVER_ERROR'],
    ['error', 'T.AAPL not allowed', ctx({ open: true }), 'refusal'],
    ['success', 'subscribed to: T.AAPL', ctx({ open: true }), 'ack'],
    ['success', 'authenticated', ctx(), 'log'],
    ['something_new', 'hello', ctx(), 'log'],
  ];
  for (const [status, text, c, expected] of cases) {
    assert.equal(
      summary(interpretStatus({ ev: 'status', status, message: text }, c)),
      expected,
      `${status} "${text}"`,
    );
  }
});

test('errors quote the server and say what to do', () => {
  const v = interpretStatus(
    { status: 'max_connections', message: 'Maximum number of websocket connections exceeded.' },
    ctx(),
  );
  assert.ok(v.kind === 'end');
  assert.equal(v.error.code, ErrorCode.MaxConnections);
  assert.match(v.error.message, /"Maximum number of websocket connections exceeded\."/);
  assert.match(v.error.message, /one connection per cluster and API key/);
  assert.match(v.error.message, /onMaxConnections: 'reclaim'/);
  const slow = interpretStatus({ status: 'slow_consumer', message: 'buffer full' }, ctx());
  assert.ok(slow.kind === 'end');
  assert.match(slow.error.message, /"eventsPerSecond":900/);
  assert.equal(slow.error.details['queueDepth'], 12);
});

test('status and message of any JSON value (or missing) get a verdict, never a throw', () => {
  const hostile: unknown[] = [{ toString: 1 }, { valueOf: null }, 42, null, [1, 'x'], true, {}];
  for (const authenticating of [true, false]) {
    for (const open of [true, false]) {
      const c = ctx({ authenticating, open });
      for (const value of hostile) {
        const asStatus = interpretStatus({ ev: 'status', status: value, message: 'x' }, c);
        assert.deepEqual(asStatus.kind, 'log', JSON.stringify(value));
        for (const status of ['error', 'auth_failed', 'success', 'max_connections', 'x']) {
          const v = interpretStatus({ ev: 'status', status, message: value }, c);
          assert.equal(typeof v.text, 'string');
          if (v.kind === 'end' || v.kind === 'report')
            assert.ok(v.error.message.includes(`"${v.text}"`), v.error.message);
        }
      }
      assert.doesNotThrow(() => interpretStatus({ ev: 'status' }, c));
    }
  }
  const v = interpretStatus({ ev: 'status', status: 'error', message: { toString: 1 } }, ctx());
  assert.ok(v.kind === 'report');
  assert.equal(v.error.message, 'Server error: "{"toString":1}"');
  const log = interpretStatus({ ev: 'status', status: { toString: 1 }, message: 7 }, ctx());
  assert.deepEqual(log, { kind: 'log', status: '{"toString":1}', text: '7' });
});

test('the key is masked in every text a verdict quotes; acks match the raw topic', () => {
  const c = ctx({ open: true, secret: '1' });
  const refusal = interpretStatus({ status: 'error', message: 'key 1 refused T.1000' }, c);
  assert.deepEqual(refusal, { kind: 'refusal', status: 'error', text: 'key *** refused T.1000' });
  const ack = interpretStatus({ status: 'success', message: 'subscribed to: T.A' }, c);
  assert.deepEqual(ack, {
    kind: 'ack',
    status: 'success',
    action: 'subscribe',
    topic: 'T.A',
    text: 'subscribed to: T.A',
  });
  const failed = interpretStatus(
    { status: 'auth_failed', message: { key: '1' } },
    ctx({ authenticating: true, secret: '1' }),
  );
  assert.ok(failed.kind === 'end');
  assert.match(failed.error.message, /\{"key":"\*\*\*"\}/);
});
