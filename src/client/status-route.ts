/**
 * A status event the server sent, routed by the protocol's verdict (src/protocol/statuses.ts): an
 * ack or a refusal settles subscriptions (subscription-store.ts); the rest is the connection's
 * (auth, max_connections, slow consumer …), the slow-consumer verdict quoting the client's figures.
 */
import type { WireEvent } from '../protocol/codec.js';
import type { PolygonStreamError } from '../errors.js';
import { interpretStatus, refusalError } from '../protocol/statuses.js';
import type { ClientConfig } from './config.js';
import type { Connection } from './connection/connection.js';
import type { StatsSnapshot } from './delivery/stats.js';
import type { Logger } from './logger.js';
import type { SubscriptionStore } from './subscriptions/subscription-store.js';

export interface StatusParts {
  readonly config: ClientConfig;
  readonly connection: Connection;
  readonly store: SubscriptionStore;
  readonly log: Logger;
  stats(): StatsSnapshot;
  report(error: PolygonStreamError): void;
}

export function routeStatus(event: WireEvent, parts: StatusParts): void {
  const { config, connection, store } = parts;
  const verdict = interpretStatus(event, {
    authenticating: connection.state === 'authenticating',
    open: connection.state === 'open',
    secret: config.apiKey,
    cluster: config.cluster,
    reclaimAfterMs: config.onMaxConnections === 'reclaim' ? config.reclaimAfterMs : undefined,
    figures: () => figures(parts.stats(), connection.bufferedAmount),
  });
  switch (verdict.kind) {
    case 'ack':
      parts.log.debug(`server: ${verdict.text}`);
      return store.ack(verdict.action, verdict.topic);
    case 'refusal':
      return parts.report(refusalError(verdict.text, store.refuse(verdict.text)));
    default:
      return connection.status(verdict);
  }
}

/** Figures for the slow-consumer error (events/s, queue depth, drops, latency). */
function figures(s: StatsSnapshot, socketBufferedBytes: number): Record<string, unknown> {
  return {
    eventsPerSecond: Math.round(s.eventsPerSecond),
    queueDepth: s.queueDepth,
    dropped: s.dropped,
    latencyP99Ms: s.latencyMs?.p99,
    socketBufferedBytes,
  };
}
