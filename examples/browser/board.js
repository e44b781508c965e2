/* global document, location, requestAnimationFrame, URLSearchParams, window */
/**
 * A live quote board: last price, change since the first trade seen, bid/ask spread and a
 * sparkline per symbol, with the connection state and, when it is not open, what is wrong in
 * words (why.js), and which reconnect attempt of how many is next. Plain ES module; the client is the package's
 * standard build (served as /polygon-stream.js by serve.ts; a bundler would import 'polygon-stream').
 *
 * The API key is in the page, so anyone who opens it can read it: see the README (Browsers) for
 * serving through a relay that keeps the key on the server.
 *
 * Query: ?host=ws://127.0.0.1:PORT&key=KEY&symbols=AAPL,MSFT
 */
import { StreamClient } from '/polygon-stream.js';
import { explainFailure } from './why.js';

const params = new URLSearchParams(location.search);
const host = params.get('host') ?? 'ws://127.0.0.1:8765';
const key = params.get('key') ?? 'demo-key';
const symbols = (params.get('symbols') ?? 'AAPL,MSFT,NVDA,TSLA,AMZN').split(',');
const SPARK_POINTS = 60;
const MAX_ATTEMPTS = 10;

const rows = new Map();
const tbody = document.getElementById('rows');
const stateBadge = document.getElementById('state');
const meta = document.getElementById('meta');
const problem = document.getElementById('problem');
const svgNs = 'http://www.w3.org/2000/svg';

for (const sym of symbols) {
  const tr = document.createElement('tr');
  tr.dataset.symbol = sym;
  const cells = {};
  for (const name of ['symbol', 'price', 'change', 'bid', 'ask', 'spread']) {
    const td = document.createElement('td');
    td.className = name;
    td.textContent = name === 'symbol' ? sym : '–';
    tr.append(td);
    cells[name] = td;
  }
  const td = document.createElement('td');
  td.className = 'trend';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 120 28');
  svg.setAttribute('preserveAspectRatio', 'none');
  const line = document.createElementNS(svgNs, 'polyline');
  svg.append(line);
  td.append(svg);
  tr.append(td);
  tbody.append(tr);
  rows.set(sym, {
    cells,
    line,
    first: undefined,
    last: undefined,
    bid: undefined,
    ask: undefined,
    prices: [],
    dirty: false,
  });
}

const stats = { trades: 0, quotes: 0, reconnects: 0 };
/** Set when the connection is not open: the reconnect to come and what went wrong. */
const trouble = { next: '', why: '', seq: 0 };

function showTrouble() {
  const text = [trouble.next, trouble.why].filter(Boolean).join(' — ');
  problem.textContent = text;
  problem.hidden = text === '';
}

/** Shows `error` in words (asking serve.ts when the browser cannot tell), newest error wins. */
function explain(error, prefix = '') {
  const seq = ++trouble.seq;
  trouble.why = `${prefix}${error.code}…`;
  showTrouble();
  void explainFailure(error, { host, key, cluster: 'stocks' }).then((words) => {
    if (seq !== trouble.seq) return;
    trouble.why = `${prefix}${words}`;
    showTrouble();
  });
}

const client = new StreamClient(key, 'stocks', {
  host,
  reconnect: { initialDelayMs: 250, maxDelayMs: 5_000, maxAttempts: MAX_ATTEMPTS },
  idleTimeoutMs: 30_000,
  onError: (_client, error) => {
    if (error.code === 'AUTH_FAILED' || error.code === 'RECONNECT_EXHAUSTED') {
      trouble.next = 'gave up';
      explain(error.cause ?? error);
    }
  },
  onClose: () => {},
});

client.on('state', ({ state }) => {
  stateBadge.textContent = state;
  stateBadge.dataset.state = state;
  if (state === 'open') {
    trouble.next = trouble.why = '';
    trouble.seq++;
    showTrouble();
  }
});
client.on('reconnect', ({ attempt, delayMs, cause }) => {
  stats.reconnects++;
  trouble.next = `reconnecting: attempt ${attempt} of ${MAX_ATTEMPTS} in ${(delayMs / 1000).toFixed(1)} s`;
  explain(cause);
});
client.on('T', (trade) => {
  const row = rows.get(trade.sym);
  if (row === undefined) return;
  stats.trades++;
  row.first ??= trade.p;
  row.last = trade.p;
  row.prices.push(trade.p);
  if (row.prices.length > SPARK_POINTS) row.prices.shift();
  row.dirty = true;
});
client.on('Q', (quote) => {
  const row = rows.get(quote.sym);
  if (row === undefined) return;
  stats.quotes++;
  row.bid = quote.bp;
  row.ask = quote.ap;
  row.dirty = true;
});

const money = (n) => (n === undefined ? '–' : n.toFixed(2));

function render() {
  for (const row of rows.values()) {
    if (!row.dirty) continue;
    row.dirty = false;
    const { cells } = row;
    cells.price.textContent = money(row.last);
    if (row.last !== undefined) {
      const change = row.last - row.first;
      const pct = (change / row.first) * 100;
      cells.change.textContent = `${change >= 0 ? '+' : ''}${change.toFixed(2)} (${pct.toFixed(2)}%)`;
      cells.change.className = `change ${change >= 0 ? 'up' : 'down'}`;
    }
    cells.bid.textContent = money(row.bid);
    cells.ask.textContent = money(row.ask);
    cells.spread.textContent =
      row.bid === undefined || row.ask === undefined ? '–' : (row.ask - row.bid).toFixed(2);
    const lo = Math.min(...row.prices);
    const span = Math.max(...row.prices) - lo || 1;
    const step = 120 / Math.max(1, row.prices.length - 1);
    row.line.setAttribute(
      'points',
      row.prices
        .map((p, i) => `${(i * step).toFixed(1)},${(26 - ((p - lo) / span) * 24).toFixed(1)}`)
        .join(' '),
    );
  }
  meta.textContent = `${stats.trades} trades · ${stats.quotes} quotes · ${stats.reconnects} reconnects`;
  requestAnimationFrame(render);
}
requestAnimationFrame(render);

const ready = client
  .startStreamThread()
  .then(() =>
    Promise.all([client.subscribeStockTrades(symbols), client.subscribeStockQuotes(symbols)]),
  );
// A first connection that never came (or a refused key) ends the client: say so, and why.
ready.catch((error) => {
  trouble.next = 'gave up';
  explain(error.cause?.code === 'CONNECTION_FAILED' ? error.cause : error);
});

// For the browser test and the console: the client, the figures, and a promise of the subscribes.
window.board = { client, stats, rows, ready };
