/**
 * The provider's host table (src/protocol/hosts.ts): every name in both families, the parsing of
 * a `host` option (full name, short name, ws:// URL), the default, and the warning (never a
 * refusal) for a host the table says does not serve the client's cluster.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterUrl } from '../../src/client/config.js';
import { StreamClient } from '../../src/client/stream-client.js';
import type { Logger } from '../../src/client/logger.js';
import {
  DEFAULT_HOST,
  delayMinutes,
  expandShortName,
  Host,
  HOST_NAMES,
  HOSTS,
  hostNames,
  hostServes,
  hostWarning,
  lookupHost,
} from '../../src/protocol/hosts.js';
import { CLUSTERS } from '../../src/protocol/streams.js';

const NAMES = [
  'socket',
  'delayed',
  'launchpad',
  'business',
  'delayed-business',
  'nasdaqfeed',
  'polyfeed',
  'polyfeedplus',
  'starterfeed',
  'edgx-business',
  'delayed-edgx-business',
  'iex-business',
  'nasdaq-last-sale-business',
  'delayed-nasdaq-last-sale-business',
  'nasdaq-basic-business',
  'delayed-nasdaq-basic-business',
  'fullmarket-business',
  'delayed-fullmarket-business',
];

test('the table: the 18 names of the provider, each as *.massive.com and *.polygon.io', () => {
  assert.deepEqual([...HOST_NAMES].sort(), [...NAMES].sort());
  for (const spec of HOSTS) {
    const [massive, polygon] = hostNames(spec);
    assert.equal(massive, `${spec.name}.massive.com`);
    assert.equal(polygon, `${spec.name}.polygon.io`);
    assert.equal(lookupHost(massive)?.family, 'massive');
    assert.equal(lookupHost(polygon)?.family, 'polygon');
    assert.equal(lookupHost(polygon.toUpperCase())?.spec, spec, 'any case');
    assert.equal(lookupHost(`${massive}.`)?.spec, spec, 'a trailing dot');
    // Every cluster a row names is a cluster of the stream table.
    if (spec.clusters !== 'any') for (const c of spec.clusters) assert.ok(CLUSTERS.includes(c));
    assert.equal(spec.name.startsWith('delayed'), spec.timing === 'delayed', spec.name);
  }
  for (const name of ['example.com', 'socket.example.com', 'massive.com', 'socket', 'localhost'])
    assert.equal(lookupHost(name), undefined, name);
});

test('what the rows say: clusters, delays and feeds as the docs know them', () => {
  const spec = (name: string) => HOSTS.find((h) => h.name === name)!;
  for (const c of CLUSTERS) assert.ok(hostServes(spec('socket'), c), `socket serves ${c}`);
  assert.ok(hostServes(spec('delayed'), 'futures'));
  assert.ok(!hostServes(spec('delayed'), 'crypto'), 'no delayed crypto URL in the docs');
  assert.ok(!hostServes(spec('launchpad'), 'indices'));
  assert.ok(hostServes(spec('business'), 'futures/cme'), 'unconfirmed: kept');
  assert.ok(!hostServes(spec('iex-business'), 'options'));
  assert.ok(hostServes(spec('polyfeed'), 'crypto'), 'nothing known: no warning');
  assert.equal(delayMinutes(spec('delayed'), 'stocks'), 15);
  assert.equal(delayMinutes(spec('delayed'), 'futures/cme'), 10);
  assert.equal(delayMinutes(spec('socket'), 'stocks'), 0);
  assert.equal(spec('business').feed, 'business');
  assert.equal(spec('launchpad').feed, 'launchpad');
  assert.equal(spec('delayed').feed, 'market');
  for (const h of HOSTS.filter((h) => h.clusters === 'any'))
    assert.match(h.unconfirmed, /clusters/, `${h.name}: a guess says so`);
});

test('default host: socket.massive.com; Host names in both families', () => {
  assert.equal(DEFAULT_HOST, 'socket.massive.com');
  assert.equal(Host.RealTime, 'socket.massive.com');
  assert.equal(Host.MassiveDelayed, Host.Delayed);
  assert.equal(Host.PolygonRealTime, 'socket.polygon.io');
  for (const name of Object.values(Host)) assert.ok(lookupHost(name), name);
  assert.equal(new StreamClient('k', 'stocks').url, 'wss://socket.massive.com/stocks');
  assert.equal(new StreamClient('k', 'futures/cme').url, 'wss://socket.massive.com/futures/cme');
});

test('parsing: full names, short names, ws:// and wss:// URLs with or without a path', () => {
  for (const spec of HOSTS) {
    const [massive, polygon] = hostNames(spec);
    assert.equal(clusterUrl(massive, 'stocks'), `wss://${massive}/stocks`);
    assert.equal(clusterUrl(polygon, 'futures'), `wss://${polygon}/futures`);
    assert.equal(clusterUrl(spec.name, 'options'), `wss://${massive}/options`, 'short → current');
    assert.equal(clusterUrl(spec.name.toUpperCase(), 'stocks'), `wss://${massive}/stocks`);
    assert.equal(expandShortName(spec.name), massive);
  }
  const cases: [string, string, string][] = [
    ['wss://delayed.polygon.io', 'stocks', 'wss://delayed.polygon.io/stocks'],
    ['wss://delayed.polygon.io/', 'stocks', 'wss://delayed.polygon.io/stocks'],
    // A provider URL that already names the cluster: not added twice.
    ['wss://delayed.massive.com/futures', 'futures', 'wss://delayed.massive.com/futures'],
    [
      'wss://business.massive.com/futures/cme/',
      'futures/cme',
      'wss://business.massive.com/futures/cme',
    ],
    // Any other host: the cluster is appended to the path, as before.
    ['ws://127.0.0.1:8765', 'stocks', 'ws://127.0.0.1:8765/stocks'],
    ['wss://proxy.example.com/market', 'crypto', 'wss://proxy.example.com/market/crypto'],
    ['wss://relay.example.com/stocks', 'stocks', 'wss://relay.example.com/stocks/stocks'],
    // Unknown names stay as given (the simulator, a relay, a LAN name).
    ['localhost:8765', 'stocks', 'wss://localhost:8765/stocks'],
    ['feeds.example.com', 'forex', 'wss://feeds.example.com/forex'],
    ['sockets', 'stocks', 'wss://sockets/stocks'],
  ];
  for (const [host, cluster, url] of cases) assert.equal(clusterUrl(host, cluster), url, host);
  for (const bad of ['', 'https://socket.massive.com', 'socket.massive.com/stocks', 'wss://x/?a=1'])
    assert.throws(() => clusterUrl(bad, 'stocks'), { code: 'INVALID_HOST' }, bad);
});

test('hostWarning: only for a known host that does not serve the cluster', () => {
  assert.equal(hostWarning('wss://socket.massive.com/futures', 'futures'), undefined);
  assert.equal(hostWarning('wss://delayed.polygon.io/stocks', 'stocks'), undefined);
  assert.equal(hostWarning('wss://polyfeed.massive.com/crypto', 'crypto'), undefined);
  assert.equal(hostWarning('ws://127.0.0.1:8765/crypto', 'crypto'), undefined, 'simulator');
  assert.equal(hostWarning('wss://relay.example.com/options', 'options'), undefined, 'relay');
  const w = hostWarning('wss://delayed.massive.com/crypto', 'crypto');
  assert.match(w ?? '', /delayed\.massive\.com does not serve the crypto cluster/);
  assert.match(w ?? '', /it serves stocks, options, indices, futures/);
  const iex = hostWarning('wss://IEX-BUSINESS.polygon.io/options', 'options');
  assert.match(iex ?? '', /iex-business\.polygon\.io .*unconfirmed: clusters \(stocks by name\)/);
});

test('the client logs the warning and connects anyway; no warning elsewhere', () => {
  const warned: [string, Record<string, unknown> | undefined][] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (message, fields) => warned.push([message, fields]),
    error() {},
  };
  const c = new StreamClient('SECRET-KEY', 'crypto', { host: 'delayed', logger });
  assert.equal(c.url, 'wss://delayed.massive.com/crypto', 'not refused');
  assert.equal(warned.length, 1);
  assert.match(warned[0]![0], /does not serve the crypto cluster/);
  assert.deepEqual(warned[0]![1], { url: c.url, cluster: 'crypto' });
  new StreamClient('SECRET-KEY', 'crypto', { logger });
  new StreamClient('SECRET-KEY', 'indices', { host: 'ws://127.0.0.1:1', logger });
  new StreamClient('SECRET-KEY', 'futures/comex', { host: Host.PolygonBusiness, logger });
  assert.equal(warned.length, 1, 'served, or unknown hosts: no warning');
});
