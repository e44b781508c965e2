/**
 * FrameReader: one text frame from the server on its way to the user. The raw handler sees it
 * first; then, when anything wants decoded events (listeners, iterators, 'frame' listeners,
 * backfill) or a subscribe still waits for proof, it is decoded: status events go to the client,
 * data events settle waiting subscribes, pass backfill's and snapshots' holds, and reach the
 * dispatcher. Stats
 * record every frame and every malformed event.
 */
import { decodeFrame, isStatusFrame, isWireEvent, type WireEvent } from '../../protocol/codec.js';
import type { PolygonStreamError } from '../../errors.js';
import type { Backfill } from '../fills/backfill.js';
import type { Snapshots } from '../fills/snapshot.js';
import type { Dispatcher } from './dispatcher.js';
import type { Lifecycle } from './lifecycle.js';
import type { Stats } from './stats.js';
import type { SubscriptionStore } from '../subscriptions/subscription-store.js';

export interface FrameHooks {
  /** The user's raw-frame handler (already guarded against throwing), if any. */
  raw: ((raw: string) => void) | undefined;
  /** Prints frames when the user has neither a raw handler nor anything decoded. */
  print: (raw: string) => void;
  /** A decoded status event. */
  status: (event: WireEvent) => void;
  report: (error: PolygonStreamError) => void;
}

export class FrameReader {
  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly lifecycle: Lifecycle,
    private readonly store: SubscriptionStore,
    private readonly backfill: Backfill,
    private readonly snapshots: Snapshots,
    private readonly stats: Stats,
    private readonly hooks: FrameHooks,
  ) {}

  /** One text frame received at `now` (ms). */
  read(raw: string, now: number): void {
    const decoding =
      this.dispatcher.active ||
      this.lifecycle.framed ||
      this.backfill.watching ||
      this.snapshots.active;
    if (this.hooks.raw !== undefined) this.hooks.raw(raw);
    else if (!decoding) this.hooks.print(raw);
    // Raw mode skips decoding data, unless a subscribe still waits: its data may prove it.
    if (!decoding && this.store.waitingCount === 0 && !isStatusFrame(raw)) {
      this.stats.recordFrame(raw.length, 0, undefined, now);
      return;
    }
    let events: unknown[];
    try {
      events = decodeFrame(raw);
    } catch (err) {
      this.stats.recordDrop('malformed');
      this.hooks.report(err as PolygonStreamError);
      return;
    }
    let last: WireEvent | undefined;
    let skipped = 0;
    // With backfill or history-then-live, 'frame' listeners get what passed it (held and repeated events left out).
    let passed: WireEvent[] | undefined;
    const { store, backfill, snapshots, dispatcher } = this;
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      if (!isWireEvent(event)) {
        skipped++;
        continue;
      }
      if (event.ev === 'status') this.hooks.status(event);
      // Asked again for every event: a listener called for the one before may have subscribed.
      else if (store.waitingCount > 0 || backfill.watching || snapshots.active) {
        // Data for a topic still waiting for its ack proves the subscription (acks can go missing).
        if (store.waitingCount > 0) store.sawData(event);
        // Backfill holds a topic's live events while filling it, and drops what it delivered.
        // A topic waiting for its snapshot holds its live events too.
        if (!backfill.live(event) || (snapshots.active && !snapshots.live(event))) {
          passed ??= events.slice(0, i).filter(isWireEvent) as WireEvent[];
          continue;
        }
      }
      if (passed !== undefined) passed.push(event);
      dispatcher.dispatch(event);
      last = event;
    }
    if (skipped > 0) this.stats.recordDrop('malformed', skipped);
    const ts = last?.['t'] ?? last?.['s'];
    this.stats.recordFrame(
      raw.length,
      events.length - skipped,
      typeof ts === 'number' ? ts : undefined,
      now,
    );
    if (this.lifecycle.framed) {
      const frame = passed ?? (skipped > 0 ? events.filter(isWireEvent) : events);
      if (frame.length > 0) this.lifecycle.emit('frame', frame as WireEvent[]);
    }
  }
}
