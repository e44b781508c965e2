/**
 * The second parameter of `subscribe(topics, options)` (and the trailing options of the generated
 * subscribe methods, `subscribeStocksTrades(['AAPL'], { snapshot: true })`): what to deliver
 * before a topic's live events. Checked here, once, the way every other option is
 * (src/validate.ts); unknown keys are INVALID_OPTION naming the allowed ones.
 */
import * as v from '../../validate.js';
import { parseTimeInput, type TimeInput } from '../../protocol/time-input.js';
import type { Cluster } from '../../protocol/streams.js';

export interface SubscribeOptions {
  /**
   * Before each per-symbol topic's first live event, deliver the provider's latest state of it
   * from REST (the last trade, the last NBBO), marked (`client.isSnapshot(e)`), never after a
   * newer live event of the topic; a `snapshot` event reports each topic's outcome. One REST
   * request per topic, paced with `history()`'s (README: Snapshot on subscribe). Default false.
   * Not with `from` (nor under the client's `start`): the history already ends at the latest.
   */
  snapshot?: boolean;
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
  readonly snapshot: boolean;
  readonly from: number | undefined;
}

/** The keys a SubscribeOptions object may have. */
export const SUBSCRIBE_OPTION_KEYS: readonly string[] = ['snapshot', 'from'];

/**
 * A subscribe's options checked (undefined: none) for a client of `cluster` at `now`. `also`:
 * keys the caller reads itself (the generated methods' `forceUppercaseSymbols`), allowed and left
 * out of the result.
 */
export function resolveSubscribeOptions(
  where: string,
  value: unknown,
  context: { readonly cluster: Cluster; readonly now: number },
  also: readonly string[] = [],
): SubscribeConfig {
  if (value === undefined) return { snapshot: false, from: undefined };
  const o = v.plainObject<Record<string, unknown>>(where, 'options', value);
  const allowed = [...SUBSCRIBE_OPTION_KEYS, ...also];
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) {
      throw v.invalidOption(
        where,
        `options.${key}`,
        `left out: the options are ${allowed.join(', ')}`,
        o[key],
      );
    }
  }
  const snapshot =
    o['snapshot'] === undefined ? false : v.boolean(where, 'options.snapshot', o['snapshot']);
  const from =
    o['from'] === undefined
      ? undefined
      : parseTimeInput(o['from'], { ...context, where, option: 'from' });
  if (snapshot && from !== undefined) {
    throw v.invalidOption(
      where,
      'options.snapshot',
      'left out with from: the history from `from` already ends at the latest event',
      true,
    );
  }
  return { snapshot, from };
}
