export { StreamClient } from './client.js';
export type {
  ClientEvents,
  Gap,
  LifecycleEvents,
  ListenOptions,
  StateChange,
  StreamMethods,
} from './client.js';
export type { ClientOptions, MaxConnectionsPolicy, StartOptions } from './config.js';
export { DEFAULT_RECONNECT, DEFAULTS } from './config.js';
export type { ConnectionState, ReconnectInfo } from './connection.js';
export type { EventFilter, EventsOptions, QueueOptions } from './dispatch.js';
export { ErrorCode, PolygonStreamError, isPolygonStreamError } from './errors.js';
export type * from './events.js';
export type { LogLevel, Logger } from './logger.js';
export type { DropReason, OverflowPolicy } from './queue.js';
export { OVERFLOW_POLICIES } from './queue.js';
export type { ReconnectPolicy } from './reconnect.js';
export type { LatencySnapshot, StatsSnapshot } from './stats.js';
export { Cluster, CLUSTERS, Host, STREAMS } from './streams.js';
export type { Feed, StreamMethod, StreamSpec } from './streams.js';
export type { SubscriptionResult, TopicState, TopicStatus } from './subscriptions.js';
export { symbolOf, topicOf } from './symbol.js';
export type { SymbolOptions, Symbols } from './topics.js';
export type { WireEvent } from './codec.js';
export * from './simulator/index.js';
export * from './redis/index.js';
export { ERROR_DOCS } from './errors.js';
