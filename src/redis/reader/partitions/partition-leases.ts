/**
 * The leases by which one consumer of a group at a time owns a partition stream, and the heartbeats
 * by which the group's consumers share the partitions (partition-balance.ts decides who takes
 * what).
 *
 * A lease is the key `{K:p}:owner:<group>` holding the owner's name, taken with
 * `SET … NX PX leaseMs` and renewed every leaseMs / 3 by a check-and-set script (PEXPIRE only if the
 * value is still this consumer). A consumer counts a lease as held until `leaseMs` after it sent
 * the command that took or renewed it, less a sixth of the lease as a margin: Redis's own expiry
 * is later than that, so while `holds(p)` is true no other consumer can have taken the partition.
 * A consumer that cannot renew in time (Redis away, the process stalled) loses the partition: the
 * reader stops handing out its entries.
 *
 * Heartbeats: every tick a consumer stamps its name with Redis's clock in `{K}:consumers:<group>`
 * (a sorted set), records how many partitions it owns in `{K}:owned:<group>`, and removes consumers
 * whose stamp is older than leaseMs (dead: their leases have expired or are about to).
 */
import type { RedisConnection as Redis } from '../../open-redis.js';
import { consumerKeysOf, leaseKeyOf, partitionKey } from '../../partition-keys.js';
import { balance } from './partition-balance.js';

/** KEYS: lease; ARGV: consumer, leaseMs. 1 when renewed. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** KEYS: lease; ARGV: consumer. 1 when released. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

/**
 * KEYS: live (sorted set), owned (hash); ARGV: consumer, partitions owned, leaseMs, leaving (1/0).
 * Reply: the live consumers and their counts, flat (name, count, …).
 */
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
if ARGV[4] == '1' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  return {}
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
for _, c in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - ttl)) do
  redis.call('ZREM', KEYS[1], c)
  redis.call('HDEL', KEYS[2], c)
end
redis.call('PEXPIRE', KEYS[1], ttl * 10)
redis.call('PEXPIRE', KEYS[2], ttl * 10)
return redis.call('HGETALL', KEYS[2])
`;

export interface LeaseSettings {
  key: string;
  group: string;
  consumer: string;
  partitions: number;
  leaseMs: number;
}

export class PartitionLeases {
  readonly #s: LeaseSettings;
  readonly #cmd: Redis;
  /**
   * Owned partition → until when (Date.now() ms) it counts as held, and which taking of it this
   * is (a partition lost and taken again is a new ownership); in the order taken.
   */
  readonly #held = new Map<number, { until: number; taking: number }>();
  #takings = 0;
  /** Owned partitions to hand back once their current batch is acknowledged. */
  readonly #releasing = new Set<number>();
  readonly #onTaken: (p: number, taking: number) => void;
  #ticking: Promise<void> | undefined;

  constructor(cmd: Redis, settings: LeaseSettings, onTaken: (p: number, taking: number) => void) {
    this.#cmd = cmd;
    this.#s = settings;
    this.#onTaken = onTaken;
  }

  /** The partitions this consumer owns, in the order it took them. */
  owned(): number[] {
    return [...this.#held.keys()];
  }

  /**
   * Owned (by the given taking of it, when given) and its lease surely still this consumer's: no
   * other consumer can have taken it.
   */
  holds(p: number, taking?: number): boolean {
    const held = this.#held.get(p);
    if (held === undefined || (taking !== undefined && held.taking !== taking)) return false;
    return Date.now() < held.until;
  }

  /** Owned but to be released: hand back once the current batch is acknowledged. */
  releasing(p: number): boolean {
    return this.#releasing.has(p);
  }

  /** The lease key of partition p. */
  leaseKey(p: number): string {
    return leaseKeyOf(this.streamKey(p), this.#s.group);
  }

  streamKey(p: number): string {
    return partitionKey(this.#s.key, p, this.#s.partitions);
  }

  /** Forget a partition whose lease is no longer this consumer's (that taking of it, if given). */
  lost(p: number, taking?: number): void {
    if (taking !== undefined && this.#held.get(p)?.taking !== taking) return;
    this.#held.delete(p);
    this.#releasing.delete(p);
  }

  /** Hand a partition back (DEL its lease if still this consumer's). */
  async release(p: number): Promise<void> {
    this.lost(p);
    await this.#cmd.eval(RELEASE, 1, this.leaseKey(p), this.#s.consumer);
  }

  /** One turn: heartbeat, renew what is held, then release or take partitions to balance. */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const { consumer, leaseMs, partitions } = this.#s;
    // A renewal that fails (Redis away) leaves that lease to run out here.
    await Promise.allSettled(this.owned().map((p) => this.#renew(p)));
    const live = await this.#heartbeat(false);
    const plan = balance({
      partitions,
      me: consumer,
      owned: this.owned().filter((p) => !this.#releasing.has(p)),
      live,
    });
    for (const p of plan.release) this.#releasing.add(p);
    let want = plan.want;
    for (const p of plan.candidates) {
      if (want <= 0) break;
      if (this.#held.has(p)) continue;
      const sent = Date.now();
      const ok = await this.#cmd.set(this.leaseKey(p), consumer, 'PX', leaseMs, 'NX');
      if (ok !== 'OK') continue;
      const taking = ++this.#takings;
      this.#held.set(p, { until: this.#until(sent), taking });
      want--;
      this.#onTaken(p, taking);
    }
  }

  async #renew(p: number): Promise<void> {
    const sent = Date.now();
    const renewed = await this.#cmd.eval(
      RENEW,
      1,
      this.leaseKey(p),
      this.#s.consumer,
      String(this.#s.leaseMs),
    );
    const held = this.#held.get(p);
    if (held === undefined) return;
    if (renewed === 1) held.until = this.#until(sent);
    else this.lost(p);
  }

  #until(sent: number): number {
    return sent + this.#s.leaseMs - Math.ceil(this.#s.leaseMs / 6);
  }

  async #heartbeat(leaving: boolean): Promise<Map<string, number>> {
    const keys = consumerKeysOf(this.#s.key, this.#s.group);
    const reply = (await this.#cmd.eval(
      HEARTBEAT,
      2,
      keys.live,
      keys.owned,
      this.#s.consumer,
      String(this.#held.size),
      String(this.#s.leaseMs),
      leaving ? '1' : '0',
    )) as string[];
    const live = new Map<string, number>();
    for (let i = 0; i + 1 < reply.length; i += 2) live.set(reply[i]!, Number(reply[i + 1]));
    return live;
  }

  /** Leave the group: release every lease still held and remove the heartbeat. */
  async leave(): Promise<void> {
    await this.#ticking?.catch(() => undefined);
    await Promise.all(this.owned().map((p) => this.release(p)));
    await this.#heartbeat(true);
  }
}
