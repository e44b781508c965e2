/**
 * Runtime checks of an event's `ev` against the stream table: which `ev` values a cluster
 * delivers, and type guards that narrow a `StreamEvent` to the typed events of events.ts.
 */
import type { ClusterEvent, StatusEvent } from './events.js';
import { STREAMS, type Cluster } from './streams.js';

const KNOWN_EVS: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const byCluster = new Map<string, Set<string>>();
  for (const s of STREAMS) {
    let evs = byCluster.get(s.cluster);
    if (!evs) byCluster.set(s.cluster, (evs = new Set(['status'])));
    evs.add(s.ev);
  }
  return byCluster;
})();

/** The `ev` values STREAMS declares on a cluster, plus `'status'`; empty for an unknown cluster. */
export function knownEvs(cluster: string): ReadonlySet<string> {
  return KNOWN_EVS.get(cluster) ?? new Set();
}

/**
 * True when `event.ev` is a known ev on `cluster`: narrows a `StreamEvent<C>` (or a raw
 * `WireEvent`) to the discriminated `ClusterEvent<C>`, so `switch (event.ev)` types each case.
 * Trusts the server for the fields; it does not validate them.
 */
export function isKnownEvent<C extends Cluster>(
  cluster: C,
  event: { readonly ev: string },
): event is ClusterEvent<C> {
  return KNOWN_EVS.get(cluster)?.has(event.ev) === true;
}

/** True for a status event. */
export function isStatusEvent(event: { readonly ev: string }): event is StatusEvent {
  return event.ev === 'status';
}
