/**
 * The timing of the fills in progress (topic-fills.ts): each fill's hold deadline, when its live
 * events flow and what is missing is reported; the hold clock of a history-then-live fill, stopped
 * while its request waits its turn in the request gate; and when the next REST query of a fill not
 * yet proven is asked. Timers only: what a fill knows is in topic-fill.ts.
 */
import type { FillPhase, TopicFill } from './topic-fill.js';

/** Longest wait between two REST queries of a fill that has not reached its first live event. */
const MAX_POLL_GAP_MS = 1_000;

export interface FillClockHost {
  /** The fill's hold ran out: its live events flow and what is missing is reported. */
  expired(fill: TopicFill): void;
  /** Time for the fill's next REST query. */
  due(fill: TopicFill): void;
}

export class FillClock {
  constructor(private readonly host: FillClockHost) {}

  /**
   * (Re)arm the fill's deadline. Not while a history-then-live fill's clock is stopped (its
   * request waits in the gate).
   */
  arm(fill: TopicFill): void {
    clearTimeout(fill.deadlineTimer);
    fill.deadlineTimer = undefined;
    if (fill.paused !== undefined) return;
    fill.deadlineTimer = setTimeout(
      () => this.host.expired(fill),
      Math.max(0, fill.deadline - Date.now()),
    );
  }

  /** At least `ms` of hold left from now (or from when the fill's stopped clock runs again). */
  extend(fill: TopicFill, ms: number): void {
    if (fill.paused !== undefined) fill.paused = Math.max(fill.paused, ms);
    else {
      fill.deadline = Math.max(fill.deadline, Date.now() + ms);
      this.arm(fill);
    }
  }

  /**
   * A request of the fill's query entered the request gate or left it. Waiting for a turn is not
   * REST failing to make progress: a history-then-live fill's hold clock stops meanwhile (its
   * held live events stay bounded by maxHeldEvents) and runs again, with the time it had left,
   * once the request is sent. A gap's fill keeps its clock: its live events must flow in time.
   */
  gate(fill: TopicFill, phase: Exclude<FillPhase, 'idle'>): void {
    if (fill.done) return;
    fill.phase = phase;
    fill.phaseAt = Date.now();
    if (fill.mode !== 'from') return;
    if (phase === 'sent') this.resume(fill);
    else if (fill.paused === undefined) {
      fill.paused = Math.max(0, fill.deadline - fill.phaseAt);
      this.arm(fill);
    }
  }

  /** The fill's query ended: nothing waits in the gate, the hold clock runs. */
  idle(fill: TopicFill): void {
    fill.abort = undefined;
    fill.phase = 'idle';
    fill.phaseAt = Date.now();
    this.resume(fill);
  }

  /**
   * Plan the next query of a fill not yet proven: at once when the last one was asked before the
   * first live event was known; then its tail again, ever less often (REST may be catching up)
   * while live events are held; once more, halfway to the deadline, while none has come.
   */
  next(fill: TopicFill): void {
    const now = Date.now();
    let delay: number;
    const backoff = Math.min(MAX_POLL_GAP_MS, 100 * 2 ** Math.min(fill.queries, 4));
    if (fill.mode === 'from') {
      // A failed query is asked again; one that stopped short of the first live event (or of
      // now, before one came) asks for its tail again, ever less often while REST catches up.
      delay = fill.firstLive !== undefined && fill.lastTo <= fill.firstLive ? 0 : backoff;
    } else if (fill.firstLive === undefined) {
      if (fill.queries >= 2) return;
      delay = (fill.deadline - now) / 2;
    } else if (fill.lastTo <= fill.firstLive) delay = 0;
    else delay = backoff;
    if (now + delay >= fill.deadline) return;
    fill.timer = setTimeout(() => this.host.due(fill), delay);
  }

  private resume(fill: TopicFill): void {
    if (fill.paused === undefined) return;
    fill.deadline = Date.now() + fill.paused;
    fill.paused = undefined;
    this.arm(fill);
  }
}
