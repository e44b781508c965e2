/**
 * Every usage mistake of every command, as a user types it: exit 2 at once, with a message on
 * stderr that names the flag (or argument) and what it allows; nothing on stdout, no stack trace,
 * never the API key. Each case fails before any connection is made. The table runs through the
 * CLI's `main` in one child process (test/helpers/cli-batch.ts); the first case of each command is
 * also spawned as the built executable (dist/cli/main.js), which must say and exit exactly the
 * same. (Symbol rules have their own tests.)
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCliLines, type LineResult } from '../helpers/cli-batch.js';
import { CLI, killAll, spawnNode } from '../helpers/spawn.js';

after(killAll);

const KEY = 'k-secret-usage-test';
const missing = join(tmpdir(), 'polygon-stream-no-such-file.ndjson');
const CLUSTER_LIST = /stocks, options, forex, crypto, indices/;

type Case = [name: string, args: string[], message: RegExp];

/** The mistakes `stream` and `record` share (their flags are the same). */
const streamMistakes = (cmd: 'stream' | 'record'): Case[] => {
  const file = cmd === 'record' ? [join(tmpdir(), 'polygon-stream-usage.ndjson')] : [];
  const c = (name: string, args: string[], message: RegExp): Case => [
    name,
    [cmd, ...file, ...args],
    message,
  ];
  return [
    c('unknown cluster', ['--cluster', 'bonds'], /--cluster.*'bonds' is invalid.*stocks, options/),
    c('duration not a duration', ['--duration', '5x'], /--duration.*'5x' is invalid.*500ms, 30s/),
    c('duration 0', ['--duration', '0'], /--duration.*'0' is invalid.*from 1ms/),
    c('duration negative', ['--duration', '-1s'], /--duration.*'-1s' is invalid/),
    c('duration beyond a timer', ['--duration', '30d'], /--duration.*about 24 days/),
    c('max-events negative', ['--max-events', '-3'], /--max-events.*positive integer/),
    c('max-events a fraction', ['--max-events', '1.5'], /--max-events.*positive integer/),
    c('max-events not a number', ['-n', 'ten'], /--max-events.*positive integer/),
    c('sim-rate 0', ['--sim-rate', '0'], /--sim-rate.*above 0 and at most 1000000/),
    c('sim-rate too high', ['--sim-rate', '1e7'], /--sim-rate.*at most 1000000/),
    c('sim-rate with a key', ['--sim-rate', '5', '--key', KEY], /--sim-rate only applies/),
    c(
      'unknown on-max-connections',
      ['--on-max-connections', 'x'],
      /--on-max-connections.*stop, reclaim/,
    ),
    c(
      'reclaim-after too soon',
      ['--on-max-connections', 'reclaim', '--reclaim-after', '10s'],
      /--reclaim-after.*at least 60s/,
    ),
    c(
      'reclaim-after without reclaim',
      ['--reclaim-after', '2m'],
      /--reclaim-after needs --on-max-connections reclaim/,
    ),
    c(
      'backfill without reconnects',
      ['--backfill', '--no-reconnect'],
      /--backfill .*--no-reconnect/,
    ),
    c(
      'host with delayed',
      ['--host', 'ws://127.0.0.1:1', '--delayed', '--key', KEY],
      /--host.*cannot be used with.*--delayed/,
    ),
    c('host without a key', ['--host', 'ws://127.0.0.1:1'], /--host needs an API key/),
    c('delayed without a key', ['--delayed'], /--delayed needs an API key/),
    c('bad host', ['--host', 'not a host', '--key', KEY], /--host: \[INVALID_HOST\]/),
    c('key without a value', ['--key'], /--key <key>' argument missing/),
    c('subscribe without a value', ['--subscribe'], /--subscribe <topics>' argument missing/),
    c('bad topic', ['--subscribe', 'AAPL'], /--subscribe: .*PREFIX\.SYMBOL/),
    c(
      'stream flag off the cluster',
      ['--crypto-trades', 'BTC-USD'],
      /--crypto-trades: \[STREAM_NOT_ON_CLUSTER\].*--cluster crypto/,
    ),
    c(
      'stream flag with an empty list',
      ['--stock-trades', ''],
      /--stock-trades.*comma-separated list/,
    ),
    c('sink not redis', ['--sink', 'http://x'], /--sink.*redis:\/\//),
    c('stream-key without sink', ['--stream-key', 'k'], /--stream-key needs --sink/),
    c('maxlen without sink', ['--maxlen', '5'], /--maxlen needs --sink/),
    c(
      'maxlen 0',
      ['--sink', 'redis://127.0.0.1:1', '--maxlen', '~0'],
      /--maxlen.*positive entry count/,
    ),
    c(
      'blank stream-key',
      ['--sink', 'redis://127.0.0.1:1', '--stream-key', ' '],
      /--stream-key.*polygon:\{cluster\}/,
    ),
    c('unknown option', ['--frobnicate'], /unknown option '--frobnicate'/),
    c('an extra argument', ['extra'], /too many arguments/),
  ];
};

const cases: Record<string, Case[]> = {
  stream: [
    ...streamMistakes('stream'),
    [
      'unknown format',
      ['stream', '--format', 'xml'],
      /--format.*'xml' is invalid.*pretty, json, ndjson/,
    ],
    [
      'quiet with a format',
      ['stream', '-q', '--format', 'json'],
      /--quiet.*cannot be used with.*--format/,
    ],
    ['unwritable --out', ['stream', '--out', join(missing, 'x.ndjson')], /--out: cannot write/],
  ],
  record: [
    ...streamMistakes('record'),
    ['no file', ['record'], /record needs a file/],
    ['two files', ['record', 'a.ndjson', '--out', 'b.ndjson'], /record: give the file once/],
    [
      'format without echo',
      ['record', 'a.ndjson', '--format', 'json'],
      /--format is for stdout.*--echo/,
    ],
    [
      'echo with quiet',
      ['record', 'a.ndjson', '--echo', '-q'],
      /--echo.*cannot be used with.*--quiet/,
    ],
  ],
  history: [
    ['no topic', ['history', '--from', '5m'], /missing required argument 'topic'/],
    ['no --from', ['history', 'T.AAPL'], /required option '--from <time>' not specified/],
    ['two topics', ['history', 'T.AAPL', 'T.MSFT', '--from', '5m'], /too many arguments/],
    [
      '--from 1e20',
      ['history', 'T.AAPL', '--from', '1e20'],
      /--from.*'1e20' is invalid\. Out of range: Unix ms has 13 digits, 1000000000000 \(2001-09-09.*\) to 9999999999999 \(2286-11-20/,
    ],
    [
      '--from 20 digits',
      ['history', 'T.AAPL', '--from', '99999999999999999999'],
      /--from.*Out of range/,
    ],
    [
      '--from Unix seconds',
      ['history', 'T.AAPL', '--from', '1767623400'],
      /--from.*Unix seconds; give Unix ms \(1767623400000\)/,
    ],
    ['--from negative', ['history', 'T.AAPL', '--from', '-5'], /--from.*Out of range/],
    [
      '--from a fraction of a ms',
      ['history', 'T.AAPL', '--from', '1767623400000.5'],
      /--from.*whole Unix ms/,
    ],
    [
      '--from not a time',
      ['history', 'T.AAPL', '--from', 'yesterday'],
      /--from.*Unix ms .*ISO date\/time .*age/,
    ],
    [
      '--from a bad date',
      ['history', 'T.AAPL', '--from', '2026-13-45'],
      /--from.*'2026-13-45' is invalid/,
    ],
    [
      '--from an age too long',
      ['history', 'T.AAPL', '--from', '1000h'],
      /--from.*an age from 1ms to 596h/,
    ],
    [
      '--to before --from',
      ['history', 'T.AAPL', '--from', '1767623400000', '--to', '1767623300000'],
      /--from must be before --to: 2026-01-05T14:30:00\.000Z is not before 2026-01-05T14:28:20\.000Z/,
    ],
    [
      '--from in the future',
      ['history', 'T.AAPL', '--from', '2200-01-01'],
      /--from must be before --to: 2200-01-01T00:00:00\.000Z is not before now \(.*\), the default --to/,
    ],
    [
      '--to not a time',
      ['history', 'T.AAPL', '--from', '5m', '--to', 'soon'],
      /--to.*'soon' is invalid/,
    ],
    [
      '--max-rows 0',
      ['history', 'T.AAPL', '--from', '5m', '--max-rows', '0'],
      /--max-rows.*positive integer/,
    ],
    ['unknown cluster', ['history', 'T.AAPL', '--from', '5m', '-c', 'bonds'], CLUSTER_LIST],
    [
      '--host without a key',
      ['history', 'T.AAPL', '--from', '5m', '--host', 'ws://127.0.0.1:1'],
      /--host needs an API key/,
    ],
    [
      'bad --host',
      ['history', 'T.AAPL', '--from', '5m', '--host', 'not a host', '--key', KEY],
      /--host: \[INVALID_HOST\]/,
    ],
    [
      'topic not PREFIX.SYMBOL',
      ['history', 'AAPL', '--from', '5m'],
      /<topic>: \[INVALID_SYMBOLS\].*PREFIX\.SYMBOL/,
    ],
    [
      'wildcard topic',
      ['history', 'T.*', '--from', '5m'],
      /<topic>: \[NO_HISTORY\].*wildcard.*ask per symbol/,
    ],
    [
      'topic of another cluster',
      ['history', 'XT.BTC-USD', '--from', '5m'],
      /<topic>: \[STREAM_NOT_ON_CLUSTER\].*XT.*stocks/,
    ],
    [
      'topic of a stream without history',
      ['history', 'LULD.AAPL', '--from', '5m'],
      /<topic>: \[NO_HISTORY\]/,
    ],
  ],
  simulate: [
    ['port out of range', ['simulate', '--port', '99999'], /--port.*0 \(any free port\) to 65535/],
    ['port not a number', ['simulate', '--port', 'abc'], /--port.*0 \(any free port\) to 65535/],
    [
      'events-per-second negative',
      ['simulate', '--events-per-second', '-5'],
      /--events-per-second.*whole number >= 0/,
    ],
    [
      'events-per-second too high',
      ['simulate', '--port', '0', '--events-per-second', '99999999999'],
      /--events-per-second must be a number from 0 to 10000000/,
    ],
    ['seed a fraction', ['simulate', '--seed', '1.5'], /--seed.*whole number >= 0/],
    [
      'empty keys',
      ['simulate', '--port', '0', '--keys', ','],
      /--keys: expected a comma-separated list/,
    ],
    [
      'replay file missing',
      ['simulate', '--port', '0', '--replay', missing],
      /--replay: file not found/,
    ],
    [
      'replay a directory',
      ['simulate', '--port', '0', '--replay', tmpdir()],
      /--replay: not a file/,
    ],
    [
      'bad speed',
      ['simulate', '--replay', missing, '--speed', 'fast'],
      /--speed.*'fast' is invalid.*'max'/,
    ],
    ['speed 0', ['simulate', '--replay', missing, '--speed', '0'], /--speed.*positive factor/],
    [
      'speed without replay',
      ['simulate', '--port', '0', '--speed', '10'],
      /--speed only applies with --replay/,
    ],
    [
      'loop without replay',
      ['simulate', '--port', '0', '--loop'],
      /--loop only applies with --replay/,
    ],
    [
      'replay-cluster without replay',
      ['simulate', '--port', '0', '--replay-cluster', 'futures'],
      /--replay-cluster only applies with --replay/,
    ],
    [
      'replay-cluster unknown',
      ['simulate', '--replay', missing, '--replay-cluster', 'bonds'],
      /--replay-cluster.*'bonds' is invalid.*futures\/cme/,
    ],
    [
      'delay of an unknown cluster',
      ['simulate', '--port', '0', '--delay', 'bonds=10m'],
      /--delay.*CLUSTER=DURATION.*got "bonds=10m"/,
    ],
    [
      'delay not a duration',
      ['simulate', '--port', '0', '--delay', 'futures=soon'],
      /--delay.*duration/,
    ],
    [
      'seed with replay',
      ['simulate', '--replay', missing, '--seed', '3'],
      /--seed.*cannot be used with.*--replay/,
    ],
    [
      'events-per-second with replay',
      ['simulate', '--replay', missing, '--events-per-second', '5'],
      /--events-per-second.*cannot be used with.*--replay/,
    ],
    [
      'host not of this machine',
      ['simulate', '--port', '0', '--host', 'no-such-host.invalid'],
      /--host: cannot listen on "no-such-host\.invalid": not an address of this machine/,
    ],
    [
      'bad rest-fault',
      ['simulate', '--port', '0', '--rest-fault', 'status=429,reset'],
      /--rest-fault <spec>' argument 'status=429,reset' is invalid\. status, reset given together, not one\. Expected comma-separated parts: exactly one of status=N/,
    ],
    ['an extra argument', ['simulate', 'extra'], /too many arguments/],
  ],
  relay: [
    ['no tokens', ['relay', '--port', '0'], /relay needs --tokens t1,t2 .* or --allow-any-token/],
    [
      'empty tokens',
      ['relay', '--port', '0', '--tokens', ','],
      /--tokens: expected a comma-separated list/,
    ],
    [
      'tokens and any token',
      ['relay', '--tokens', 'a', '--allow-any-token'],
      /--allow-any-token.*cannot be used with.*--tokens/,
    ],
    [
      'any token beyond loopback',
      ['relay', '--port', '0', '--bind', '0.0.0.0', '--allow-any-token'],
      /--allow-any-token must be false on 0\.0\.0\.0/,
    ],
    [
      'the key as a token',
      ['relay', '--port', '0', '--tokens', KEY, '--key', KEY],
      /--tokens must be tokens other than the upstream key/,
    ],
    [
      'unknown cluster',
      ['relay', '--tokens', 'a', '--clusters', 'stocks,bonds'],
      /--clusters.*'stocks,bonds' is invalid.*stocks, options/,
    ],
    ['empty clusters', ['relay', '--tokens', 'a', '--clusters', ''], /--clusters.*is invalid/],
    [
      'port out of range',
      ['relay', '--tokens', 'a', '--port', '70000'],
      /--port.*0 \(any free port\) to 65535/,
    ],
    [
      'max-clients 0',
      ['relay', '--tokens', 'a', '--max-clients', '0'],
      /--max-clients.*positive integer/,
    ],
    [
      'max-topics not a number',
      ['relay', '--tokens', 'a', '--max-topics', 'abc'],
      /--max-topics.*positive integer/,
    ],
    [
      'host without a key',
      ['relay', '--port', '0', '--tokens', 'a', '--host', 'ws://127.0.0.1:1'],
      /--host needs an API key/,
    ],
    [
      'bind not of this machine',
      ['relay', '--port', '0', '--tokens', 'a', '--bind', 'no-such-host.invalid'],
      /--bind: cannot listen on "no-such-host\.invalid": not an address of this machine/,
    ],
    ['an extra argument', ['relay', 'extra', '--tokens', 'a'], /too many arguments/],
  ],
  '(no command)': [
    ['unknown command', ['strem'], /unknown command 'strem'/],
    ['unknown option', ['--frobnicate'], /unknown option '--frobnicate'/],
  ],
};

const table = Object.values(cases).flat();
const results = new Map<Case, LineResult>();
before(async () => {
  const lines = await runCliLines(table.map(([, args]) => args));
  table.forEach((c, i) => results.set(c, lines[i]!));
});

for (const [command, table] of Object.entries(cases)) {
  describe(`${command}: usage mistakes exit 2, naming the flag`, () => {
    for (const c of table) {
      const [name, args, message] = c;
      test(name, () => {
        const r = results.get(c)!;
        const what = `polygon-stream ${args.join(' ')}\n${r.stderr}`;
        assert.notEqual(r.code, null, `still running after 10 s: ${what}`);
        assert.equal(r.code, 2, what);
        assert.match(r.stderr, message, what);
        assert.match(r.stderr, /^error: /, 'one error line first');
        assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
        assert.doesNotMatch(r.stderr, new RegExp(KEY), 'the key is never printed');
        assert.equal(r.stdout, '');
      });
    }
  });
}

describe('the executable says and exits exactly what main says', { concurrency: 4 }, () => {
  for (const c of Object.values(cases).map((t) => t[0]!)) {
    test(`polygon-stream ${c[1].join(' ')}`, async () => {
      const r = await spawnNode([CLI, ...c[1]], { timeoutMs: 10_000 }).result;
      const inProcess = results.get(c)!;
      assert.deepEqual(
        { code: r.code, stdout: r.stdout, stderr: r.stderr },
        { code: inProcess.code, stdout: inProcess.stdout, stderr: inProcess.stderr },
      );
    });
  }
});
