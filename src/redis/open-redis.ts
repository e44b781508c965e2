/**
 * Opening ioredis connections for the sink and the reader: fail fast at start (REDIS_UNAVAILABLE,
 * URL without its password), then let ioredis reconnect for as long as the owner keeps it open.
 * A `redis+cluster://` URL (cluster-url.ts) opens an ioredis Cluster with the same settings for
 * every node connection; each node connection reconnects on its own, as a single server's does.
 * ioredis is an optional peer dependency, loaded on the first connect: a user who never touches
 * Redis never installs or loads it, and one who does without it gets MISSING_DEPENDENCY.
 */
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { ErrorCode, PolygonStreamError } from '../errors.js';
import { redactUrlPassword } from '../redact.js';
import { invalidOption } from '../validate.js';
import { isClusterUrl, parseClusterUrl } from './cluster-url.js';

/** One Redis server or a Redis Cluster: the commands the sink and the reader use exist on both. */
export type RedisConnection = Redis | Cluster;

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Reconnect delays grow by 100 ms per attempt up to this cap. */
const MAX_RECONNECT_DELAY_MS = 1_000;

const URL_FORMS = 'a redis:// or rediss:// URL, or redis+cluster://host:port[,host:port…]';

/**
 * Throws INVALID_OPTION unless `url` is a redis:// or rediss:// URL or a well-formed
 * redis+cluster:// one (quoted without its password; for a malformed cluster URL, saying what is
 * wrong with it).
 */
export function checkRedisUrl(url: unknown, what: string): asserts url is string {
  let ok = false;
  let why = '';
  if (typeof url === 'string' && isClusterUrl(url)) {
    const parsed = parseClusterUrl(url);
    ok = typeof parsed !== 'string';
    if (typeof parsed === 'string') why = `; ${parsed}`;
  } else if (typeof url === 'string') {
    try {
      const { protocol } = new URL(url);
      ok = protocol === 'redis:' || protocol === 'rediss:';
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    const shown = typeof url === 'string' ? redactUrlPassword(url) : url;
    throw invalidOption(what, 'url', URL_FORMS + why, shown);
  }
}

interface OpenOptions {
  /** CLIENT SETNAME, visible in CLIENT LIST. */
  name: string;
  connectTimeoutMs?: number;
  /**
   * ioredis queueing. The sink wants none (it owns a bounded buffer): commands fail at once while
   * disconnected and in-flight ones are rejected on close instead of being resent. The reader keeps
   * ioredis' defaults, so its commands wait through an outage.
   */
  queueing: 'none' | 'wait';
  /** Called for every ioredis 'error' event (connection refused while reconnecting, …). */
  onError?: (err: Error) => void;
}

/**
 * Connect, or reject with REDIS_UNAVAILABLE when Redis does not answer (no retries before the first
 * success; afterwards ioredis reconnects until `quit()`/`disconnect()`).
 */
export async function openRedis(url: string, opts: OpenOptions): Promise<RedisConnection> {
  const ioredis = await loadIoredis();
  let everReady = false;
  const reconnect = (times: number): number | null =>
    everReady ? Math.min(times * 100, MAX_RECONNECT_DELAY_MS) : null;
  const queue =
    opts.queueing === 'none'
      ? { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false }
      : { maxRetriesPerRequest: null, autoResendUnfulfilledCommands: true };
  const common = {
    ...queue,
    connectionName: opts.name,
    connectTimeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
  const client = isClusterUrl(url)
    ? newCluster(ioredis, url, common, opts.queueing === 'wait', reconnect)
    : new ioredis.Redis(url, {
        ...common,
        enableOfflineQueue: opts.queueing === 'wait',
        lazyConnect: true,
        retryStrategy: reconnect,
      });
  let firstError: Error | undefined;
  const onError = (err: Error): void => {
    firstError ??= err;
    if (everReady) opts.onError?.(err);
  };
  client.on('error', onError);
  if (client.isCluster) {
    // A Cluster's node connections report their errors apart from its own: pass on the first of
    // each outage of a node (a node down retries, and fails, every second).
    eachNode(client as Cluster, (node) => {
      let down = false;
      node.on('error', (err: Error) => {
        if (!down) onError(err);
        down = true;
      });
      node.on('ready', () => {
        down = false;
      });
    });
  }
  client.once('ready', () => {
    everReady = true;
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    const cause = firstError ?? err;
    const reason = cause instanceof Error ? cause.message : String(cause);
    const shown = redactUrlPassword(url);
    throw new PolygonStreamError(
      ErrorCode.RedisUnavailable,
      `Redis is not reachable at ${shown}: ${reason}`,
      { url: shown },
      { cause },
    );
  }
  return client;
}

/**
 * An ioredis Cluster on the URL's seed nodes. Every node connection gets the single-server settings
 * (name, timeout, queueing) and reconnects on its own once the cluster was ready, so a node that
 * restarts is rejoined where its slots are, and (with `wait`) commands for its slots wait for it.
 * `wait` also lets commands wait through CLUSTERDOWN (a restarted node says so until it has
 * heard from the others) for as long as it lasts, as they wait through a single server's outage.
 */
function newCluster(
  ioredis: IoredisModule,
  url: string,
  common: RedisOptions,
  wait: boolean,
  reconnect: (times: number) => number | null,
): Cluster {
  const parsed = parseClusterUrl(url);
  if (typeof parsed === 'string') {
    throw invalidOption('openRedis', 'url', URL_FORMS, redactUrlPassword(url));
  }
  const { nodes, username, password } = parsed;
  const options: ClusterOptions = {
    lazyConnect: true,
    enableOfflineQueue: wait,
    clusterRetryStrategy: reconnect,
    clusterNodeRetryStrategy: reconnect,
    redisOptions: { ...common, ...(username && { username }), ...(password && { password }) },
    ...(wait && { maxRedirections: Infinity }),
  };
  return new ioredis.Cluster(nodes, options);
}

type IoredisModule = {
  Redis: typeof import('ioredis').Redis;
  Cluster: typeof import('ioredis').Cluster;
};
let ioredis: Promise<IoredisModule> | undefined;

/** `import('ioredis')`, once; MISSING_DEPENDENCY naming the package when it is not installed. */
function loadIoredis(): Promise<IoredisModule> {
  const loading = (ioredis ??= import('ioredis').then(
    (m) => ({ Redis: m.Redis, Cluster: m.Cluster }),
    (err: unknown) => {
      ioredis = undefined;
      throw new PolygonStreamError(
        ErrorCode.MissingDependency,
        "The Redis fan-out needs the 'ioredis' package, an optional peer dependency of polygon-stream: npm install ioredis",
        { package: 'ioredis' },
        { cause: err },
      );
    },
  ));
  return loading;
}

/**
 * A Cluster's node connections: `listener` runs whenever one closes (the node may come back as a
 * server that lost its data). A single server's connection reports that as its own 'close'.
 */
export function onNodeClose(client: RedisConnection, listener: () => void): void {
  if (client.isCluster) eachNode(client as Cluster, (node) => node.on('close', listener));
}

/** `watch` each node connection of the cluster once: those there now and those added later. */
function eachNode(cluster: Cluster, watch: (node: Redis) => void): void {
  const watched = new WeakSet<Redis>();
  const once = (node: Redis): void => {
    if (watched.has(node)) return;
    watched.add(node);
    watch(node);
  };
  for (const node of cluster.nodes('all')) once(node);
  cluster.on('+node', once);
}

/** Close politely when connected, at once otherwise. Never throws. */
export async function closeRedis(client: RedisConnection): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through to disconnect
    }
  }
  client.disconnect();
}

/** Connection-level failures (retry later) vs replies where Redis refused the command. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  if (err.name !== 'ReplyError') return true;
  return /^(LOADING|BUSY|TRYAGAIN|READONLY|MASTERDOWN|CLUSTERDOWN)\b/.test(err.message);
}
