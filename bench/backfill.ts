/**
 * `npm run bench` (after the delivery benchmarks), or `node --import tsx bench/backfill.ts
 * [--quick] [--json]`: how long backfill takes to fill a gap, and how many REST requests it
 * uses, for 10, 100 and 1 000 tickers × 10 s, 60 s and 10 min outages; then with REST history
 * trailing the stream by 200 ms, 1 s and 3 s (each event visible to REST only that long after its
 * time), where a fill holds its live events until REST is seen to reach the first of them.
 *
 * The clock starts when the reconnect's `begin` hands the gap over (the resubscribe has been
 * sent) and stops at the `gap` event, every topic filled or, once its live events have been held
 * `maxHoldMs` (5 s by default), reported partial or unfilled: per topic, one live event marks the
 * end of its gap, then the history is fetched, paged, converted, de-duplicated and delivered
 * before the held live event. History comes from a REST server in this process serving stock
 * trades at RATE per ticker per second for any window, in the provider's shape and pages (50 000
 * rows at most), after a fixed DELAY per request standing for the network round trip. The
 * client runs with its default backfill limits (8 requests in flight, 50 requests/s), once with
 * those and live events held up to 30 s (so that 1 000 tickers can complete), and once with a
 * wider gate, to show what the provider's rate limit costs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Backfill } from '../src/client/fills/backfill.js';
import { resolveBackfill } from '../src/client/fills/backfill-options.js';
import { HistoryFetcher } from '../src/client/history/history.js';
import { silentLogger } from '../src/client/logger.js';
import type { Gap } from '../src/client/delivery/lifecycle.js';
import type { WireEvent } from '../src/protocol/codec.js';
import { historyBodyText, msToNs } from '../src/protocol/rest/rest-history.js';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const JSON_OUT = args.has('--json');
/** Trades per ticker per second in the history served. */
const RATE = 2;
/** Added to every REST answer, ms: a network round trip. */
const DELAY_MS = 20;
const TICKERS = QUICK ? [10, 100] : [10, 100, 1_000];
const OUTAGES: [label: string, ms: number][] = [
  ['10 s', 10_000],
  ['60 s', 60_000],
  ['10 min', 600_000],
];
/** REST lags measured (default gate, 60 s outage). */
const LAGS_MS = QUICK ? [0, 1_000] : [0, 200, 1_000, 3_000];
/** The lag of the REST server now, ms: rows later than now − lag are not served yet. */
let lagMs = 0;
const GATES = [
  { label: 'default (8 in flight, 50/s)', concurrency: 8, requestsPerSecond: 50 },
  {
    label: 'default, maxHoldMs 30 s',
    concurrency: 8,
    requestsPerSecond: 50,
    maxHoldMs: 30_000,
  },
  { label: 'wide (64 in flight, 1000/s)', concurrency: 64, requestsPerSecond: 1_000 },
];

/** Trades of a ticker at RATE/s on a grid: times and sequence numbers follow from the window. */
function serve(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://bench');
  const ticker = decodeURIComponent(url.pathname.split('/').pop() ?? '');
  const cursor = url.searchParams.get('cursor');
  const q = cursor
    ? new URLSearchParams(Buffer.from(cursor, 'base64url').toString())
    : url.searchParams;
  const from = Number(BigInt(q.get('timestamp.gte') ?? '0') / 1_000_000n);
  const asked = Number(BigInt(q.get('timestamp.lt') ?? '0') / 1_000_000n);
  const to = Math.min(asked, Date.now() - lagMs + 1);
  const limit = Number(q.get('limit') ?? '1000');
  const step = 1_000 / RATE;
  const first = Math.ceil(from / step) * step;
  const results: object[] = [];
  let t = first;
  for (; t < to && results.length < limit; t += step) {
    const ns = msToNs(t);
    results.push({
      conditions: [0],
      exchange: 4,
      id: String(t),
      price: 100 + (t % 1_000) / 100,
      sequence_number: t / step,
      sip_timestamp: ns,
      participant_timestamp: ns,
      size: 100,
      tape: 3,
    });
  }
  const body: Record<string, unknown> = { status: 'OK', request_id: 'bench', results };
  if (t < to) {
    const next = new URLSearchParams({
      'timestamp.gte': msToNs(t),
      'timestamp.lt': msToNs(asked),
      limit: String(limit),
    });
    body['next_url'] =
      `http://${req.headers.host}/v3/trades/${ticker}?cursor=${Buffer.from(next.toString()).toString('base64url')}`;
  }
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(historyBodyText(body));
  }, DELAY_MS);
}

interface Result {
  tickers: number;
  outage: string;
  gate: string;
  lagMs: number;
  fillMs: number;
  requests: number;
  events: number;
  /** Topics reported filled completely / in part / not at all. */
  filled: number;
  partial: number;
  unfilled: number;
}

async function measure(
  url: string,
  tickers: number,
  outageMs: number,
  gate: (typeof GATES)[number],
): Promise<Omit<Result, 'outage' | 'gate' | 'lagMs'>> {
  const client = {
    apiKey: 'bench-key',
    url: url.replace('http:', 'ws:') + '/stocks',
    cluster: 'stocks' as const,
  };
  const config = resolveBackfill({
    ...gate,
    maxGapMs: 3_600_000,
    maxTickers: 10_000,
    maxRows: 1_000_000,
  })!;
  const fetcher = new HistoryFetcher(
    client,
    { concurrency: gate.concurrency, requestsPerSecond: gate.requestsPerSecond },
    silentLogger,
  );
  let delivered = 0;
  let done: (gap: Gap) => void = () => undefined;
  const filled = new Promise<Gap>((resolve) => (done = resolve));
  const backfill = new Backfill(config, fetcher, {
    cluster: 'stocks',
    feed: 'market',
    deliver: (history) => void (delivered += history.length),
    report: () => undefined,
    gap: (gap) => done(gap),
    caughtUp: () => undefined,
  });
  const step = 1_000 / RATE;
  const before = Math.floor(Date.now() / step) * step - outageMs;
  const topics = Array.from({ length: tickers }, (_, i) => `T.B${String(i).padStart(4, '0')}`);
  const trade = (sym: string, t: number): WireEvent => ({
    ev: 'T',
    sym,
    p: 1,
    s: 1,
    t,
    q: t / step,
    x: 4,
  });
  // Live before the drop: each topic's last event, one outage before its first live one.
  for (const topic of topics) backfill.live(trade(topic.slice(2), before));
  const started = performance.now();
  backfill.begin({ from: before, lostAt: before, to: before + outageMs, topics });
  for (const topic of topics) backfill.live(trade(topic.slice(2), before + outageMs));
  const gap = await filled;
  const fillMs = performance.now() - started;
  const unfilled = Object.keys(gap.unfilled ?? {}).length;
  backfill.close();
  const filledTopics = Object.keys(gap.filled ?? {}).length;
  const partial = Object.keys(gap.partial ?? {}).length;
  return {
    tickers,
    fillMs,
    requests: fetcher.requests,
    events: delivered,
    filled: filledTopics,
    partial,
    unfilled,
  };
}

async function main(): Promise<void> {
  const server = createServer(serve);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const results: Result[] = [];
  try {
    for (const gate of GATES) {
      for (const tickers of TICKERS) {
        for (const [outage, ms] of OUTAGES) {
          const r = await measure(url, tickers, ms, gate);
          results.push({ ...r, outage, gate: gate.label, lagMs: 0 });
          process.stderr.write(
            `backfill bench: ${gate.label}, ${tickers} tickers, ${outage}: ${Math.round(r.fillMs)} ms\n`,
          );
        }
      }
    }
    for (const lag of LAGS_MS) {
      for (const tickers of TICKERS.slice(0, 2)) {
        lagMs = lag;
        const r = await measure(url, tickers, 60_000, GATES[0]!);
        results.push({ ...r, outage: '60 s', gate: GATES[0]!.label, lagMs: lag });
        process.stderr.write(
          `backfill bench: REST lag ${lag} ms, ${tickers} tickers: ${Math.round(r.fillMs)} ms, ${r.requests} requests\n`,
        );
      }
    }
    lagMs = 0;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  if (JSON_OUT) {
    console.log(JSON.stringify({ backfill: results, rate: RATE, delayMs: DELAY_MS }));
    return;
  }
  console.log(
    `\nBackfill: reconnect → gap filled (stock trades at ${RATE}/s per ticker, ${DELAY_MS} ms per REST answer)`,
  );
  console.log(
    '| REST gate | REST lag | tickers | outage | time to fill | REST requests | per topic | events filled | filled / partial / unfilled |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const time =
      r.fillMs >= 10_000 ? `${(r.fillMs / 1000).toFixed(1)} s` : `${Math.round(r.fillMs)} ms`;
    const n = (x: number): string => x.toLocaleString('en-US');
    console.log(
      `| ${r.gate} | ${r.lagMs} ms | ${n(r.tickers)} | ${r.outage} | ${time} | ${n(r.requests)} | ${(r.requests / r.tickers).toFixed(1)} | ${n(r.events)} | ${r.filled} / ${r.partial} / ${r.unfilled} |`,
    );
  }
}

await main();
