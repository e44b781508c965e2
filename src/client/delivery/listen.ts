/**
 * What `StreamClient.on()` and `events()` take and give: the event map a listener can name, the
 * iterator type, and `listen`, which routes a listener to the lifecycle events or to the
 * dispatcher (inline, or behind a bounded queue).
 */
import type { WireEvent } from '../../protocol/codec.js';
import type { EventOf, EvOf, StreamEvent, UnknownEv } from '../../protocol/events.js';
import type { Cluster } from '../../protocol/streams.js';
import * as v from '../../validate.js';
import type { Dispatcher, QueueOptions } from './dispatcher.js';
import { Lifecycle, type LifecycleEvents } from './lifecycle.js';

export type ClientEvents<C extends Cluster> = LifecycleEvents & {
  [E in EvOf<C>]: EventOf<C, E>;
} & { '*': StreamEvent<C> };

/** What `events()` returns: `for await (const event of client.events(…))`. */
export type EventIterator<T> = AsyncIterableIterator<T, undefined, undefined>;

export interface ListenOptions {
  /** Run the listener behind a bounded queue, awaiting each call (for async/slow handlers). */
  queue?: QueueOptions | true;
}

/**
 * Add `listener` for `what` (a lifecycle event name, a data `ev`, `'*'`, or `{ unknown: 'EV' }`)
 * after checking the arguments; returns its remover.
 */
export function listen(
  dispatcher: Dispatcher,
  lifecycle: Lifecycle,
  what: string | UnknownEv,
  listener: (payload: never) => unknown,
  options: ListenOptions,
): () => void {
  const name = typeof what === 'object' && what !== null ? what.unknown : what;
  const where = `on(${v.describe(what)})`;
  if (typeof name !== 'string') {
    throw v.invalidOption(
      where,
      'name',
      "an event type ('T', '*', 'state' …) or { unknown: 'EV' }",
      what,
    );
  }
  v.fn(where, 'listener', listener);
  v.plainObject(where, 'options', options);
  if (name === what && Lifecycle.isName(name)) {
    return lifecycle.on(name, listener);
  }
  const fn = listener as (event: WireEvent) => unknown;
  if (options.queue)
    return dispatcher.listenQueued(name, fn, options.queue === true ? {} : options.queue);
  return dispatcher.listen(name, fn);
}
