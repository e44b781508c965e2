/**
 * Lifecycle notifications (state changes, reconnects, gaps, errors, close, frames): their types
 * and a small emitter that never lets a throwing or rejecting listener break the client.
 */
import type { WireEvent } from '../../protocol/codec.js';
import type { ConnectionState, ReconnectInfo } from '../connection/connection.js';
import type { PolygonStreamError } from '../../errors.js';
import { invoke } from './callbacks.js';

export interface Gap {
  /** Last time the previous connection heard from the server (ms since epoch). */
  from: number;
  /** When the previous connection was found lost (its socket closed), ms since epoch. */
  lostAt: number;
  /** When the new connection was authenticated: data in between was not delivered. */
  to: number;
  /** The topics affected (the re-subscribed set). */
  topics: string[];
  /**
   * With `backfill` on: the topics whose gap was filled completely (REST history was seen to
   * reach the topic's first live event), with the events delivered from history.
   */
  filled?: Record<string, number>;
  /** With `backfill` on: the topics filled in part, with the ranges still missing and why. */
  partial?: Record<string, PartialFill>;
  /**
   * With `backfill` on: the topics not filled at all, each with a code and a reason; `missing`
   * when a fill was tried and ended with nothing delivered (the range it asked for).
   */
  unfilled?: Record<string, { code: string; reason: string; missing?: MissingRange[] }>;
}

/** Events a gap's fill delivered from history, over the topics filled completely or in part. */
export function filledEvents(gap: Gap): number {
  let n = 0;
  for (const events of Object.values(gap.filled ?? {})) n += events;
  for (const p of Object.values(gap.partial ?? {})) n += p.events;
  return n;
}

/** A range of a topic's stream time that may hold events never delivered: [from, to) ms. */
export interface MissingRange {
  from: number;
  to: number;
  /** An ErrorCode: BACKFILL_INCOMPLETE, HISTORY_FAILED, HISTORY_INVALID, BACKFILL_OVERFLOW … */
  code: string;
  reason: string;
}

/** A topic filled in part: the events delivered from history and what may still be missing. */
export interface PartialFill {
  events: number;
  missing: MissingRange[];
}

/** One topic's gap filled (`backfill` on): its window and what was delivered from history. */
export interface BackfillReport {
  topic: string;
  /** `filled`: every event of the gap delivered; `partial`: the `missing` ranges may lack some. */
  status: 'filled' | 'partial';
  /** Window asked for, ms: [from, to). */
  from: number;
  to: number;
  /** Events delivered from history before the topic's live events (`client.isBackfilled(e)`). */
  events: number;
  /** History events dropped because the stream had delivered (or was holding) them. */
  duplicates: number;
  /** Live events held while filling, delivered after the history. */
  held: number;
  /** How long the topic's live events were held, ms (at most `backfill.maxHoldMs`). */
  heldMs: number;
  /** REST queries made (each may be several pages and retries). */
  queries: number;
  /** REST rows that failed their checks: never delivered; their times are in `missing`. */
  rejected: number;
  /** Bars REST served while their window was still open: never delivered as final. */
  forming: number;
  /** Ranges that may lack events (empty when `status` is `filled`). */
  missing: MissingRange[];
}

/**
 * One topic's snapshot on subscribe (`subscribe(topics, { snapshot: true })`): what came of it.
 * `delivered`: the latest event REST had was delivered before the topic's live events
 * (`client.isSnapshot(e)`); `stale`: REST answered, but a live event held for the topic was that
 * same event or earlier than it (delivering it first would put it out of order), so it was
 * dropped; `none`: the topic has no snapshot (`code` NO_SNAPSHOT, `reason`); `failed`: REST
 * failed or did not answer within the hold, and live events flowed without it (`code`, `reason`).
 */
export interface SnapshotReport {
  topic: string;
  status: 'delivered' | 'stale' | 'none' | 'failed';
  /** Stream time of the event REST gave (delivered or stale), ms. */
  time?: number;
  /** Live events of the topic held while waiting, delivered after the snapshot. */
  held: number;
  /** How long the topic's live events were held, ms. */
  heldMs: number;
  /** An ErrorCode, for `none` and `failed`. */
  code?: string;
  reason?: string;
}

/**
 * One topic of a history-then-live subscription (`subscribe(…, { from })`, the client's `start`)
 * switched from REST history to live: every event from `from` on was delivered once, in order
 * (`filled`), except in the `missing` ranges (`partial`); or it could not be filled at all
 * (`unfilled`, with `code` and `reason`: NO_HISTORY for a wildcard or a stream without history,
 * SUBSCRIBE_FAILED, CLIENT_CLOSED …). History events are marked like backfilled ones
 * (`client.isBackfilled(event)`). The counts are those of a BackfillReport.
 */
export interface CaughtUp extends Omit<BackfillReport, 'status'> {
  status: 'filled' | 'partial' | 'unfilled';
  /** REST pages read. */
  pages?: number;
  /** Most REST events the topic held in memory at once (one page, plus the tail at the seam). */
  peak?: number;
  /** `unfilled`: an ErrorCode and why. */
  code?: string;
  reason?: string;
}

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
}

/** Lifecycle notifications, next to the data events (`'T'`, `'Q'`, `'status'`, `'*'` …). */
export interface LifecycleEvents {
  state: StateChange;
  reconnect: ReconnectInfo;
  resubscribe: { topics: string[] };
  gap: Gap;
  backfill: BackfillReport;
  snapshot: SnapshotReport;
  caughtUp: CaughtUp;
  error: PolygonStreamError;
  close: { code: number; reason: string; error: PolygonStreamError | undefined };
  /**
   * The events of one frame, statuses included, after they were dispatched (for sinks). With
   * `backfill` on: less the events held or repeated, and each fill's history and released live
   * events come as one more batch, so a sink sees every topic in order.
   */
  frame: readonly WireEvent[];
}

const NAMES: ReadonlySet<string> = new Set<keyof LifecycleEvents>([
  'state',
  'reconnect',
  'resubscribe',
  'gap',
  'backfill',
  'snapshot',
  'caughtUp',
  'error',
  'close',
  'frame',
]);

type Listener = (payload: never) => unknown;

export class Lifecycle {
  private readonly listeners = new Map<string, Set<Listener>>();
  /** The 'frame' set once created: read per frame without a Map lookup. */
  private frames: Set<Listener> | undefined;

  /** `listenerThrew` gets what a listener of `name` threw or its returned promise rejected with. */
  constructor(
    private readonly listenerThrew: (err: unknown, name: keyof LifecycleEvents) => void,
  ) {}

  static isName(name: string): name is keyof LifecycleEvents {
    return NAMES.has(name);
  }

  on(name: keyof LifecycleEvents, listener: Listener): () => void {
    const set = this.listeners.get(name) ?? new Set();
    this.listeners.set(name, set.add(listener));
    if (name === 'frame') this.frames = set;
    return () => set.delete(listener);
  }

  /** Whether anyone listens to 'frame' (read per frame on the hot path). */
  get framed(): boolean {
    return this.frames !== undefined && this.frames.size > 0;
  }

  emit<K extends keyof LifecycleEvents>(name: K, payload: LifecycleEvents[K]): void {
    const set = this.listeners.get(name);
    if (set === undefined) return;
    const failed = (err: unknown): void => this.listenerThrew(err, name);
    for (const listener of [...set]) {
      invoke(() => (listener as (p: LifecycleEvents[K]) => unknown)(payload), failed);
    }
  }
}
