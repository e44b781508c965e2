/**
 * Subscribing with `from` (the call's own, else the client's `start`): the topics' history fills
 * are started before the subscribe is sent, so their first live events are held until the
 * history before them is delivered. A call's own `from` throws NO_HISTORY for a topic without
 * history (wildcards, streams the provider keeps none of) and INVALID_OPTION for a topic already
 * subscribed; under `start` those are subscribed live only, each with an `unfilled` caughtUp
 * (already subscribed: none). A subscription refused stops its topics' fills (`unfilled`); a
 * topic that stays in the set (a subscribe timed out) keeps its fill. With `snapshot` (never
 * with a `from`), each topic's latest state is asked of REST as the subscribe is sent
 * (snapshot.ts).
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import type { ConnectionState } from '../connection/connection.js';
import type { FromFills } from '../fills/from-fills.js';
import type { Snapshots } from '../fills/snapshot.js';
import type { SubscribeConfig } from './subscribe-options.js';
import type { SubscriptionRequests } from './subscription-requests.js';
import type { SubscriptionResult, SubscriptionStore } from './subscription-store.js';

export interface SubscribeFromParts {
  /** The client's `start` (Unix ms), if it has one. */
  readonly start: number | undefined;
  readonly state: ConnectionState;
  readonly store: SubscriptionStore;
  readonly requests: SubscriptionRequests;
  readonly fills: FromFills;
  readonly snapshots: Snapshots;
}

/**
 * Subscribe `topics`: history first from the call's `from` or the client's `start`, or each
 * topic's snapshot first.
 */
export function subscribeFrom(
  parts: SubscribeFromParts,
  topics: string[],
  options: SubscribeConfig,
): Promise<SubscriptionResult> {
  const { state, store, requests, fills, snapshots } = parts;
  const own = options.from;
  const from = own ?? parts.start;
  if (options.snapshot) {
    if (from !== undefined) {
      throw new PolygonStreamError(
        ErrorCode.InvalidOption,
        'subscribe: snapshot is left out on a client with a start: the history from start already ends at the latest event',
        { option: 'snapshot' },
      );
    }
    // Read before the request: topics already in the set may have delivered live events.
    const before = store.snapshot();
    const result = requests.request('subscribe', topics, state);
    snapshots.begin(topics, before);
    result.catch((err: unknown) => snapshots.cancel(topics, err));
    return result;
  }
  if (from === undefined || state === 'closing' || state === 'closed') {
    return requests.request('subscribe', topics, state);
  }
  const fresh = topics.filter((t) => !store.intends(t));
  if (own !== undefined && fresh.length < topics.length) {
    throw new PolygonStreamError(
      ErrorCode.InvalidOption,
      `subscribe: from applies to topics not yet subscribed; already subscribed: ${topics.filter((t) => !fresh.includes(t)).join(', ')}`,
      { option: 'from' },
    );
  }
  const { ok, none } = fills.check(fresh);
  if (own !== undefined && none.size > 0) {
    const [first] = none.values();
    throw new PolygonStreamError(
      ErrorCode.NoHistory,
      `subscribe: from needs history, and ${[...none.keys()].join(', ')} ${none.size > 1 ? 'have' : 'has'} none (${first!.message}); subscribe ${none.size > 1 ? 'them' : 'it'} without from`,
      { topics: [...none.keys()] },
    );
  }
  fills.from(ok, from);
  for (const [topic, error] of none) fills.unfilled(topic, from, error);
  const done = requests.request('subscribe', topics, state);
  // A refused topic leaves the set: its fill stops. One that stays (no acknowledgement in time:
  // SUBSCRIBE_TIMEOUT; the server may still carry it) keeps its fill, which ends as any other.
  done.catch((err: PolygonStreamError) =>
    fills.cancel(
      ok.map((t) => t.topic).filter((t) => !store.intends(t)),
      err.code ?? ErrorCode.SubscribeFailed,
      `the subscription failed: ${err.message}`,
    ),
  );
  return done;
}
