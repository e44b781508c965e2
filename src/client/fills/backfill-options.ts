/**
 * The `backfill` option of a StreamClient: `true` for the defaults or an object; every field
 * checked the way every other option is (src/validate.ts), defaults applied here only.
 */
import * as v from '../../validate.js';
import { MAX_PAGE_ROWS } from '../../protocol/rest/rest-history.js';

export interface BackfillOptions {
  /** REST base URL (default: `history.restUrl`, else derived from the WebSocket host). */
  restUrl?: string;
  /** Topic prefixes to fill (`['T', 'AM']`); default every stream with history. */
  streams?: readonly string[];
  /** A topic whose gap is longer than this is not filled (reported), ms. Default 15 min. */
  maxGapMs?: number;
  /** At most this many topics filled per gap; the rest are reported unfilled. Default 1 000. */
  maxTickers?: number;
  /** REST requests in flight at once for backfill. Default 8. */
  concurrency?: number;
  /** REST requests started per second for backfill. Default 50. */
  requestsPerSecond?: number;
  /** Live events held per topic while it is filled; more ends that topic's fill. Default 10 000. */
  maxHeldEvents?: number;
  /**
   * A topic's live events are held at most this long while its gap is filled, ms: then they
   * flow, and what REST had not shown by then is reported missing (`partial`). Default 5 000.
   */
  maxHoldMs?: number;
  /**
   * Per-symbol topics to fill on each gap beyond the subscribed ones: those a wildcard
   * subscription carries that you care about (the relay names its clients' topics). Called at
   * each gap; wildcards in the answer are ignored.
   */
  alsoFill?: () => Iterable<string>;
  /** Wait this long for a topic's first live event (the end of its gap) before filling up to now, ms. Default 1 000. */
  liveWaitMs?: number;
  /** More history events than this in one topic's gap gives up on that topic. Default 100 000. */
  maxRows?: number;
}

export interface BackfillConfig {
  readonly restUrl: string | undefined;
  readonly streams: readonly string[] | undefined;
  readonly maxGapMs: number;
  readonly maxTickers: number;
  readonly concurrency: number;
  readonly requestsPerSecond: number;
  readonly maxHeldEvents: number;
  readonly maxHoldMs: number;
  readonly alsoFill: (() => Iterable<string>) | undefined;
  readonly liveWaitMs: number;
  readonly maxRows: number;
}

export const BACKFILL_DEFAULTS = {
  maxGapMs: 15 * 60_000,
  maxTickers: 1_000,
  concurrency: 8,
  requestsPerSecond: 50,
  maxHeldEvents: 10_000,
  maxHoldMs: 5_000,
  liveWaitMs: 1_000,
  maxRows: 100_000,
} as const;

const WHERE = 'StreamClient';

/** `false`/undefined: off; `true`: the defaults; an object: checked field by field. */
export function resolveBackfill(value: unknown): BackfillConfig | undefined {
  if (value === undefined || value === false) return undefined;
  const o: BackfillOptions =
    value === true ? {} : v.plainObject<BackfillOptions>(WHERE, 'backfill', value);
  const d = BACKFILL_DEFAULTS;
  const int = (name: 'maxTickers' | 'concurrency' | 'maxHeldEvents' | 'maxRows', max: number) =>
    v.optional(o[name], d[name], (x) => v.integer(WHERE, `backfill.${name}`, x, { min: 1, max }));
  const ms = (name: 'maxGapMs' | 'liveWaitMs' | 'maxHoldMs', min: number) =>
    v.optional(o[name], d[name], (x) => v.duration(WHERE, `backfill.${name}`, x, { min }));
  const streams = o.streams;
  if (
    streams !== undefined &&
    !(
      Array.isArray(streams) && streams.every((s) => typeof s === 'string' && /^[A-Z0-9]+$/.test(s))
    )
  ) {
    throw v.invalidOption(
      WHERE,
      'backfill.streams',
      "an array of topic prefixes (['T', 'Q', 'AM'])",
      streams,
    );
  }
  const restUrl =
    o.restUrl === undefined ? undefined : v.httpUrl(WHERE, 'backfill.restUrl', o.restUrl);
  return {
    restUrl,
    streams: streams === undefined ? undefined : [...streams],
    maxGapMs: ms('maxGapMs', 1),
    maxTickers: int('maxTickers', 1_000_000),
    concurrency: int('concurrency', 1_000),
    requestsPerSecond: v.optional(o.requestsPerSecond, d.requestsPerSecond, (x) =>
      v.number(WHERE, 'backfill.requestsPerSecond', x, { min: 0.001, max: 1_000_000 }),
    ),
    maxHeldEvents: int('maxHeldEvents', 10_000_000),
    maxHoldMs: ms('maxHoldMs', 1),
    alsoFill: o.alsoFill === undefined ? undefined : v.fn(WHERE, 'backfill.alsoFill', o.alsoFill),
    liveWaitMs: ms('liveWaitMs', 0),
    maxRows: int('maxRows', 100 * MAX_PAGE_ROWS),
  };
}
