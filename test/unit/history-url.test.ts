/** The REST base and feed a client's WebSocket URL implies (history needs no socket). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterUrl } from '../../src/client/config.js';
import { feedOfUrl, restBaseUrl } from '../../src/client/history/history.js';
import { Host } from '../../src/protocol/hosts.js';

test('REST base: the provider API of each host family; ws → http and wss → https elsewhere', () => {
  const cases: [string, string][] = [
    [Host.RealTime, 'https://api.massive.com'],
    [Host.PolygonRealTime, 'https://api.polygon.io'],
    [Host.PolygonDelayed, 'https://api.polygon.io'],
    [Host.PolygonBusiness, 'https://api.polygon.io'],
    [Host.PolygonLaunchpad, 'https://api.polygon.io'],
    ['iex-business.polygon.io', 'https://api.polygon.io'],
    ['delayed-fullmarket-business', 'https://api.massive.com'],
    [Host.MassiveRealTime, 'https://api.massive.com'],
    [Host.MassiveDelayed, 'https://api.massive.com'],
    [Host.MassiveBusiness, 'https://api.massive.com'],
    [Host.MassiveLaunchpad, 'https://api.massive.com'],
    ['ws://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['wss://proxy.example.com:8443/market', 'https://proxy.example.com:8443/market'],
    ['feeds.example.com', 'https://feeds.example.com'],
  ];
  for (const [host, base] of cases)
    assert.equal(restBaseUrl(clusterUrl(host, 'stocks')), base, host);
  // A per-exchange futures cluster is one cluster: its REST base is before the whole of it.
  for (const cluster of ['futures', 'futures/cme'] as const) {
    assert.equal(
      restBaseUrl(clusterUrl('wss://proxy.example.com:8443/market', cluster), cluster),
      'https://proxy.example.com:8443/market',
    );
    assert.equal(
      restBaseUrl(clusterUrl(Host.RealTime, cluster), cluster),
      'https://api.massive.com',
    );
  }
});

test('feed: business and launchpad hosts serve theirs; every other host the market feed', () => {
  assert.equal(feedOfUrl(clusterUrl(Host.Business, 'stocks')), 'business');
  assert.equal(feedOfUrl(clusterUrl(Host.MassiveLaunchpad, 'crypto')), 'launchpad');
  assert.equal(feedOfUrl(clusterUrl(Host.Delayed, 'stocks')), 'market');
  assert.equal(feedOfUrl(clusterUrl('delayed-business.polygon.io', 'stocks')), 'business');
  assert.equal(feedOfUrl(clusterUrl('iex-business', 'stocks')), 'market');
  assert.equal(feedOfUrl(clusterUrl('ws://127.0.0.1:1', 'stocks')), 'market');
});
