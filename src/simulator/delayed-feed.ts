/**
 * Delayed feeds, as the provider's delayed hosts serve them (10 minutes for futures, 15 for
 * stocks, options and indices): the simulator's `delayedMs` option names clusters whose generated
 * events reach clients a fixed time late. The tape itself (and with it REST history and
 * `sim.history`) is not delayed; only what the cluster's connections receive. A batch generated
 * at tick time `now` is held until `now + delayMs`, so every event arrives at least `delayMs`
 * after its `t` (bars: after their end) and at most one tick (plus timer lateness) later. Events
 * given to `sim.publish` are not delayed.
 */
import type { WireEvent } from '../protocol/codec.js';
import { CLUSTERS, isFuturesCluster, type Cluster } from '../protocol/streams.js';
import { duration, invalidOption, plainObject } from '../validate.js';

/** Delay by cluster, ms; `futures` also covers the exchange paths that have no entry of their own. */
export type DelayedFeeds = Partial<Record<Cluster, number>>;

/** Check the `delayedMs` option: cluster names to delays (ms, 0 = real time). */
export function checkDelayedFeeds(where: string, value: unknown): DelayedFeeds {
  const given = plainObject<Record<string, unknown>>(where, 'delayedMs', value);
  for (const [cluster, ms] of Object.entries(given)) {
    if (!(CLUSTERS as readonly string[]).includes(cluster)) {
      throw invalidOption(where, 'delayedMs', `keys among ${CLUSTERS.join(', ')}`, cluster);
    }
    duration(where, `delayedMs.${cluster}`, ms, { min: 0 });
  }
  return given as DelayedFeeds;
}

/** The delay of a cluster's feed (0: real time). */
export function delayOf(feeds: DelayedFeeds, cluster: Cluster): number {
  return feeds[cluster] ?? (isFuturesCluster(cluster) ? (feeds.futures ?? 0) : 0);
}

interface Held {
  readonly due: number;
  readonly cluster: Cluster;
  readonly events: readonly WireEvent[];
}

/** Batches held for their delay, released in order (the delay of a cluster is fixed). */
export class DelayedFeed {
  private held: Held[] = [];

  constructor(private readonly feeds: DelayedFeeds) {}

  /** Whether the batch is held (the cluster's feed is delayed); false: send it now. */
  hold(cluster: Cluster, events: readonly WireEvent[], now: number): boolean {
    const ms = delayOf(this.feeds, cluster);
    if (ms <= 0) return false;
    this.held.push({ due: now + ms, cluster, events });
    return true;
  }

  /** The held batches due by `now`, in the order they were held. */
  due(now: number): Held[] {
    if (this.held.length === 0 || this.held.every((h) => h.due > now)) return [];
    const out = this.held.filter((h) => h.due <= now);
    this.held = this.held.filter((h) => h.due > now);
    return out;
  }
}
