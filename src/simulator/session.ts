/**
 * The generated data of one simulated session: its DataFeed, drawn every tick over the session's
 * subscriptions at the simulator's rate and sent as one frame. The protocol itself (auth, acks,
 * faults, slow consumers) is the protocol server's session (src/server/server-session.ts).
 */
import { encodeEvents } from '../protocol/codec.js';
import type { ServerSession } from '../server/server-session.js';
import { DataFeed } from './feed.js';
import type { Universe } from './universe.js';

/** What a session's generated data needs from the simulator. */
export interface FeedHost {
  readonly universe: Universe;
  readonly tickMs: number;
  /** Aggregate windows last this fraction of their nominal length (tests shorten them). */
  readonly windowScale: number;
  eventsPerSecond(): number;
}

export class SessionFeed {
  private readonly feed: DataFeed;
  private dataTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly session: ServerSession,
    private readonly host: FeedHost,
  ) {
    this.feed = new DataFeed(session.cluster, host.universe, host.windowScale);
    this.dataTimer = setInterval(() => this.tick(), host.tickMs);
  }

  /** The subscriptions changed. */
  invalidate(): void {
    this.feed.invalidate();
  }

  stop(): void {
    clearInterval(this.dataTimer);
    this.dataTimer = undefined;
  }

  private tick(): void {
    const session = this.session;
    if (!session.isOpen || session.paused || session.subscriptions.size === 0) {
      this.feed.reset();
      return;
    }
    const { tickMs } = this.host;
    const events = this.feed.tick(session.subscriptions, this.host.eventsPerSecond(), tickMs);
    if (events.length > 0) session.sendText(encodeEvents(events));
  }
}
