/**
 * Shared by the Redis reader tests: events in the sink's entry format, written straight to a stream
 * (so a test controls exactly which entries exist), and polling Redis until a condition holds.
 */
import { after, before } from 'node:test';
import { Redis as IORedis, type Cluster, type Redis } from 'ioredis';
import type { WireEvent } from '../../src/protocol/codec.js';
import { decodeEntry } from '../../src/redis/reader/decode-entry.js';
import { requireRedis, startRedis, type RedisServer } from './redis.js';
import { until } from './until.js';

const SYMS = ['AAPL', 'MSFT', 'NVDA'];

/** Trade number `q` (its sequence number), on one of three symbols in turn. */
export function trade(q: number): WireEvent {
  return {
    ev: 'T',
    sym: SYMS[q % SYMS.length],
    x: 4,
    i: String(q),
    p: 100,
    s: 100,
    t: 1e12 + q,
    q,
  };
}

export function trades(from: number, n: number): WireEvent[] {
  return Array.from({ length: n }, (_, k) => trade(from + k));
}

/**
 * XADD each event as one entry of the old format (`ev`, `sym`, `data` = the event), which the
 * reader still reads as a batch of one, in one MULTI; their ids.
 */
export async function writeEvents(
  admin: Redis,
  key: string,
  events: WireEvent[],
): Promise<string[]> {
  const multi = admin.multi();
  for (const e of events) {
    multi.xadd(key, '*', 'ev', String(e.ev), 'sym', String(e['sym']), 'data', JSON.stringify(e));
  }
  const replies = (await multi.exec()) ?? [];
  return replies.map(([err, id]) => {
    if (err) throw err;
    return String(id);
  });
}

/**
 * Every event in `key`, in stream order (each entry decoded as the reader decodes it: entry format
 * v2, a batch of events, or the old one-event format); throws on an entry that is not events.
 */
export async function streamEvents(admin: Redis | Cluster, key: string): Promise<WireEvent[]> {
  const out: WireEvent[] = [];
  for (const [id, fields] of await admin.xrange(key, '-', '+')) {
    const decoded = decodeEntry<WireEvent>(fields);
    if ('poison' in decoded) throw new Error(`entry ${id} of ${key}: ${decoded.poison}`);
    out.push(...decoded.events);
  }
  return out;
}

/** `until` (helpers/until.ts) with what is awaited named first, as the Redis tests read. */
export function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  return until(cond, what, ms);
}

/** The number of entries pending in `group` (XPENDING summary). */
export async function pendingCount(admin: Redis, key: string, group: string): Promise<number> {
  const summary = (await admin.xpending(key, group)) as [number, ...unknown[]];
  return Number(summary[0]);
}

/** A flat field/value list (as XRANGE returns it) as an object. */
export { fieldsObject as fieldsOf } from '../../src/redis/reader/decode-entry.js';

/**
 * A test file's private redis-server (started before its tests, disposed after, skipped with the
 * install hint when redis-server is missing) and an admin connection to it, handed to `use` once
 * started. Also: the tests' options `T`, a signal aborted at the end (give every reader one), and
 * `freshKey()`, a new stream key per call. `options.settings`: redis-server settings (startRedis);
 * `options.skip`: another reason to skip the file's tests (the server is then not started either).
 */
export function privateRedis(
  prefix: string,
  use: (server: RedisServer, admin: Redis) => void,
  options: { settings?: readonly string[]; skip?: string | boolean } = {},
): {
  T: { timeout: number; skip: string | boolean | undefined };
  everything: AbortSignal;
  freshKey: () => string;
} {
  const redis = requireRedis();
  const skip = redis.skip || options.skip;
  const everything = new AbortController();
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  let keySeq = 0;
  before(async () => {
    if (skip) return;
    server = await startRedis(options.settings);
    admin = new IORedis(server.url, { maxRetriesPerRequest: null });
    use(server, admin);
  });
  after(async () => {
    everything.abort();
    admin?.disconnect();
    await server?.dispose();
  });
  return {
    T: { timeout: 30_000, skip },
    everything: everything.signal,
    freshKey: () => `${prefix}:${process.pid}:${++keySeq}`,
  };
}
