/**
 * The client: `import { StreamClient } from 'polygon-stream'`. It loads neither the simulator
 * (`polygon-stream/simulator`) nor the Redis fan-out (`polygon-stream/redis`).
 */
export { StreamClient } from './client/stream-client.js';
export type { ClientEvents, EventIterator, ListenOptions } from './client/stream-client.js';
export type {
  BackfillReport,
  CaughtUp,
  Gap,
  LifecycleEvents,
  MissingRange,
  PartialFill,
  SnapshotReport,
  StateChange,
} from './client/delivery/lifecycle.js';
export type { SubscribeOptions } from './client/subscriptions/subscribe-options.js';
export type { BackfillOptions } from './client/fills/backfill-options.js';
export type { StreamMethods, SubscribeMethod } from './client/subscriptions/stream-methods.js';
export type { TimeInput } from './protocol/time-input.js';
export type { ClientOptions, MaxConnectionsPolicy, StartOptions } from './client/config.js';
export { DEFAULT_RECONNECT, DEFAULTS } from './client/config.js';
export {
  HISTORY_DEFAULTS,
  type HistoryOptions,
  type HistoryQuery,
} from './client/history/history.js';
export type { ConnectionState, ReconnectInfo } from './client/connection/connection.js';
export type { TransportName, WsOptions } from './client/transport/transport.js';
export type { EventFilter, EventsOptions, QueueOptions } from './client/delivery/dispatcher.js';
export { ERROR_DOCS, ErrorCode, PolygonStreamError, isPolygonStreamError } from './errors.js';
export * from './protocol/events.js';
export * from './protocol/known-events.js';
export type { LogLevel, Logger } from './client/logger.js';
export type { DropReason, OverflowPolicy } from './client/delivery/bounded-queue.js';
export { OVERFLOW_POLICIES } from './client/delivery/bounded-queue.js';
export type { ReconnectPolicy } from './client/connection/backoff.js';
export type { LatencySnapshot, StatsSnapshot } from './client/delivery/stats.js';
export {
  Cluster,
  CLUSTERS,
  FUTURES_CLUSTERS,
  isFuturesCluster,
  STREAMS,
} from './protocol/streams.js';
export {
  DEFAULT_HOST,
  Host,
  HOST_FAMILIES,
  HOST_NAMES,
  HOSTS,
  hostWarning,
  lookupHost,
} from './protocol/hosts.js';
export type { HostFamily, HostSpec, KnownHost } from './protocol/hosts.js';
export type {
  Feed,
  FuturesCluster,
  StreamMethod,
  StreamSpec,
  SymbolField,
} from './protocol/streams.js';
export type {
  SubscriptionResult,
  TopicState,
  TopicStatus,
} from './client/subscriptions/subscription-store.js';
export { symbolOf, topicOf } from './protocol/symbols.js';
export type { SymbolOptions, Symbols } from './protocol/topics.js';
export type { Action, ClientMessage, WireEvent } from './protocol/codec.js';
