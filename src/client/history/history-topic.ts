/**
 * Which REST history a per-symbol topic has: the REST base a WebSocket URL implies, the feed its
 * host serves, and a topic resolved to its stream, route and REST ticker (or NO_HISTORY saying
 * why there is none). Pure: no I/O.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import {
  historyRoute,
  type HistoryRoute,
  restTicker,
  whyNoHistory,
} from '../../protocol/rest/rest-history.js';
import { type Cluster, type Feed, STREAMS, type StreamSpec } from '../../protocol/streams.js';
import { HOST_FAMILIES, lookupHost } from '../../protocol/hosts.js';
import { splitTopic } from '../../protocol/symbols.js';
import { checkTopics } from '../../protocol/topics.js';

/**
 * The REST base a cluster's WebSocket URL implies: the provider's API for its hosts, else the same
 * host:port and the path before the cluster (`/futures/cme` is one cluster, not a folder).
 */
export function restBaseUrl(wsUrl: string, cluster?: string): string {
  const u = new URL(wsUrl);
  const known = lookupHost(u.hostname);
  if (known) return `https://api.${HOST_FAMILIES[known.family]}`;
  const scheme = u.protocol === 'ws:' ? 'http:' : 'https:';
  const path = u.pathname.replace(/\/+$/, '');
  const base =
    cluster !== undefined && path.endsWith(`/${cluster}`)
      ? path.slice(0, -cluster.length - 1)
      : path.replace(/\/[^/]*$/, '');
  return `${scheme}//${u.host}${base}`;
}

/**
 * The feed a WebSocket URL serves: the host table's (business and delayed-business: business;
 * launchpad: launchpad), the market feed for every other host.
 */
export function feedOfUrl(wsUrl: string): Feed {
  return lookupHost(new URL(wsUrl).hostname)?.spec.feed ?? 'market';
}

/** A topic whose history can be asked for: its stream, route and REST ticker. */
export interface HistoryTopic {
  readonly topic: string;
  readonly stream: StreamSpec;
  readonly route: HistoryRoute;
  readonly ticker: string;
}

/** Resolve a per-symbol topic on a cluster and feed, or say why it has no history. */
export function historyTopic(cluster: Cluster, feed: Feed, topic: unknown): HistoryTopic {
  const topics = checkTopics(topic, 'history');
  const parts = topics.length === 1 ? splitTopic(topics[0]!) : undefined;
  if (!parts) {
    throw new PolygonStreamError(
      ErrorCode.InvalidSymbols,
      `history: takes one 'PREFIX.SYMBOL' topic (e.g. 'T.AAPL'); got ${JSON.stringify(topic)}`,
      { topic },
    );
  }
  const on = STREAMS.filter((s) => s.cluster === cluster && s.prefix === parts.prefix);
  const stream = on.find((s) => s.feed === feed) ?? on[0];
  if (!stream) {
    throw new PolygonStreamError(
      ErrorCode.StreamNotOnCluster,
      `history: no stream has the prefix ${parts.prefix} on the ${cluster} cluster`,
      { topic, cluster },
    );
  }
  const route = historyRoute(stream);
  if (parts.symbol === '*' || !route) {
    const why =
      parts.symbol === '*'
        ? 'a wildcard topic has no history: the provider has none for all tickers at once; ask per symbol'
        : `${stream.title} has no history: ${whyNoHistory(stream)}`;
    throw new PolygonStreamError(ErrorCode.NoHistory, `history(${topics[0]}): ${why}`, {
      topic,
      stream: stream.schemaPath,
    });
  }
  return { topic: topics[0]!, stream, route, ticker: restTicker(stream, parts.symbol) };
}
