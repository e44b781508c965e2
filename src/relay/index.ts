/**
 * The relay: `import { startRelay } from 'polygon-stream/relay'`. One upstream connection per
 * cluster, shared by any number of unchanged clients of the provider's WebSocket protocol.
 */
export { gapMessage } from './gap-message.js';
export { isLoopback, startRelay } from './relay-server.js';
export type { Relay, RelayEvents, RelayOptions } from './relay-server.js';
export type { RelayMetrics, UpstreamMetrics } from './metrics.js';
export type { ForwardMetrics } from './forward-times.js';
export type { Health } from './endpoints.js';
export type { ServerConnection } from '../server/server-connection.js';
