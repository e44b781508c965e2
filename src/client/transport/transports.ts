/**
 * Which transport a client uses, in the Node build: `ws` unless `transport: 'native'` asks for
 * the runtime's WebSocket. The build for browsers, Deno, Bun and workers replaces this module
 * with transports-standard.ts, which has no `ws` (tsup.config.ts).
 */
import type { Transport, TransportName } from './transport.js';
import { requireNativeTransport } from './transport-native.js';
import { wsTransport } from './transport-ws.js';

/** The transport for `name` (undefined: this build's default). */
export function pickTransport(name: TransportName | undefined): Transport {
  if (name !== 'native') return wsTransport;
  return requireNativeTransport(
    " (transport 'native'; Node 20 and 21: run node with --experimental-websocket, Node ≥ 22 has it); or leave transport unset to use ws",
  );
}
