/**
 * Recording to DuckDB, proved against the simulator's tape: `record --to` writes every event of
 * the subscribed topics, row for row, in order; after a kill -9 mid-recording the file opens and
 * holds a prefix of the tape per topic (no duplicates, nothing out of order) that reaches to
 * within the durability interval of the kill; a replay of the database serves the same events in
 * the same order as a replay of the NDJSON recorded alongside; `query` prints; the Parquet export
 * reads back. Skipped, with the reason counted, only if @duckdb/node-api cannot load.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WireEvent } from '../../src/protocol/codec.js';
import { eventKey } from '../../src/protocol/symbols.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { CLI, killAll, spawnNode, type SpawnOptions } from '../helpers/spawn.js';
import { sleep, until } from '../helpers/until.js';

const duckdb = await import('@duckdb/node-api').then(
  (m) => m,
  (err: unknown) => err as Error,
);
const skip = duckdb instanceof Error ? `@duckdb/node-api cannot load: ${duckdb.message}` : false;
const { openDuckDbRecording, DuckDbSink, replayClusterOf } =
  await import('../../src/duckdb/index.js');

const start = (args: string[], options: SpawnOptions = {}) => spawnNode([CLI, ...args], options);
const sims = new Set<Simulator>();
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'polygon-duckdb-'));
});
after(async () => {
  killAll();
  for (const sim of sims) await sim.close();
  await rm(dir, { recursive: true, force: true });
});

async function simulator(): Promise<Simulator> {
  const sim = await startSimulator({ apiKeys: ['test'], eventsPerSecond: 2_000, tickMs: 10 });
  sims.add(sim);
  return sim;
}

async function readAll(path: string): Promise<WireEvent[]> {
  const source = await openDuckDbRecording(path);
  const events: WireEvent[] = [];
  for await (const e of source.read()) events.push(e);
  return events;
}

/** Per topic: the recorded events are the tape's, in order, from the first recorded one on. */
function assertTapeSlices(sim: Simulator, events: WireEvent[], topics: string[]): number {
  let compared = 0;
  for (const topic of topics) {
    const mine = events.filter((e) => eventKey('stocks', e) === topic);
    assert.ok(mine.length > 0, `${topic}: nothing recorded`);
    const tape = sim.history('stocks', topic);
    const first = tape.findIndex((e) => JSON.stringify(e) === JSON.stringify(mine[0]));
    assert.ok(first >= 0, `${topic}: the first recorded event is not on the tape`);
    assert.deepEqual(mine, tape.slice(first, first + mine.length), `${topic}: row for row`);
    compared += mine.length;
  }
  return compared;
}

const TOPICS = ['T.AAPL', 'Q.AAPL', 'T.MSFT'];

describe('DuckDB recording', { skip }, () => {
  test('record --to: every event of the tape, row for row; query prints; Parquet reads back', async () => {
    const sim = await simulator();
    const db = join(dir, 'ticks.duckdb');
    const parquet = join(dir, 'parquet');
    const args = ['record', '--to', db, '--parquet', parquet, '-s', TOPICS.join(',')];
    const r = await start([...args, '--host', sim.url, '--key', 'test', '--max-events', '1500'], {
      timeoutMs: 30_000,
    }).result;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /recorded \d+ rows to .*ticks\.duckdb; exported \d+ table\(s\)/);
    const events = await readAll(db);
    assert.equal(events.length, 1500, 'every data event, as --max-events counted');
    assert.equal(assertTapeSlices(sim, events, TOPICS), 1500);

    const q = await start([
      'query',
      db,
      'SELECT sym, count(*) AS n FROM stocks_t GROUP BY sym ORDER BY sym',
    ]).result;
    assert.equal(q.code, 0, q.stderr);
    const rows = q.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sym: string; n: number });
    const trades = (sym: string): number =>
      events.filter((e) => e.ev === 'T' && e['sym'] === sym).length;
    assert.deepEqual(rows, [
      { sym: 'AAPL', n: trades('AAPL') },
      { sym: 'MSFT', n: trades('MSFT') },
    ]);
    const csv = await start(['query', db, 'SELECT count(*) AS n FROM stocks_q', '-f', 'csv'])
      .result;
    assert.equal(csv.stdout, `n\n${events.filter((e) => e.ev === 'Q').length}\n`);
    const bad = await start(['query', db, 'SELECT * FROM nowhere']).result;
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /RECORDING_FAILED.*nowhere/);

    // Parquet: DuckDB reads each exported file back with the table's rows, in order.
    if (duckdb instanceof Error) return;
    const inst = await duckdb.DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    const back = await conn.runAndReadAll(
      `SELECT sym, p, s, t FROM '${join(parquet, 'stocks_t.parquet')}' ORDER BY seq`,
    );
    const tradesRecorded = events.filter((e) => e.ev === 'T');
    assert.deepEqual(
      back.getRowObjectsJS().map((row) => ({ ...row, s: Number(row['s']), t: Number(row['t']) })),
      tradesRecorded.map((e) => ({ sym: e['sym'], p: e['p'], s: e['s'], t: e['t'] })),
    );
    conn.closeSync();
    inst.closeSync();
  });

  test('kill -9 mid-recording: the file opens and holds the tape up to the durability interval', async () => {
    const sim = await simulator();
    const db = join(dir, 'killed.duckdb');
    const rec = start(
      ['record', '--to', db, '-s', TOPICS.join(','), '--host', sim.url, '--key', 'test'],
      {
        timeoutMs: 30_000,
      },
    );
    // The progress line (one a second off a TTY) shows rows; then a commit after it: each commit
    // writes DuckDB's write-ahead log, so the log's size changes.
    await rec.waitFor(/record: live · [1-9][\d,]* events written/, 'stderr', 15_000);
    const walSize = async () => (await stat(`${db}.wal`).catch(() => undefined))?.size ?? -1;
    const before = await walSize();
    await until(async () => (await walSize()) !== before, 'a commit after rows were written');
    // Half the 1 s durability interval, fixed: the kill lands between commits, rows uncommitted.
    await sleep(500);
    const killedAt = Date.now();
    rec.child.kill('SIGKILL');
    const r = await rec.result;
    assert.equal(r.signal, 'SIGKILL');

    const events = await readAll(db);
    assert.ok(events.length > 0, 'committed rows survive');
    assertTapeSlices(sim, events, TOPICS);
    // Nothing twice, and `seq` strictly increasing over the whole file.
    const keys = events.map((e) => `${eventKey('stocks', e)}|${String(e['q'] ?? e['t'])}`);
    assert.equal(new Set(keys).size, keys.length, 'no duplicates');
    if (duckdb instanceof Error) return;
    const inst = await duckdb.DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
    const conn = await inst.connect();
    const last = await conn.runAndReadAll(
      'SELECT max(epoch_ms(received)) FROM (SELECT received FROM stocks_t UNION ALL SELECT received FROM stocks_q)',
    );
    const lastMs = Number(last.getRows()[0]![0]);
    conn.closeSync();
    inst.closeSync();
    // The 1 s interval, plus slack for this loaded machine (the child's clock is ours).
    assert.ok(
      killedAt - lastMs < 1_000 + 2_000,
      `last committed row ${killedAt - lastMs} ms before the kill`,
    );
  });

  test('simulate --replay FILE.duckdb serves what the NDJSON replay serves, in the same order', async () => {
    const sim = await simulator();
    const db = join(dir, 'both.duckdb');
    const ndjson = join(dir, 'both.ndjson');
    const args = ['record', ndjson, '--to', db, '-s', TOPICS.join(','), '--max-events', '400'];
    const rec = await start([...args, '--host', sim.url, '--key', 'test'], { timeoutMs: 30_000 })
      .result;
    assert.equal(rec.code, 0, rec.stderr);
    const recorded = (await readFile(ndjson, 'utf8')).trimEnd().split('\n');
    assert.equal(recorded.length, 400);

    const replays: string[][] = [];
    for (const file of [ndjson, db]) {
      const server = start(['simulate', '--port', '0', '--replay', file, '--speed', 'max'], {
        timeoutMs: 30_000,
      });
      const url = await server.waitFor(/ws:\/\/127\.0\.0\.1:\d+/);
      const stream = ['stream', '--host', url, '--key', 'any', '-s', 'T.*,Q.*'];
      const out = await start([...stream, '--max-events', '400', '--format', 'ndjson']).result;
      assert.equal(out.code, 0, out.stderr);
      replays.push(out.stdout.trimEnd().split('\n'));
      await server.waitFor(/replay finished: 400 events/, 'stderr');
      server.child.kill('SIGINT');
      assert.equal((await server.result).code, 0);
    }
    assert.deepEqual(
      replays[1]!.map((l) => JSON.parse(l) as unknown),
      replays[0]!.map((l) => JSON.parse(l) as unknown),
    );
    assert.deepEqual(
      replays[0]!.map((l) => JSON.parse(l) as unknown),
      recorded.map((l) => JSON.parse(l) as unknown),
    );
  });

  test('a futures recording knows its cluster: its T rows are futures trades, replayed there', async () => {
    const path = join(dir, 'futures.duckdb');
    const sink = await DuckDbSink.open(path, { cluster: 'futures/cme' });
    const trades = [
      { ev: 'T', sym: 'ESZ5', p: 6012.25, s: 3, t: 1_760_000_000_000, q: 1 },
      { ev: 'T', sym: 'ESZ5', p: 6012.5, s: 1, t: 1_760_000_000_001, q: 2, odd: [1, 'x'] },
    ];
    sink.write(trades);
    await sink.close();
    const source = await openDuckDbRecording(path);
    assert.deepEqual(source.clusters, ['futures/cme']);
    assert.equal(replayClusterOf(source.clusters), 'futures/cme');
    const back: WireEvent[] = [];
    for await (const e of source.read()) back.push(e);
    assert.deepEqual(back, trades, 'typed columns plus extra give the events back exactly');
    assert.throws(() => replayClusterOf(['futures', 'stocks']), /futures cluster alone/);
  });

  test('data chunks give every value back: nulls, lists, book levels, long and non-ASCII text, past one chunk', async () => {
    const path = join(dir, 'chunks.duckdb');
    const sink = await DuckDbSink.open(path, { cluster: 'crypto' });
    const events: WireEvent[] = [];
    for (let n = 0; n < 5_000; n++) {
      const t = 1_760_000_000_000 + n;
      if (n % 5 === 0) {
        const levels = Array.from({ length: n % 7 }, (_, k) => [100 + k / 8, n + k]);
        events.push({ ev: 'XL2', pair: 'BTC-USD', b: levels, a: [], t, x: 1, r: t + 3 });
      } else if (n % 5 === 1) {
        // a long pair, a non-ASCII one, a null and a fractional field go to their columns or extra
        const pair =
          n % 3 === 0 ? 'A-VERY-LONG-PAIR-NAME-' + String(n) : n % 3 === 1 ? 'ÉTH-€' : null;
        events.push({
          ev: 'XT',
          pair,
          p: -n / 3,
          t,
          s: 0.5,
          c: n % 2 ? [] : [1, -2, 2 ** 30],
          i: -n,
          x: 1,
          r: t,
        });
      } else if (n % 5 === 2) {
        events.push({ ev: 'XT', pair: 'ETH-USD', p: 1, t, s: 2, c: [1.5], x: 2 ** 53 + 2, r: t });
      } else if (n % 5 === 3) {
        events.push({ ev: 'XQ', pair: 'ETH-USD', bp: 1, bs: 2, ap: 3, as: 4, t, x: 1, r: t });
      } else {
        events.push({ ev: 'ZZ', what: n, t });
      }
    }
    for (let i = 0; i < events.length; i += 777) sink.write(events.slice(i, i + 777));
    assert.equal(sink.stats().rows, 5_000);
    await sink.close();
    const source = await openDuckDbRecording(path);
    const back: WireEvent[] = [];
    for await (const e of source.read()) back.push(e);
    assert.deepEqual(back, events);
  });

  test('commitLagMs: how long the oldest row of a commit waited for it, none before a commit', async () => {
    const sink = await DuckDbSink.open(join(dir, 'lag.duckdb'), {
      cluster: 'stocks',
      flushIntervalMs: 3_600_000,
    });
    const trade = (q: number): WireEvent => ({ ev: 'T', sym: 'AAPL', p: 1, s: 1, t: q, q });
    const first = performance.now();
    sink.write([trade(1)]);
    assert.equal(sink.stats().commitLagMs, 0, 'nothing committed yet');
    // A fixed 40 ms for the first row to wait: the lag measured must be at least that.
    await sleep(40);
    sink.write([trade(2)]); // a later row does not shorten the wait of the first
    sink.flush();
    const lag = sink.stats().commitLagMs;
    assert.ok(lag >= 40 && lag <= performance.now() - first, `commitLagMs ${lag}`);
    sink.write([trade(3)]);
    sink.flush(); // a quick commit after a slow one: the longest stays
    assert.equal(sink.stats().commitLagMs, lag);
    assert.equal(sink.stats().committed, 3);
    await sink.close();
  });

  test('bad input: a --parquet without --to, a file that is not DuckDB', async () => {
    const r = await start(['record', 'x.ndjson', '--parquet', dir]).result;
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--parquet exports a DuckDB recording: give --to FILE\.duckdb too/);
    await assert.rejects(
      DuckDbSink.open(join(dir, 'x.duckdb'), { cluster: 'moon' as 'stocks' }),
      /INVALID_OPTION|cluster/,
    );
    const notDb = join(dir, 'both.ndjson');
    const q = await start(['query', notDb, 'SELECT 1']).result;
    assert.equal(q.code, 1);
    assert.match(q.stderr, /RECORDING_FAILED/);
  });
});
