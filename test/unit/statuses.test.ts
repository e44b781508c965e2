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
    ['success', 'authenticated', ctx(), 'log'],
    ['something_new', 'hello', ctx(), 'log'],
  ];
  for (const [status, text, c, expected] of cases) {
    assert.equal(summary(interpretStatus(status, text, c)), expected, `${status} "${text}"`);
  }
});

test('errors quote the server and say what to do', () => {
  const v = interpretStatus(
    'max_connections',
    'Maximum number of websocket connections exceeded.',
    ctx(),
  );
  assert.ok(v.kind === 'end');
  assert.equal(v.error.code, ErrorCode.MaxConnections);
  assert.match(v.error.message, /"Maximum number of websocket connections exceeded\."/);
  assert.match(v.error.message, /one connection per cluster and API key/);
  assert.match(v.error.message, /onMaxConnections: 'reclaim'/);
  const slow = interpretStatus('slow_consumer', 'buffer full', ctx());
  assert.ok(slow.kind === 'end');
  assert.match(slow.error.message, /"eventsPerSecond":900/);
  assert.equal(slow.error.details['queueDepth'], 12);
});
