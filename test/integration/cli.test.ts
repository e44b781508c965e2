/**
 * The built CLI (dist/cli/main.js, `npm run build` first — `npm test` does it) spawned as a user
 * would, against simulators on loopback: the embedded one (no key) or one started here (--host).
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { frontContracts } from '../../src/simulator/futures/contracts.js';
import type { WireEvent } from '../../src/protocol/codec.js';
import { fieldProblems } from '../helpers/futures-fields.js';
import {
  CLI,
  killAll,
  type Result,
  type Running,
  type SpawnOptions,
  spawnNode,
} from '../helpers/spawn.js';

let dir = '';
let sim: Simulator;

/** Spawn the built CLI; killed after `timeoutMs` (a bounded test), and in `after` if still running. */
function start(args: string[], options: SpawnOptions = {}): Running {
  return spawnNode([CLI, ...args], options);
}

function run(
  args: string[],
  options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<Result> {
  return start(args, options).result;
}

/** `stream` N events from a simulator at `url` as NDJSON lines (exit code checked). */
async function streamLines(url: string, n: number, extra: string[] = []): Promise<string[]> {
  const r = await run([
    'stream',
    '--host',
    url,
    '--key',
    'any',
    ...extra,
    '--max-events',
    `${n}`,
    '--format',
    'ndjson',
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trimEnd().split('\n');
}

/** Non-empty lines, each parsed as JSON. */
function ndjson(text: string): { ev: string; [k: string]: unknown }[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { ev: string });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'polygon-stream-cli-'));
  sim = await startSimulator({ apiKeys: ['test'], eventsPerSecond: 400 });
});

after(async () => {
  killAll();
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('stream', () => {
  test('no key: the embedded simulator, said once on stderr; --max-events bounds NDJSON output', async () => {
    const r = await run(['stream', '--max-events', '50']);
    assert.equal(r.code, 0, r.stderr);
    const events = ndjson(r.stdout);
    assert.equal(events.length, 50);
    for (const e of events) {
      assert.equal(typeof e.ev, 'string');
      assert.ok(['T', 'Q'].includes(e.ev), `default stocks subscription T.*,Q.*: got ${e.ev}`);
    }
    const simLines = r.stderr.split('\n').filter((l) => /simulator/i.test(l));
    assert.equal(simLines.length, 1, r.stderr);
    assert.match(simLines[0]!, /no API key .*embedded simulator at ws:\/\/127\.0\.0\.1:\d+/);
  });

  test('--host/--key against a simulator, --subscribe, --duration; --stats prints plain lines', async () => {
    const started = Date.now();
    const r = await run([
      'stream',
      '--host',
      sim.url,
      '--key',
      'test',
      '--subscribe',
      'T.AAPL',
      '--duration',
      '1500ms',
      '--stats',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - started < 8_000);
    const events = ndjson(r.stdout);
    assert.ok(events.length > 10, `got ${events.length} events`);
    for (const e of events) assert.deepEqual([e.ev, e['sym']], ['T', 'AAPL']);
    assert.match(
      r.stderr,
      /^stats: live · [\d.]+ ev\/s · [\d,]+ events · \d+ reconnects? · \d+ drops? · latency/m,
    );
    assert.doesNotMatch(r.stderr, /simulator/, 'a key was given: no embedded simulator');
    assert.doesNotMatch(r.stderr, /\x1b\[/, 'no escapes on a pipe'); // eslint-disable-line no-control-regex
  });

  test('stream flags call the generated methods (symbol rules apply)', async () => {
    const seen: string[] = [];
    const onMessage = (_c: unknown, msg: { action: string; params: string }): void => {
      if (msg.action === 'subscribe') seen.push(msg.params);
    };
    sim.on('message', onMessage);
    try {
      const stocks = await run([
        'stream',
        '--host',
        sim.url,
        '--key',
        'test',
        '--stock-trades',
        'aapl,MSFT',
        '--stock-quotes',
        '--max-events',
        '5',
      ]);
      assert.equal(stocks.code, 0, stocks.stderr);
      const crypto = await run([
        'stream',
        '--host',
        sim.url,
        '--key',
        'test',
        '-c',
        'crypto',
        '--crypto-level2-book',
        'btc-usd',
        '--max-events',
        '2',
      ]);
      assert.equal(crypto.code, 0, crypto.stderr);
      for (const e of ndjson(crypto.stdout))
        assert.deepEqual([e.ev, e['pair']], ['XL2', 'BTC-USD']);
    } finally {
      sim.off('message', onMessage);
    }
    assert.deepEqual(
      seen.map((p) => p.split(',').sort().join(',')),
      ['Q.*,T.AAPL,T.MSFT', 'XL2.X:BTC-USD'],
    );
  });

  test('--format pretty and json on a pipe: no colour codes', async () => {
    const pretty = await run(['stream', '--format', 'pretty', '--max-events', '20']);
    assert.equal(pretty.code, 0, pretty.stderr);
    assert.doesNotMatch(pretty.stdout, /\x1b\[/); // eslint-disable-line no-control-regex
    const lines = pretty.stdout.trimEnd().split('\n');
    assert.ok(
      lines.some((l) => /auth_success/.test(l)),
      'status events appear in pretty output',
    );
    const data = lines.filter((l) => !/ status /.test(l));
    assert.equal(data.length, 20);
    for (const l of data) assert.match(l, /^\d\d:\d\d:\d\d\.\d{3} {2}(T|Q) +\S+ +\d/);
    const json = await run(['stream', '--format', 'json', '--max-events', '3']);
    assert.equal(json.code, 0, json.stderr);
    const objects = json.stdout
      .trim()
      .split(/\n(?=\{)/)
      .map((t) => JSON.parse(t) as { ev: string });
    assert.equal(objects.length, 3);
    assert.ok(json.stdout.includes('\n  "ev": '));
  });

  test('--out writes a valid NDJSON file (--quiet: nothing on stdout); --compression streams', async () => {
    const out = join(dir, 'out.ndjson');
    const r = await run([
      'stream',
      '--out',
      out,
      '--quiet',
      '--max-events',
      '100',
      '--compression',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const text = await readFile(out, 'utf8');
    assert.ok(text.endsWith('\n'));
    const events = ndjson(text);
    assert.equal(events.length, 100);
    assert.ok(events.every((e) => e.ev === 'T' || e.ev === 'Q'));
    assert.match(r.stderr, /recorded 100 events to /);
  });

  test('SIGINT mid-stream: exit 0 and a file whose every line parses', async () => {
    const out = join(dir, 'sigint.ndjson');
    const p = start(['record', out, '--echo', '--format', 'ndjson']);
    await p.waitFor(/(.*\n){200}/); // well into the stream
    p.child.kill('SIGINT');
    const r = await p.result;
    assert.equal(r.code, 0, r.stderr);
    const text = await readFile(out, 'utf8');
    assert.ok(text.endsWith('\n'), 'not cut mid-line');
    const events = ndjson(text);
    assert.ok(events.length >= 200);
    assert.equal(events.length, ndjson(r.stdout).length, 'stdout and file saw the same events');
  });

  test('auth failure: exit 1, a clear message, and the key is never printed', async () => {
    const secret = 'sk_live_DO_NOT_PRINT_123';
    const r = await run([
      'stream',
      '--host',
      sim.url,
      '--key',
      secret,
      '--verbose',
      '--stats',
      '--max-events',
      '1',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /AUTH_FAILED/);
    assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret));
    const fromEnv = await run(['stream', '--host', sim.url, '--max-events', '1'], {
      env: { POLYGON_API_KEY: secret },
    });
    assert.equal(fromEnv.code, 1);
    assert.ok(!fromEnv.stderr.includes(secret));
  });
});

describe('help', () => {
  test('--help on every command exits 0, every line within 100 columns', async () => {
    for (const cmd of [[], ['stream'], ['record'], ['simulate']]) {
      const r = await run([...cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: polygon-stream/);
      for (const line of r.stdout.split('\n')) {
        assert.ok(line.length <= 100, `${cmd.join(' ')} --help: ${line.length} columns: ${line}`);
      }
    }
    const top = (await run(['--help'])).stdout;
    assert.match(top, /With no API key .* embedded simulator/s);
    assert.match(
      top,
      /Exit codes:\n {2}0 {2}stopped.*\n {2}1 {2}runtime failure.*\n {2}2 {2}bad usage/,
    );
    const help = await run(['stream', '--help']);
    assert.match(help.stdout, /--stock-trades \[symbols\]/);
    assert.match(help.stdout, /--crypto-level2-book \[symbols\]/);
    assert.match(help.stdout, /--fair-market-value \[symbols\]/);
  });
});

describe('simulate', () => {
  test('record, then replay at max speed: the same events in the same order', async () => {
    const file = join(dir, 'recording.ndjson');
    const rec = await run(['record', file, '--quiet', '--max-events', '300']);
    assert.equal(rec.code, 0, rec.stderr);
    const recorded = (await readFile(file, 'utf8')).trimEnd().split('\n');
    assert.equal(recorded.length, 300);
    await appendFile(file, 'not json\n{"no":"ev"}\n');

    const server = start(['simulate', '--port', '0', '--replay', file, '--speed', 'max'], {
      timeoutMs: 20_000,
    });
    const url = await server.waitFor(/ws:\/\/127\.0\.0\.1:\d+/);
    assert.match(server.stdout(), /listening on ws:\/\/127\.0\.0\.1:\d+\n/);
    assert.match(server.stdout(), new RegExp(`${url}/stocks`));
    assert.match(server.stdout(), /polygon-stream stream --host ws:\/\/127\.0\.0\.1:\d+ --key any/);

    assert.deepEqual(await streamLines(url, 300), recorded, 'byte-identical events, same order');

    await server.waitFor(/replay finished: 300 events .*2 bad line\(s\) skipped/, 'stderr');
    server.child.kill('SIGINT');
    const r = await server.result;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /stopping/);
  });

  test('futures: record one exchange with no key, replay it as that cluster, the same events', async () => {
    const file = join(dir, 'cme.ndjson');
    const rec = await run(['record', file, '--cluster', 'futures/cme', '--max-events', '200']);
    assert.equal(rec.code, 0, rec.stderr);
    assert.match(rec.stderr, /--replay-cluster futures\/cme/, 'says how to replay it');
    const recorded = (await readFile(file, 'utf8')).trimEnd().split('\n');
    assert.equal(recorded.length, 200);
    const events = recorded.map((line) => JSON.parse(line) as Record<string, unknown>);
    const cme = new Set(
      frontContracts(new Date())
        .filter((c) => c.exchange === 'futures/cme')
        .map((c) => c.ticker),
    );
    for (const e of events) {
      assert.ok(cme.has(e['sym'] as string), `${String(e['sym'])} is a CME contract`);
      assert.deepEqual(fieldProblems(e as WireEvent), [], JSON.stringify(e));
    }
    assert.deepEqual(
      [...new Set(events.map((e) => e['ev']))].sort(),
      ['Q', 'T'],
      'the default streams: trades and quotes',
    );

    const server = start(
      [
        'simulate',
        '--port',
        '0',
        '--replay',
        file,
        '--replay-cluster',
        'futures/cme',
        '--speed',
        'max',
      ],
      { timeoutMs: 20_000 },
    );
    const url = await server.waitFor(/ws:\/\/127\.0\.0\.1:\d+/);
    assert.match(server.stdout(), /every event on futures\/cme/);
    assert.deepEqual(
      await streamLines(url, 200, ['--cluster', 'futures/cme']),
      recorded,
      'the same events, same order',
    );
    server.child.kill('SIGINT');
    assert.equal((await server.result).code, 0);
  });

  test('--keys restricts auth; generated data flows; SIGTERM stops cleanly', async () => {
    const server = start([
      'simulate',
      '--port',
      '0',
      '--keys',
      'k1,k2',
      '--events-per-second',
      '100',
      '--seed',
      '7',
    ]);
    const url = await server.waitFor(/ws:\/\/127\.0\.0\.1:\d+/);
    assert.ok(!server.stdout().includes('k1'), 'keys are not printed');
    const ok = await run(['stream', '--host', url, '--key', 'k2', '--max-events', '10']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ndjson(ok.stdout).length, 10);
    const bad = await run(['stream', '--host', url, '--key', 'nope', '--max-events', '10']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /AUTH_FAILED/);
    server.child.kill('SIGTERM');
    assert.equal((await server.result).code, 0);
  });
});
