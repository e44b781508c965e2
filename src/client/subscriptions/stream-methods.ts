/**
 * The subscribe/unsubscribe methods, generated from the stream table: one pair per stream
 * (`subscribeStockTrades` / `unsubscribeStockTrades` …) plus the Python library's alias names.
 */
import type { SubscriptionResult } from './subscription-store.js';
import { STREAM_METHODS, type StreamMethod, UNSUBSCRIBE_ALIASES } from '../../protocol/streams.js';
import type { SymbolOptions, Symbols } from '../../protocol/topics.js';
import type { SubscribeOptions } from './subscribe-options.js';

/**
 * One subscribe or unsubscribe method: symbols (none: every symbol), how to spell them and, for
 * subscribe, the subscribe options (`{ snapshot: true }`, `{ from }`) in the same object (their
 * keys never clash).
 */
export type SubscribeMethod = (
  symbols?: Symbols,
  options?: SymbolOptions & SubscribeOptions,
) => Promise<SubscriptionResult>;

/** `subscribeStockTrades`, `unsubscribeStockTrades`, … one pair per stream in the table. */
export type StreamMethods = {
  [M in StreamMethod as `subscribe${M}` | `unsubscribe${M}`]: SubscribeMethod;
} & { [A in keyof typeof UNSUBSCRIBE_ALIASES]: SubscribeMethod };

interface StreamRequester {
  streamRequest(
    action: 'subscribe' | 'unsubscribe',
    method: StreamMethod,
    symbols: Symbols,
    options?: SymbolOptions & SubscribeOptions,
  ): Promise<SubscriptionResult>;
}

/** Define every generated method on `proto`, each delegating to `streamRequest`. */
export function installStreamMethods(proto: StreamRequester): void {
  const define = (name: string, action: 'subscribe' | 'unsubscribe', method: StreamMethod) =>
    Object.defineProperty(proto, name, {
      value: function (this: StreamRequester, symbols?: Symbols, options?: SymbolOptions) {
        return this.streamRequest(action, method, symbols, options);
      },
      writable: true,
      configurable: true,
    });
  for (const method of STREAM_METHODS) {
    define(`subscribe${method}`, 'subscribe', method);
    define(`unsubscribe${method}`, 'unsubscribe', method);
  }
  for (const [alias, method] of Object.entries(UNSUBSCRIBE_ALIASES)) {
    define(alias, 'unsubscribe', method);
  }
}
