/**
 * The provider's WebSocket hosts: one table of every host name its docs and official clients
 * name, each in both families (`*.massive.com`, current, and `*.polygon.io`, legacy; every name
 * exists in both), with what each serves as far as the provider's docs and clients say
 * (../shared/protocol/FUTURES-AND-HOSTS.md §3). Clients build `wss://HOST/CLUSTER` with the same
 * cluster names on every host. The table only informs: any host name or ws:// URL is accepted,
 * and a host that (as far as the table knows) does not serve a cluster gets a warning, never a
 * refusal. Where the sources say nothing for sure, a row takes the tolerant reading (serve more,
 * warn less) and says *unconfirmed*.
 */
import type { Cluster, Feed } from './streams.js';

/** The two domains every provider host name exists under. */
export const HOST_FAMILIES = {
  /** Current (the provider's own clients use it since the Massive rebrand, Oct 2025). */
  massive: 'massive.com',
  /** Legacy (still answers; the provider's Aug 2025 PR tests still used it). */
  polygon: 'polygon.io',
} as const;
export type HostFamily = keyof typeof HOST_FAMILIES;

/**
 * Named hosts, for `{ host: Host.Delayed }`. The unprefixed names are the current family
 * (`socket.massive.com` is the default); `Polygon…` names the legacy one. Every other host of
 * the table: by name (`'iex-business.massive.com'`, or short, `'iex-business'`).
 */
export const Host = {
  RealTime: 'socket.massive.com',
  Delayed: 'delayed.massive.com',
  Business: 'business.massive.com',
  Launchpad: 'launchpad.massive.com',
  MassiveRealTime: 'socket.massive.com',
  MassiveDelayed: 'delayed.massive.com',
  MassiveBusiness: 'business.massive.com',
  MassiveLaunchpad: 'launchpad.massive.com',
  PolygonRealTime: 'socket.polygon.io',
  PolygonDelayed: 'delayed.polygon.io',
  PolygonBusiness: 'business.polygon.io',
  PolygonLaunchpad: 'launchpad.polygon.io',
} as const;
export type Host = (typeof Host)[keyof typeof Host];

/** The host a client connects to when given none: what the provider's own clients use. */
export const DEFAULT_HOST: Host = Host.RealTime;

export interface HostSpec {
  /** Short name: the first label (`delayed-business`). */
  readonly name: string;
  /**
   * The clusters it serves as far as the sources say (the tolerant reading where unconfirmed), or
   * 'any' when nothing is known (no warning for any cluster).
   */
  readonly clusters: readonly Cluster[] | 'any';
  /** Real-time, or delayed (by `delayMinutes`). */
  readonly timing: 'real-time' | 'delayed';
  /** Which stream feed of the stream table it carries (business: FMV; launchpad: AM, LV). */
  readonly feed: Feed;
  /** Who it is for. */
  readonly audience: string;
  /** What of this row no source states (empty: all of it is in the docs or clients). */
  readonly unconfirmed: string;
}

const STOCKS: readonly Cluster[] = ['stocks'];
const FUTURES: readonly Cluster[] = [
  'futures',
  'futures/cme',
  'futures/cbot',
  'futures/nymex',
  'futures/comex',
];
const ALL: readonly Cluster[] = ['stocks', 'options', 'forex', 'crypto', 'indices', ...FUTURES];

const row = (
  name: string,
  clusters: HostSpec['clusters'],
  timing: HostSpec['timing'],
  audience: string,
  unconfirmed = '',
  feed: Feed = 'market',
): HostSpec => Object.freeze({ name, clusters, timing, feed, audience, unconfirmed });

/** One row per host name; the same rows for both families. */
// prettier-ignore
export const HOSTS: readonly HostSpec[] = Object.freeze([
  // Docs connection tables: stocks, options, forex, crypto, indices, futures. The per-exchange
  // futures paths are for Business plans; on this host they are unconfirmed, kept (tolerant).
  row('socket', ALL, 'real-time', 'individual plans with real-time data', 'per-exchange futures paths'),
  // Docs: stocks, options, indices 15 minutes late, futures 10. Forex and crypto pages list no
  // delayed URL (those plans are real-time), so they warn. Per-exchange futures: unconfirmed, kept.
  row('delayed', ['stocks', 'options', 'indices', ...FUTURES], 'delayed', 'plans with delayed data (Starter, Developer)', 'per-exchange futures paths'),
  // websocket.json /launchpad/* paths: AM and LV on stocks, options, forex, crypto (not indices
  // nor futures). Real-time as far as known (the spec allows delayed).
  row('launchpad', ['stocks', 'options', 'forex', 'crypto'], 'real-time', 'the Launchpad product', 'real-time or delayed', 'launchpad'),
  // /business/* paths: FMV on stocks, options, forex, crypto; indices FMV only in a JS client PR
  // and futures (all or per exchange) on this host only in a beta test: both unconfirmed, kept.
  row('business', ALL, 'real-time', 'Business plans (FMV; futures per exchange)', 'indices, futures', 'business'),
  // Only a name in the Python/Go clients: taken to serve as business does, delayed.
  row('delayed-business', ALL, 'delayed', 'Business plans, delayed', 'clusters, delay', 'business'),
  // The next four are names only in the Python/Go Feed enums; no doc describes them. Nothing is
  // known of their clusters, so no cluster warns.
  row('nasdaqfeed', 'any', 'real-time', 'unknown (a Nasdaq feed by name)', 'clusters, timing, audience'),
  row('polyfeed', 'any', 'real-time', 'unknown', 'clusters, timing, audience'),
  row('polyfeedplus', 'any', 'real-time', 'unknown', 'clusters, timing, audience'),
  row('starterfeed', 'any', 'real-time', 'unknown (Starter plans by name)', 'clusters, timing, audience'),
  // Single-venue and full-market equity feeds of Business plans (by name, Python Feed enum):
  // stocks only as far as their names tell.
  row('edgx-business', STOCKS, 'real-time', 'Business, Cboe EDGX only', 'clusters (stocks by name)'),
  row('delayed-edgx-business', STOCKS, 'delayed', 'Business, Cboe EDGX only', 'clusters (stocks by name), delay'),
  row('iex-business', STOCKS, 'real-time', 'Business, IEX only (added Feb 2025)', 'clusters (stocks by name), timing'),
  row('nasdaq-last-sale-business', STOCKS, 'real-time', 'Business, Nasdaq Last Sale', 'clusters (stocks by name)'),
  row('delayed-nasdaq-last-sale-business', STOCKS, 'delayed', 'Business, Nasdaq Last Sale', 'clusters (stocks by name), delay'),
  row('nasdaq-basic-business', STOCKS, 'real-time', 'Business, Nasdaq Basic', 'clusters (stocks by name)'),
  row('delayed-nasdaq-basic-business', STOCKS, 'delayed', 'Business, Nasdaq Basic', 'clusters (stocks by name), delay'),
  row('fullmarket-business', STOCKS, 'real-time', 'Business, full market', 'clusters (stocks by name)'),
  row('delayed-fullmarket-business', STOCKS, 'delayed', 'Business, full market', 'clusters (stocks by name), delay'),
]);

/** Every short host name, in table order. */
export const HOST_NAMES: readonly string[] = HOSTS.map((h) => h.name);

/** A host's full names: `[massive, polygon]`. */
export function hostNames(spec: HostSpec): [string, string] {
  return [`${spec.name}.${HOST_FAMILIES.massive}`, `${spec.name}.${HOST_FAMILIES.polygon}`];
}

/** A known host, by its full name. */
export interface KnownHost {
  readonly spec: HostSpec;
  readonly family: HostFamily;
  /** `name.family-domain`, lower case. */
  readonly hostname: string;
}

const BY_NAME = new Map<string, KnownHost>(
  HOSTS.flatMap((spec) =>
    (Object.keys(HOST_FAMILIES) as HostFamily[]).map((family): [string, KnownHost] => {
      const hostname = `${spec.name}.${HOST_FAMILIES[family]}`;
      return [hostname, Object.freeze({ spec, family, hostname })];
    }),
  ),
);

/**
 * The table's row for a host name (any case, a trailing dot allowed), or undefined for any other
 * host (the simulator, a relay, a proxy). Takes the hostname only: no port, no scheme.
 */
export function lookupHost(hostname: string): KnownHost | undefined {
  return BY_NAME.get(hostname.toLowerCase().replace(/\.$/, ''));
}

/**
 * A short name of the table (`delayed`, `iex-business`; any case) as its current full name
 * (`delayed.massive.com`); anything else unchanged.
 */
export function expandShortName(host: string): string {
  const short = host.toLowerCase();
  return HOST_NAMES.includes(short) ? `${short}.${HOST_FAMILIES.massive}` : host;
}

/** Whether the table says a host serves a cluster (true for 'any' and for unknown hosts). */
export function hostServes(spec: HostSpec, cluster: Cluster): boolean {
  return spec.clusters === 'any' || spec.clusters.includes(cluster);
}

/**
 * How late a delayed host's data is for a cluster, minutes (0 for a real-time host): futures 10,
 * every other cluster 15, per the docs for `delayed`. For the delayed Business hosts the same
 * figures are assumed (*unconfirmed*).
 */
export function delayMinutes(spec: HostSpec, cluster: Cluster): number {
  if (spec.timing === 'real-time') return 0;
  return cluster.startsWith('futures') ? 10 : 15;
}

/**
 * The warning for a client of `cluster` on `wsUrl`'s host when the table says that host does not
 * serve the cluster; undefined when it does, when the table has no say, or for a host it does not
 * know (the simulator, a relay, a proxy).
 */
export function hostWarning(wsUrl: string, cluster: Cluster): string | undefined {
  let hostname: string;
  try {
    hostname = new URL(wsUrl).hostname;
  } catch {
    return undefined;
  }
  const known = lookupHost(hostname);
  if (!known || hostServes(known.spec, cluster)) return undefined;
  const { spec } = known;
  const serves = spec.clusters === 'any' ? 'any' : spec.clusters.join(', ');
  const doubt = spec.unconfirmed === '' ? '' : ` (unconfirmed: ${spec.unconfirmed})`;
  return (
    `host ${known.hostname} does not serve the ${cluster} cluster as far as polygon-stream knows: ` +
    `it serves ${serves}${doubt}. Connecting anyway; if the server refuses, see the host table in the README.`
  );
}
