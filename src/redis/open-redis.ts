/**
 * Opening ioredis connections for the sink and the reader: fail fast at start (REDIS_UNAVAILABLE,
 * URL without its password), then let ioredis reconnect for as long as the owner keeps it open.
 * ioredis is an optional peer dependency, loaded on the first connect: a user who never touches
 * Redis never installs or loads it, and one who does without it gets MISSING_DEPENDENCY.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { ErrorCode, PolygonStreamError } from '../errors.js';
import { redactUrlPassword } from '../redact.js';
import { invalidOption } from '../validate.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Reconnect delays grow by 100 ms per attempt up to this cap. */
const MAX_RECONNECT_DELAY_MS = 1_000;

/** Throws INVALID_OPTION unless `url` is a redis:// or rediss:// URL (quoted without its password). */
export function checkRedisUrl(url: unknown, what: string): asserts url is string {
  let ok = false;
  if (typeof url === 'string') {
    try {
      const { protocol } = new URL(url);
      ok = protocol === 'redis:' || protocol === 'rediss:';
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    const shown = typeof url === 'string' ? redactUrlPassword(url) : url;
    throw invalidOption(what, 'url', 'a redis:// or rediss:// URL', shown);
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
export async function openRedis(url: string, opts: OpenOptions): Promise<Redis> {
  const { Redis } = await loadIoredis();
  let everReady = false;
  const queue: RedisOptions =
    opts.queueing === 'none'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false }
      : {
          enableOfflineQueue: true,
          maxRetriesPerRequest: null,
          autoResendUnfulfilledCommands: true,
        };
  const client = new Redis(url, {
    ...queue,
    lazyConnect: true,
    connectionName: opts.name,
    connectTimeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    retryStrategy: (times: number) =>
      everReady ? Math.min(times * 100, MAX_RECONNECT_DELAY_MS) : null,
  });
  let firstError: Error | undefined;
  client.on('error', (err: Error) => {
    firstError ??= err;
    if (everReady) opts.onError?.(err);
  });
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

type IoredisModule = { Redis: typeof import('ioredis').Redis };
let ioredis: Promise<IoredisModule> | undefined;

/** `import('ioredis')`, once; MISSING_DEPENDENCY naming the package when it is not installed. */
function loadIoredis(): Promise<IoredisModule> {
  const loading = (ioredis ??= import('ioredis').then(
    (m) => ({ Redis: m.Redis }),
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

/** Close politely when connected, at once otherwise. Never throws. */
export async function closeRedis(client: Redis): Promise<void> {
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
