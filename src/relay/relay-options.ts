/**
 * The relay's options, their defaults, and their checks: everything is validated before a socket
 * is opened, and an unsafe combination (any token beyond loopback) is refused.
 */
import { isIP } from 'node:net';
import type { BackfillOptions } from '../client/fills/backfill-options.js';
import type { ClientOptions } from '../client/config.js';
import type { StreamClient } from '../client/stream-client.js';
import { CLUSTERS, type Cluster } from '../protocol/streams.js';
import { SERVER_LIMITS } from '../server/protocol-server.js';
import type { SimulatorOptions } from '../simulator/index.js';
import * as v from '../validate.js';

export interface RelayOptions {
  /** Downstream port; default 0 (any free port). */
  port?: number;
  /** Downstream address; default '127.0.0.1'. Anything else serves the feed beyond this machine. */
  bind?: string;
  /** The upstream API key. None: an embedded simulator is relayed. */
  key?: string;
  /** Clusters relayed; default ['stocks']. */
  clusters?: readonly Cluster[];
  /** Tokens downstream clients authenticate with (their `auth` params). */
  tokens?: readonly string[];
  /** Accept any non-empty token (loopback binds only). */
  allowAnyToken?: boolean;
  /** Upstream host name or ws:// URL; default socket.massive.com (the simulator's without a key). */
  upstreamHost?: string;
  /**
   * Fill each upstream gap from the provider's REST history (StreamClient's `backfill`): clients
   * then get the missed events of their per-symbol topics, in order, before the live ones, even
   * when a wildcard carries the topic upstream (every downstream topic goes in `alsoFill`).
   * Default off.
   */
  backfill?: boolean | BackfillOptions;
  /** Further StreamClient options for the upstream connections (reconnect policy, timeouts …). */
  upstream?: Omit<ClientOptions<StreamClient>, 'host' | 'onMessage' | 'onError' | 'onClose'>;
  /** Most authenticated downstream clients at once; default 100. */
  maxClients?: number;
  /**
   * Most connections still authenticating at once; default 128. They never count toward
   * `maxClients`; a new one beyond this closes the oldest of the address holding the most.
   */
  maxUnauthenticated?: number;
  /** Most topics one downstream client may hold; default 1000. */
  maxTopicsPerClient?: number;
  /** A client whose unsent data exceeds this many bytes is cut off (slow_consumer); 4 MiB. */
  maxBufferedBytes?: number;
  /** Largest message an authenticated client may send, bytes; 1 MiB (before auth: 16 KiB). */
  maxMessageBytes?: number;
  /**
   * Different wrong tokens from one address within a minute before its answers are slowed (by a
   * second each, valid tokens included, never refused); default 10.
   */
  maxAuthFailures?: number;
  /** Downstream clients must authenticate within this, ms; default 5000. */
  authTimeoutMs?: number;
  /**
   * Browser origins allowed to connect (`https://desk.example`), or `['*']`. Default none: a
   * request carrying an `Origin` header (every browser's WebSocket) is refused with 403.
   */
  allowOrigins?: readonly string[];
  /**
   * Host names clients may reach the relay by, besides IP addresses, `localhost` and this
   * machine's host name; any other `Host` (DNS rebinding) is refused with 403.
   */
  allowHosts?: readonly string[];
  /** PEM certificate and private key: the relay serves `wss://`. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Options of the embedded simulator (no key). */
  simulator?: SimulatorOptions;
}

export const RELAY_DEFAULTS = {
  port: 0,
  bind: '127.0.0.1',
  clusters: ['stocks'] as readonly Cluster[],
  maxClients: 100,
  maxUnauthenticated: SERVER_LIMITS.maxUnauthenticated,
  maxTopicsPerClient: 1000,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxMessageBytes: SERVER_LIMITS.maxMessageBytes,
  maxAuthFailures: 10,
  authFailureWindowMs: 60_000,
  authSlowdownMs: 1_000,
  authTimeoutMs: 5_000,
};

/** What the checks made of the options. */
export interface CheckedRelayOptions {
  clusters: readonly Cluster[];
  tokens: string[] | 'any';
}

/** Loopback addresses: the only ones `allowAnyToken` may listen on. */
export function isLoopback(address: string): boolean {
  if (address === 'localhost' || address === '::1') return true;
  return isIP(address) === 4 && address.startsWith('127.');
}

const where = 'startRelay';

export function checkRelayOptions(given: RelayOptions): CheckedRelayOptions {
  const o = v.plainObject<RelayOptions>(where, 'options', given);
  const bind = v.optional(o.bind, RELAY_DEFAULTS.bind, (x) => v.string(where, 'bind', x));
  if (bind === '') throw v.invalidOption(where, 'bind', 'an address to listen on', bind);
  if (o.key !== undefined && (typeof o.key !== 'string' || o.key.trim() === '')) {
    throw v.invalidOption(
      where,
      'key',
      'a non-empty string (or left out to relay the simulator)',
      o.key,
    );
  }
  const clusters = o.clusters ?? RELAY_DEFAULTS.clusters;
  if (!Array.isArray(clusters) || clusters.length === 0) {
    throw v.invalidOption(where, 'clusters', `some of ${CLUSTERS.join(', ')}`, clusters);
  }
  for (const c of clusters) v.oneOf(where, 'clusters', c, CLUSTERS);
  checkLimits(o);
  checkBrowserAccess(o);
  if (o.tls !== undefined) checkTls(o.tls);
  if (o.allowAnyToken !== undefined) v.boolean(where, 'allowAnyToken', o.allowAnyToken);
  if (o.allowAnyToken === true) {
    if (o.tokens !== undefined) {
      throw v.invalidOption(where, 'tokens', 'left out when allowAnyToken is true', o.tokens);
    }
    if (!isLoopback(bind)) {
      throw v.invalidOption(
        where,
        'allowAnyToken',
        `false on ${bind} (any token would serve the feed to anyone who can reach it; give tokens)`,
        true,
      );
    }
    return { clusters: [...new Set(clusters)], tokens: 'any' };
  }
  const tokens = o.tokens;
  const valid = (t: unknown): boolean => typeof t === 'string' && t.length > 0 && !t.includes(',');
  if (!Array.isArray(tokens) || tokens.length === 0 || !tokens.every(valid)) {
    throw v.invalidOption(
      where,
      'tokens',
      'the non-empty strings downstream clients authenticate with (or allowAnyToken: true)',
      tokens,
    );
  }
  if (o.key !== undefined && tokens.includes(o.key)) {
    throw v.invalidOption(where, 'tokens', 'tokens other than the upstream key', '(the key)');
  }
  return { clusters: [...new Set(clusters)], tokens: [...tokens] };
}

function checkLimits(o: RelayOptions): void {
  if (o.port !== undefined) v.integer(where, 'port', o.port, { max: 65_535 });
  for (const name of [
    'maxClients',
    'maxUnauthenticated',
    'maxTopicsPerClient',
    'maxBufferedBytes',
    'maxMessageBytes',
    'maxAuthFailures',
  ] as const) {
    if (o[name] !== undefined) v.integer(where, name, o[name], { min: 1 });
  }
  if (o.authTimeoutMs !== undefined) {
    v.duration(where, 'authTimeoutMs', o.authTimeoutMs, { min: 1 });
  }
}

function checkBrowserAccess(o: RelayOptions): void {
  const names = (name: 'allowOrigins' | 'allowHosts', what: string, ok: RegExp): void => {
    const list = o[name];
    if (list === undefined) return;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && ok.test(x.trim()))) {
      throw v.invalidOption(where, name, what, list);
    }
  };
  names(
    'allowOrigins',
    "origins such as 'https://desk.example:3000' (scheme://host[:port]), or '*'",
    /^(\*|[a-z][a-z0-9+.-]*:\/\/[^/\s]+\/?)$/i,
  );
  names('allowHosts', "host names such as 'relay.desk.example'", /^[^\s/:]+$/);
}

function checkTls(tls: unknown): void {
  const pem = (x: unknown): boolean =>
    (typeof x === 'string' || Buffer.isBuffer(x)) && x.toString().includes('-----BEGIN');
  const t = tls as { cert?: unknown; key?: unknown };
  if (typeof tls !== 'object' || tls === null || !pem(t.cert) || !pem(t.key)) {
    throw v.invalidOption(
      where,
      'tls',
      '{ cert, key }: a PEM certificate (chain) and its PEM private key, as strings or Buffers',
      '(not PEM)',
    );
  }
}
