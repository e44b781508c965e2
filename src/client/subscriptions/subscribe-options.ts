/**
 * The second parameter of `subscribe(topics, options)` (and the trailing options of the generated
 * subscribe methods): what to deliver before a topic's live events. Checked here, once.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import * as v from '../../validate.js';
import { parseTimeInput, type TimeInput } from '../../protocol/time-input.js';
import type { Cluster } from '../../protocol/streams.js';

export interface SubscribeOptions {
  /**
   * History, then live: every event of each per-symbol topic from this moment on is delivered
   * from REST history in order, then the live ones, nothing missing or twice at the seam; a
   * `caughtUp` event per topic marks the switch. ISO 8601, Unix epoch (s/ms/µs/ns), `HH:MM`
   * today in the market's time zone, a duration back (`30m`), or a Date; at most 7 days back.
   */
  from?: TimeInput;
}

/** The options read: `from` as Unix ms. */
export interface SubscribeConfig {
  readonly from: number | undefined;
}

const ALLOWED = ['from'] as const;

/** Check `given` (undefined: none) for a client of `cluster` at `now`. */
export function resolveSubscribeOptions(
  given: unknown,
  cluster: Cluster,
  now: number,
  where = 'subscribe',
): SubscribeConfig {
  if (given === undefined) return { from: undefined };
  const o = v.plainObject<Record<string, unknown>>(where, 'options', given);
  for (const key of Object.keys(o)) {
    if (!(ALLOWED as readonly string[]).includes(key)) {
      throw new PolygonStreamError(
        ErrorCode.InvalidOption,
        `${where}: unknown option ${JSON.stringify(key)}; allowed: ${ALLOWED.join(', ')}`,
        { option: key },
      );
    }
  }
  return {
    from:
      o['from'] === undefined
        ? undefined
        : parseTimeInput(o['from'], { cluster, now, where, option: 'from' }),
  };
}
