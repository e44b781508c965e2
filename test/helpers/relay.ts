/**
 * Relay fixtures: a simulator upstream (no generated data unless asked: tests publish exact
 * events), a relay in front of it, raw `ws` clients on the relay, and cleanup of all of them.
 */
import WebSocket from 'ws';
import { StreamClient } from '../../src/client/stream-client.js';
import { startRelay, type Relay, type RelayOptions } from '../../src/relay/index.js';
import {
  startSimulator,
  type SimConnection,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import { isStatus, TestClient } from './sim.js';

export const UPSTREAM_KEY = 'upstream-secret-key-42';
export const TOKENS = ['token-a', 'token-b'];

export interface RelayFixture {
  sim: Simulator;
  relay: Relay;
  /** A raw client on the relay, connected (and authenticated with `token` unless null). */
  open(token?: string | null, cluster?: string): Promise<TestClient>;
  /** The simulator's connection from the relay for `cluster`. */
  upstream(cluster?: string): Promise<SimConnection>;
}

export async function withRelay(
  options: { sim?: SimulatorOptions; relay?: Partial<RelayOptions> },
  fn: (f: RelayFixture) => Promise<void>,
): Promise<void> {
  const sim = await startSimulator({ eventsPerSecond: 0, ...options.sim });
  let relay: Relay | undefined;
  const clients: TestClient[] = [];
  try {
    relay = await startRelay({
      key: UPSTREAM_KEY,
      upstreamHost: sim.url,
      tokens: TOKENS,
      upstream: { reconnect: { initialDelayMs: 20, maxDelayMs: 50, maxAttempts: Infinity } },
      ...options.relay,
    });
    const r = relay;
    const open = async (
      token: string | null = TOKENS[0]!,
      cluster = 'stocks',
    ): Promise<TestClient> => {
      const client = new TestClient(
        new WebSocket(`${r.url}/${cluster}`, { perMessageDeflate: false }),
      );
      clients.push(client);
      await client.waitFor(isStatus('connected', 'Connected Successfully'));
      if (token !== null) await client.auth(token);
      return client;
    };
    const upstream = (cluster = 'stocks'): Promise<SimConnection> =>
      sim.waitFor((c) => c.cluster === cluster && c.authenticated);
    await fn({ sim, relay: r, open, upstream });
  } finally {
    for (const c of clients) c.close();
    await relay?.close();
    await sim.close();
  }
}

/** Topics of every subscribe / unsubscribe message a connection received, in order. */
export function sent(conn: SimConnection, action: 'subscribe' | 'unsubscribe'): string[] {
  return conn.received
    .filter((m) => m.action === action)
    .flatMap((m) => m.params.split(','))
    .filter((t) => t.length > 0);
}

export const trade = (sym: string, p: number): object => ({
  ev: 'T',
  sym,
  i: String(p),
  x: 4,
  p,
  s: 100,
  t: 1_700_000_000_000 + p,
  q: p,
  z: 3,
});

export const quote = (sym: string, bp: number): object => ({
  ev: 'Q',
  sym,
  bx: 4,
  bp,
  bs: 1,
  ax: 4,
  ap: bp + 0.01,
  as: 1,
  t: 1_700_000_000_000 + bp,
  q: bp,
  z: 3,
});

/**
 * A StreamClient with `token` on the relay at `host` subscribes to AAPL trades; `publish` (when
 * the test feeds the market itself) runs once it is subscribed. Resolves with the first trade's
 * symbol; the client is closed whatever happens.
 */
export async function firstTrade(
  host: string,
  token: string,
  options: { ws?: Record<string, unknown>; publish?: () => void } = {},
): Promise<string> {
  const client = new StreamClient(token, 'stocks', {
    host,
    ...(options.ws === undefined ? {} : { ws: options.ws }),
    onMessage: () => undefined,
    onError: () => undefined,
    onClose: () => undefined,
  });
  try {
    const got = new Promise<{ sym: string }>((resolve) => client.on('T', resolve));
    await client.startStreamThread();
    await client.subscribeStockTrades(['AAPL']);
    options.publish?.();
    return (await got).sym;
  } finally {
    await client.closeStream();
  }
}
