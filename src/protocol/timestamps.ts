/**
 * Event timestamps, for both sides of the wire. The provider mixes units (Unix ms on most events,
 * µs on LULD, ns on NOI and on REST rows, seconds in a few fields), so a timestamp is read by its
 * magnitude.
 */
import type { WireEvent } from './codec.js';

/**
 * A Unix timestamp of unknown unit in ms, by its magnitude: < 1e11 seconds, < 1e14 ms, < 1e17 µs,
 * else ns (valid for dates between 1973 and 5138).
 */
export function timestampToMs(ts: number): number {
  if (ts >= 1e17) return ts / 1e6;
  if (ts >= 1e14) return ts / 1e3;
  if (ts >= 1e11) return ts;
  return ts * 1e3;
}

/**
 * An event's time in Unix ms: its `t` (ticks), else its window start `s` (bars), whatever the unit;
 * undefined when neither is a finite number.
 */
export function eventTimeMs(event: WireEvent): number | undefined {
  const raw =
    typeof event['t'] === 'number' ? event['t'] : typeof event['s'] === 'number' ? event['s'] : NaN;
  return Number.isFinite(raw) ? timestampToMs(raw) : undefined;
}

/**
 * The stream time of an event of a stream with REST history, in ms as the provider sends it: `t`
 * on ticks, the window start `s` on bars (NaN when neither is a number). Unlike `eventTimeMs` it
 * reads no unit from the magnitude: these streams are in ms by definition, and windows and
 * de-duplication compare the values exactly as sent.
 */
export function eventTime(event: WireEvent): number {
  const t = event['t'] ?? event['s'];
  return typeof t === 'number' ? t : Number.NaN;
}
