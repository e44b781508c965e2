/**
 * The relay's HTTP endpoints on its own port, read with real requests: `GET /metrics` in the
 * Prometheus text format (clients, events, auth failures, per-client queues, slow-consumer cuts
 * and drops, upstream gaps; one registry per relay) and `GET /healthz` (200 while every upstream
 * is open, 503 during an upstream outage). Without prom-client `/metrics` answers 503 with what to
 * install: test/integration/package.test.ts checks that with the built package in a project that
 * lacks it.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { startRelay } from '../../src/relay/index.js';
import { isData, isStatus } from '../helpers/sim.js';
import { until } from '../helpers/reliability.js';
import { TOKENS, trade, withRelay } from '../helpers/relay.js';

const T = { timeout: 20_000 };
const P = 'polygon_stream_relay_';

/**
 * A scrape, checked line by line against the text format: every sample belongs to a family that
 * was announced with `# HELP` and `# TYPE` first. Samples by `name{labels}` as written.
 */
async function scrape(url: string | undefined): Promise<Map<string, number>> {
  assert.ok(url, 'the relay serves metrics (prom-client is a dev dependency)');
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  const help = new Set<string>();
  const type = new Map<string, string>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\w+) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'HELP') help.add(meta[2]!);
      else type.set(meta[2]!, meta[3]!);
      continue;
    }
    const sample = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    const family = sample[1]!;
    assert.ok(help.has(family) && type.has(family), `${family} has no # HELP and # TYPE before it`);
    assert.equal(
      type.get(family) === 'counter',
      family.endsWith('_total'),
      `${family}: counters, and only they, end in _total`,
    );
    samples.set(family + (sample[2] ?? ''), Number(sample[3]));
  }
  assert.ok(help.size > 0, 'the scrape names metrics');
  return samples;
}

async function health(url: string): Promise<{ code: number; body: unknown }> {
  const res = await fetch(url);
  assert.equal(res.headers.get('content-type'), 'application/json');
  return { code: res.status, body: await res.json() };
}

/** The per-client queue samples of a scrape. */
const queues = (m: Map<string, number>): string[] =>
  [...m.keys()].filter((k) => k.startsWith(`${P}client_queue_bytes{`));

describe('relay metrics and health', () => {
  it(
    'GET /metrics: clients, events in and out, auth failures, a queue per client removed when it leaves',
    T,
    () =>
      withRelay({}, async ({ sim, relay, open, upstream }) => {
        await upstream();
        const a = await open();
        await a.subscribe('T.AAPL');
        const n = 25;
        sim.publish(
          'stocks',
          Array.from({ length: n }, (_, i) => trade('AAPL', i + 1)),
        );
        await a.waitForMany(isData, n);
        const wrong = await open(null);
        wrong.send({ action: 'auth', params: 'not-a-token' });
        await wrong.waitFor(isStatus('auth_failed'));
        await wrong.closed;
        await until(() => relay.connections().length === 1, 'the refused client to be gone');

        const m = await scrape(relay.metricsUrl);
        assert.equal(m.get(`${P}clients{authenticated="true"}`), 1);
        assert.equal(m.get(`${P}clients{authenticated="false"}`), 0);
        assert.ok(m.get(`${P}events_in_total`)! >= n);
        assert.ok(m.get(`${P}events_out_total`)! >= n);
        assert.equal(m.get(`${P}auth_failures_total`), 1);
        assert.equal(m.get(`${P}upstream_topics{cluster="stocks"}`), 1);
        assert.equal(m.get(`${P}upstream_open{cluster="stocks"}`), 1);
        assert.equal(m.get(`${P}upstream_gaps_total{cluster="stocks"}`), 0);
        assert.equal(m.get(`${P}dropped_events_total`), 0);
        const id = relay.connections()[0]!.id;
        assert.deepEqual(queues(m), [`${P}client_queue_bytes{client="${id}"}`]);
        assert.ok(m.get(`${P}client_queue_bytes{client="${id}"}`)! >= 0);
        // Every upstream frame forwarded was timed. With fewer than 100 frames the p99 is the
        // bucket of the slowest frame, so the exact max lies at or below its upper bound.
        const frames = m.get(`${P}forwarded_frames_total`)!;
        assert.ok(frames >= 1, 'the published frame was forwarded and counted');
        const p50 = m.get(`${P}forward_seconds{quantile="0.5"}`)!;
        const p99 = m.get(`${P}forward_seconds{quantile="0.99"}`)!;
        const max = m.get(`${P}forward_max_seconds`)!;
        assert.ok(p50 > 0 && p50 <= p99 && Number.isFinite(p99), `p50 ${p50} ≤ p99 ${p99}`);
        assert.ok(max > 0 && max <= p99, `max ${max} s lies in the p99 bucket or below (${p99} s)`);
        // The JS API reads the same counters.
        const js = relay.metrics();
        assert.equal(js.forward.frames, frames);
        assert.equal(js.forward.p99Ms, p99 * 1000);
        assert.equal(js.authFailures, 1);
        assert.deepEqual(js.upstreams, { stocks: { state: 'open', reconnects: 0, gaps: 0 } });

        a.close();
        await until(() => relay.connections().length === 0, 'the client to be gone');
        // The upstream unsubscribe goes out once the relay's short coalescing window has passed.
        await until(
          () => relay.metrics().upstreamTopics['stocks']?.length === 0,
          'the upstream topic to be released',
        );
        const after = await scrape(relay.metricsUrl);
        assert.deepEqual(queues(after), []);
        assert.equal(after.get(`${P}clients{authenticated="true"}`), 0);
        assert.equal(after.get(`${P}upstream_topics{cluster="stocks"}`), 0);
        assert.ok(after.get(`${P}events_out_total`)! >= n, 'counters survive the client');
      }),
  );

  it(
    'shows a stalled client queue growing, then its cut-off and the events it was not sent',
    T,
    () =>
      withRelay({ relay: { maxBufferedBytes: 256 * 1024 } }, async ({ sim, relay, open }) => {
        const stalled = await open();
        await stalled.subscribe('T.*');
        const id = relay.connections()[0]!.id;
        const reader = await open(TOKENS[1]);
        await reader.subscribe('T.*');
        (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
        const batch = Array.from({ length: 2000 }, (_, i) => trade(`S${i % 50}`, i));
        let round = 0;
        const publish = async (): Promise<void> => {
          assert.ok(round < 2000, 'the stalled client was never cut off');
          round++;
          sim.publish('stocks', [...batch, trade('MARK', 100_000 + round)]);
          await reader.waitFor((e) => e.p === 100_000 + round, reader.events.length - 2001);
        };
        // Once the socket's own buffers are full, what is sent waits in the relay: its queue.
        const queued = (): number => relay.connections().find((c) => c.id === id)!.bufferedAmount;
        while (queued() === 0) await publish();
        const m = await scrape(relay.metricsUrl);
        assert.ok(m.get(`${P}client_queue_bytes{client="${id}"}`)! > 0);
        assert.equal(m.get(`${P}slow_consumer_disconnects_total`), 0);

        while (relay.metrics().slowConsumerDisconnects === 0) await publish();
        const cut = await scrape(relay.metricsUrl);
        assert.equal(cut.get(`${P}slow_consumer_disconnects_total`), 1);
        // At least the frame that found it too far behind (2001 events) never went out.
        assert.ok(cut.get(`${P}dropped_events_total`)! >= 2001);
        assert.equal(cut.get(`${P}client_queue_bytes{client="${id}"}`), undefined);
        assert.equal(relay.metrics().droppedEvents, cut.get(`${P}dropped_events_total`));
      }),
  );

  it(
    'GET /healthz: 200 while the upstream streams, 503 with its state during an outage, 200 after',
    T,
    () =>
      withRelay({}, async ({ sim, relay, upstream }) => {
        await upstream();
        assert.deepEqual(await health(relay.healthUrl), {
          code: 200,
          body: { status: 'ok', upstreams: { stocks: 'open' } },
        });
        const gap = once(relay, 'gap');
        sim.outage(1_500);
        await until(() => relay.metrics().upstreams['stocks']!.state !== 'open', 'the drop');
        const during = await health(relay.healthUrl);
        assert.equal(during.code, 503);
        const body = during.body as { status: string; upstreams: { stocks: string } };
        assert.equal(body.status, 'degraded');
        assert.match(body.upstreams.stocks, /^(reconnecting|connecting|authenticating)$/);

        await gap;
        await until(() => relay.metrics().upstreams['stocks']!.state === 'open', 'the return');
        assert.equal((await health(relay.healthUrl)).code, 200);
        const m = await scrape(relay.metricsUrl);
        assert.equal(m.get(`${P}upstream_gaps_total{cluster="stocks"}`), 1);
        assert.ok(m.get(`${P}upstream_reconnects_total{cluster="stocks"}`)! >= 1);
      }),
  );

  it('two relays in one process keep their own metrics', T, () =>
    withRelay({}, async ({ sim, relay, open }) => {
      const other = await startRelay({
        key: 'another-upstream-key',
        upstreamHost: sim.url,
        tokens: TOKENS,
      });
      try {
        await open();
        const [mine, theirs] = await Promise.all([
          scrape(relay.metricsUrl),
          scrape(other.metricsUrl),
        ]);
        assert.equal(mine.get(`${P}clients{authenticated="true"}`), 1);
        assert.equal(theirs.get(`${P}clients{authenticated="true"}`), 0);
      } finally {
        await other.close();
      }
      // Closing one leaves the other's endpoint working.
      assert.equal((await scrape(relay.metricsUrl)).get(`${P}clients{authenticated="true"}`), 1);
    }),
  );

  it('answers other methods with 405 and leaves other paths to the protocol server', T, () =>
    withRelay({}, async ({ relay }) => {
      const base = relay.url.replace(/^ws:/, 'http:');
      const post = await fetch(`${base}/metrics`, { method: 'POST' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get('allow'), 'GET, HEAD');
      assert.equal((await fetch(`${base}/stocks`)).status, 426);
      assert.equal((await fetch(`${base}/nothing`)).status, 404);
      assert.equal(relay.healthUrl, `${base}/healthz`);
      assert.equal(relay.metricsUrl, `${base}/metrics`);
    }),
  );
});
