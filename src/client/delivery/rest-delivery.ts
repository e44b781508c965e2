/**
 * Delivering what REST brought (a gap's or a `from` topic's history, a topic's snapshot) ahead of
 * the live events held meanwhile: each REST event is marked in its set (`isBackfilled`,
 * `isSnapshot`), then every event goes to the listeners in order, and 'frame' listeners (sinks,
 * the relay) get them as one batch, in the same order.
 */
import type { WireEvent } from '../../protocol/codec.js';
import type { Dispatcher } from './dispatcher.js';
import type { Lifecycle } from './lifecycle.js';

export function deliverFromRest(
  dispatcher: Dispatcher,
  lifecycle: Lifecycle,
  marks: WeakSet<object>,
  rest: readonly WireEvent[],
  live: readonly WireEvent[],
): void {
  for (const event of rest) {
    marks.add(event);
    dispatcher.dispatch(event);
  }
  for (const event of live) dispatcher.dispatch(event);
  if (lifecycle.framed && rest.length + live.length > 0) {
    lifecycle.emit('frame', [...rest, ...live]);
  }
}
