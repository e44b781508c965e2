/**
 * `polygon-stream relay` (the built CLI; `npm test` builds first): it starts on the embedded
 * simulator, a client streams through it, --metrics reports on stderr, the startup lines name the
 * /metrics and /healthz URLs (and they answer), SIGINT stops it cleanly;
 * usage errors exit 2 with a message naming the flag.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { StreamClient } from '../../src/client/stream-client.js';
import { CLI, killAll, spawnNode } from '../helpers/spawn.js';

after(() => killAll());

describe('polygon-stream relay', () => {
  test('starts, relays to a StreamClient, reports metrics, and stops on SIGINT with exit 0', async () => {
    const cli = spawnNode([
      CLI,
      'relay',
      '--port',
      '0',
      '--tokens',
      'tok',
      '--backfill',
      '--metrics',
    ]);
    const line = await cli.waitFor(/listening on ws:\/\/127\.0\.0\.1:\d+/);
    const url = line.slice(line.indexOf('ws://'));
    // The startup lines say where the Prometheus metrics and the health check are.
    const metricsLine = await cli.waitFor(/^ {2}metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
    const healthLine = await cli.waitFor(/^ {2}health: http:\/\/127\.0\.0\.1:\d+\/healthz$/m);
    const metricsUrl = metricsLine.slice(metricsLine.indexOf('http://'));
    assert.equal(metricsUrl, `${url.replace('ws://', 'http://')}/metrics`);
    assert.equal((await fetch(healthLine.slice(healthLine.indexOf('http://')))).status, 200);
    const client = new StreamClient('tok', 'stocks', {
      host: url,
      onMessage: () => undefined,
      onError: () => undefined,
      onClose: () => undefined,
    });
    try {
      const trade = new Promise<{ sym: string }>((resolve) => client.on('T', resolve));
      await client.startStreamThread();
      await client.subscribeStockTrades(['AAPL']);
      assert.equal((await trade).sym, 'AAPL');
      await cli.waitFor(
        /\[relay\] clients 1 {2}upstream topics stocks:1 {2}in \d+\/s .* backfilled 0 /,
        'stderr',
      );
      // The relay's own time per forwarded frame, once a trade has gone through it.
      await cli.waitFor(
        /\[relay\] .* forward \(last 60 s\) p99 ≤ [\d.]+ ms, max \d+\.\d\d ms /,
        'stderr',
      );
      const scrape = await (await fetch(metricsUrl)).text();
      assert.match(scrape, /^polygon_stream_relay_clients\{authenticated="true"\} 1$/m);
    } finally {
      await client.closeStream();
    }
    cli.child.kill('SIGINT');
    const result = await cli.result;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /\[relay\] stopping/);
  });

  test('usage errors exit 2 and name what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['relay', '--port', '0'], /relay needs --tokens/],
      [
        ['relay', '--port', '0', '--allow-any-token', '--bind', '0.0.0.0'],
        /^error: --allow-any-token must be false on 0\.0\.0\.0 \(any token would serve the feed/,
      ],
      [['relay', '--clusters', 'bonds', '--tokens', 't'], /Expected clusters among stocks/],
      [
        ['relay', '--tokens', 't', '--tls-cert', 'test/fixtures/tls/cert.pem'],
        /--tls-cert and --tls-key go together/,
      ],
      [
        ['relay', '--tokens', 't', '--tls-cert', 'nope.pem', '--tls-key', 'nope.pem'],
        /--tls-cert: cannot read nope\.pem/,
      ],
      [
        ['relay', '--tokens', 't', '--allow-origin', 'desk.example'],
        /--allow-origin must be origins such as 'https:\/\/desk\.example:3000'/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const result = await spawnNode([CLI, ...args]).result;
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, pattern);
    }
  });

  test('serves wss:// with --tls-cert and --tls-key, without the clear-text warning', async () => {
    const tls = spawnNode([
      CLI,
      'relay',
      '--port',
      '0',
      '--tokens',
      't',
      '--tls-cert',
      'test/fixtures/tls/cert.pem',
      '--tls-key',
      'test/fixtures/tls/key.pem',
    ]);
    await tls.waitFor(/listening on wss:\/\/127\.0\.0\.1:\d+/);
    await tls.waitFor(/browsers: refused \(no --allow-origin\)/);
    tls.child.kill('SIGINT');
    const result = await tls.result;
    assert.equal(result.code, 0, `signal ${result.signal}; stderr: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /warning/);
  });
});
