/**
 * The options of one subscribe: `subscribe(topics, options)` and the trailing options of the
 * generated methods (`subscribeStocksTrades(['AAPL'], { snapshot: true })`), checked the way
 * every other option is (src/validate.ts). Unknown keys are INVALID_OPTION naming the allowed.
 */
import * as v from '../../validate.js';

export interface SubscribeOptions {
  /**
   * Before each per-symbol topic's first live event, deliver the provider's latest state of it
   * from REST (the last trade, the last NBBO), marked (`client.isSnapshot(e)`), never after a
   * newer live event of the topic; a `snapshot` event reports each topic's outcome. One REST
   * request per topic, paced with `history()`'s (README: Snapshot on subscribe). Default false.
   */
  snapshot?: boolean;
}

/** The keys a SubscribeOptions object may have. */
export const SUBSCRIBE_OPTION_KEYS: readonly string[] = ['snapshot'];

/**
 * A subscribe's options checked: undefined → {}. `also`: keys the caller reads itself (the
 * generated methods' `forceUppercaseSymbols`), allowed and left out of the result.
 */
export function resolveSubscribeOptions(
  where: string,
  value: unknown,
  also: readonly string[] = [],
): SubscribeOptions {
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
  const out: SubscribeOptions = {};
  if (o['snapshot'] !== undefined)
    out.snapshot = v.boolean(where, 'options.snapshot', o['snapshot']);
  return out;
}
