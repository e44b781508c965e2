/**
 * The client in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no
 * browser download): the page loads the standard build, connects to the simulator on loopback,
 * subscribes, receives typed events, survives a dropped connection (reconnect + resubscribe),
 * unsubscribes and closes; and the quote board (examples/browser) renders, checked on a
 * screenshot's pixels. Without chromium each test skips (counted, with the install hint) after one line; under CI or
 * REQUIRE_CHROMIUM=1 a missing chromium fails it. (`npm test` builds dist/browser.js first.)
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { type BoardServer, serveBoard } from '../../examples/browser/serve.js';
import type { SimConnection } from '../../src/simulator/index.js';
import { requireSystemBinary } from '../helpers/system-deps.js';
import { until } from '../helpers/until.js';

// Page-side globals: the functions passed to page.evaluate run in Chromium (no DOM library here).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const window: any, document: any, Image: any;

const browserBinary = requireSystemBinary('chromium', {
  env: 'REQUIRE_CHROMIUM',
  install: 'apt-get install chromium',
  what: 'the browser tests',
});

const KEY = 'BROWSER-KEY-7';
const T = { timeout: 60_000, skip: browserBinary.skip };
const STEP = { timeout: 10_000 };
const marker = (n: number) => ({
  ev: 'XT',
  pair: 'BTC-USD',
  p: 50_000 + n,
  t: 1_700_000_000_000 + n,
  s: 0.5,
  c: [1],
  i: `browser-test-${n}`,
  x: 1,
  r: 1_700_000_000_000 + n,
});

interface Harness {
  trades: { i: string; p: number; ev: string }[];
  states: string[];
  resubscribed: string[][];
  errors: string[];
}

describe('in headless Chromium', () => {
  let board: BoardServer;
  let browser: Browser | undefined;

  before(async () => {
    if (browserBinary.skip) return;
    board = await serveBoard({ simulator: { apiKeys: [KEY], eventsPerSecond: 100, tickMs: 20 } });
    browser = await chromium.launch({
      executablePath: browserBinary.path!,
      // As root (CI containers) Chromium only starts without its sandbox.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
      timeout: 30_000,
    });
  });
  after(async () => {
    await browser?.close();
    await board?.close();
  });

  /** HTTP errors the page met (a favicon 404 …), for the tests to assert there are none. */
  let httpErrors: string[] = [];

  async function openPage(
    url = `${board.url}&key=${KEY}`,
    viewport = { width: 900, height: 420 },
  ): Promise<Page> {
    const page = await browser!.newPage({ viewport });
    page.setDefaultTimeout(STEP.timeout);
    const failures: string[] = [];
    httpErrors = [];
    page.on('pageerror', (err) => failures.push(err.message));
    page.on('response', (res) => {
      if (res.status() >= 400) httpErrors.push(`${res.status()} ${res.url()}`);
    });
    // tsx compiles this file keeping function names (`__name(fn, 'name')` calls), and the
    // functions passed to page.evaluate carry those calls into the page: give it the helper.
    await page.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
    await page.goto(url);
    await page.waitForFunction(() => 'board' in window);
    assert.deepEqual(failures, [], 'no uncaught errors in the page');
    return page;
  }

  const waitConn = (predicate: (c: SimConnection) => boolean) =>
    board.sim.waitFor((c) => c.cluster === 'crypto' && predicate(c), STEP.timeout);

  test(
    'connect, subscribe, typed events, reconnect + resubscribe, unsubscribe, close',
    T,
    async () => {
      const page = await openPage();
      const started = await page.evaluate(
        async ({ host, key }) => {
          const { StreamClient } = await import('/polygon-stream.js' as string);
          const h: Harness = { trades: [], states: [], resubscribed: [], errors: [] };
          const client = new StreamClient(key, 'crypto', {
            host,
            onClose: () => {},
            onError: (_c: unknown, e: Error) => h.errors.push(e.message),
            reconnect: { initialDelayMs: 50, maxDelayMs: 200, jitter: 0 },
          });
          client.on('XT', (t: Harness['trades'][number]) => h.trades.push(t));
          client.on('state', ({ state }: { state: string }) => h.states.push(state));
          client.on('resubscribe', ({ topics }: { topics: string[] }) =>
            h.resubscribed.push(topics),
          );
          Object.assign(window, { harness: h, client });
          await client.startStreamThread();
          const { topics } = await client.subscribeCryptoTrades(['BTC-USD']);
          return { topics, state: client.state as string };
        },
        { host: board.sim.url, key: KEY },
      );
      assert.deepEqual(started, { topics: ['XT.X:BTC-USD'], state: 'open' });
      const first = await waitConn((c) => c.authenticated && c.subscriptions.size === 1);
      assert.deepEqual(first.received, [
        { action: 'auth', params: KEY },
        { action: 'subscribe', params: 'XT.X:BTC-USD' },
      ]);

      board.sim.publish('crypto', [marker(1)]);
      const got = await page.waitForFunction(() => {
        const h = (window as unknown as { harness: Harness }).harness;
        return h.trades.find((t) => t.i === 'browser-test-1');
      });
      assert.deepEqual(await got.jsonValue(), marker(1), 'the exact typed event');

      first.drop();
      const second = await waitConn(
        (c) => c !== first && c.authenticated && c.subscriptions.size === 1,
      );
      assert.deepEqual(second.received, [
        { action: 'auth', params: KEY },
        { action: 'subscribe', params: 'XT.X:BTC-USD' },
      ]);
      await page.waitForFunction(() => {
        const h = (window as unknown as { harness: Harness }).harness;
        return h.resubscribed.length === 1 && h.states.at(-1) === 'open';
      });
      board.sim.publish('crypto', [marker(2)]);
      await page.waitForFunction(() =>
        (window as unknown as { harness: Harness }).harness.trades.some(
          (t) => t.i === 'browser-test-2',
        ),
      );
      const h = await page.evaluate(() => (window as unknown as { harness: Harness }).harness);
      assert.deepEqual(h.resubscribed, [['XT.X:BTC-USD']]);
      assert.deepEqual(h.states, [
        'connecting',
        'authenticating',
        'open',
        'reconnecting',
        'connecting',
        'authenticating',
        'open',
      ]);

      const unsubscribed = await page.evaluate(async () => {
        const { client } = window as unknown as {
          client: { unsubscribeCryptoTrades(s: string[]): Promise<{ topics: string[] }> };
        };
        return (await client.unsubscribeCryptoTrades(['BTC-USD'])).topics;
      });
      assert.deepEqual(unsubscribed, ['XT.X:BTC-USD']);
      assert.deepEqual(second.received.at(-1), { action: 'unsubscribe', params: 'XT.X:BTC-USD' });
      assert.equal(second.subscriptions.size, 0);

      const closed = await page.evaluate(async () => {
        const { client } = window as unknown as {
          client: { closeStream(): Promise<void>; state: string };
        };
        await client.closeStream();
        return client.state;
      });
      assert.equal(closed, 'closed');
      await until(
        () => !board.sim.connections().includes(second),
        'the server to see the close',
        STEP.timeout,
      );
      await page.close();
    },
  );

  test('the quote board renders prices, changes, spreads and sparklines', T, async () => {
    const page = await openPage();
    await page.evaluate(
      () => (window as unknown as { board: { ready: Promise<unknown> } }).board.ready,
    );
    // Every row priced and quoted, with a sparkline of a few points.
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#rows tr')].every((tr) => {
        const text = (name: string) => tr.querySelector(`.${name}`)?.textContent ?? '–';
        const points = tr.querySelector('polyline')?.getAttribute('points') ?? '';
        return (
          ['price', 'change', 'spread'].every((n) => text(n) !== '–') &&
          points.split(' ').length >= 3
        );
      }),
    );
    const rows = await page.$$eval('#rows tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 6).map((td) => td.textContent)),
    );
    assert.deepEqual(
      rows.map((r) => r[0]),
      ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN'],
    );
    for (const [, price, change, bid, ask, spread] of rows) {
      assert.match(price!, /^\d+\.\d{2}$/);
      assert.match(change!, /^[+-]\d+\.\d{2} \([+-]?\d+\.\d{2}%\)$/);
      assert.match(spread!, /^-?\d+\.\d{2}$/);
      assert.equal(Number(spread), Number((Number(ask) - Number(bid)).toFixed(2)));
    }
    assert.equal(await page.textContent('#state'), 'open');

    const png = await page.screenshot({ fullPage: true });
    const file = join(tmpdir(), 'polygon-stream-quote-board.png');
    writeFileSync(file, png);
    // The screenshot's own pixels: drawn onto a canvas in the page, counted against the background.
    const pixels = await page.evaluate(
      async (dataUrl) => {
        const img = new Image();
        img.src = dataUrl;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        const { data } = ctx.getImageData(0, 0, img.width, img.height);
        const bg = [data[0], data[1], data[2]];
        let painted = 0;
        const colors = new Set<number>();
        for (let i = 0; i < data.length; i += 4) {
          if (data[i] !== bg[0] || data[i + 1] !== bg[1] || data[i + 2] !== bg[2]) painted++;
          colors.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
        }
        return { width: img.width, height: img.height, painted, colors: colors.size };
      },
      `data:image/png;base64,${png.toString('base64')}`,
    );
    console.log(
      `# quote board screenshot: ${file} (${pixels.width}x${pixels.height}, ${pixels.painted} painted pixels, ${pixels.colors} colours)`,
    );
    assert.ok(pixels.painted > pixels.width * pixels.height * 0.02, `painted ${pixels.painted}`);
    assert.ok(pixels.colors > 20, `colours ${pixels.colors}`);

    // A dropped connection shows on the board and heals: reconnected, resubscribed, trading again.
    const stocks = await board.sim.waitFor((c) => c.cluster === 'stocks' && c.authenticated);
    const tradesBefore: number = await page.evaluate(() => window.board.stats.trades);
    stocks.drop();
    await page.waitForFunction(
      (before) =>
        window.board.stats.reconnects === 1 &&
        document.querySelector('#state').textContent === 'open' &&
        window.board.stats.trades > before,
      tradesBefore,
    );
    const again = await board.sim.waitFor(
      (c) => c !== stocks && c.cluster === 'stocks' && c.subscriptions.size === 10,
    );
    assert.deepEqual(again.received.slice(0, 2), [
      { action: 'auth', params: KEY },
      {
        action: 'subscribe',
        params: 'T.AAPL,T.MSFT,T.NVDA,T.TSLA,T.AMZN,Q.AAPL,Q.MSFT,Q.NVDA,Q.TSLA,Q.AMZN',
      },
    ]);
    assert.match((await page.textContent('#meta')) ?? '', / 1 reconnects$/);
    await page.close();
  });

  test('the quote board fits a laptop screen and asks for no missing file', T, async () => {
    for (const viewport of [
      { width: 1366, height: 768 },
      { width: 1280, height: 800 },
    ]) {
      const page = await openPage(undefined, viewport);
      await page.evaluate(() => window.board.ready);
      const size = await page.evaluate(() => ({
        height: document.documentElement.scrollHeight,
        width: document.documentElement.scrollWidth,
        table: document.querySelector('table').getBoundingClientRect().width,
      }));
      assert.ok(size.height <= viewport.height, `no vertical scroll: ${JSON.stringify(size)}`);
      assert.ok(size.width <= viewport.width, `no horizontal scroll: ${JSON.stringify(size)}`);
      assert.ok(size.table >= viewport.width * 0.75, `the board uses the width: ${size.table}`);
      assert.deepEqual(httpErrors, [], 'no 404 (favicon or other)');
      await page.close();
    }
  });

  describe('the quote board says what is wrong, in words', () => {
    const problemOf = async (url: string, expected: RegExp): Promise<string> => {
      const page = await openPage(url);
      const handle = await page.waitForFunction((pattern) => {
        const text = document.querySelector('#problem').textContent as string;
        return new RegExp(pattern).test(text) && text;
      }, expected.source);
      const text = (await handle.jsonValue()) as string;
      await page.close();
      return text;
    };

    test('connection refused (a ws:// URL: never called a TLS failure)', T, async () => {
      const spare = createServer();
      await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
      const port = (spare.address() as { port: number }).port;
      await new Promise((resolve) => spare.close(resolve));
      const text = await problemOf(
        `${board.origin}/?host=ws://127.0.0.1:${port}&key=${KEY}`,
        /connection refused/,
      );
      assert.match(text, /^reconnecting: attempt \d+ of 10 in \d+\.\d s — /);
      assert.match(text, new RegExp(`nothing is listening at 127\\.0\\.0\\.1:${port}`));
      assert.doesNotMatch(text, /TLS/);
    });

    test('a wrong path: the HTTP status the server answered', T, async () => {
      const host = encodeURIComponent(`${board.sim.url}/nope`);
      const text = await problemOf(`${board.origin}/?host=${host}&key=${KEY}`, /HTTP 404/);
      assert.match(text, /^reconnecting: attempt \d+ of 10 in /);
      assert.match(text, /HTTP 404 Not Found \(no WebSocket endpoint at this path/);
    });

    test('a bad key: auth_failed, and no reconnecting', T, async () => {
      const text = await problemOf(`${board.url}&key=NOT-THE-KEY`, /auth_failed/);
      assert.equal(
        text,
        'gave up — bad API key: the server refused it (auth_failed); pass the right one as ?key=',
      );
      assert.ok(!text.includes('NOT-THE-KEY'));
    });
  });
});
