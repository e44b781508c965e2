/**
 * Which transport a client uses, in the build for browsers, Deno, Bun and workers: always the
 * runtime's standard WebSocket (this build carries no `ws`). Stands in for transports.ts there.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import type { Transport, TransportName } from './transport.js';
import { requireNativeTransport } from './transport-native.js';

/** The transport for `name` (undefined: this build's default, the runtime's WebSocket). */
export function pickTransport(name: TransportName | undefined): Transport {
  if (name === 'ws') {
    throw new PolygonStreamError(
      ErrorCode.InvalidOption,
      "StreamClient: transport 'ws' exists only in the Node build of polygon-stream; this build (browsers, Deno, Bun, workers) uses the runtime's WebSocket: leave transport unset or use 'native'",
      { option: 'transport' },
    );
  }
  return requireNativeTransport('');
}
