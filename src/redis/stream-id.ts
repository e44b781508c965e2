/**
 * Redis Stream entry ids (`<ms>-<seq>`): comparing them without losing precision. Ids the sink
 * meets are Redis-generated (`*`): milliseconds well under 2^53 and small sequence numbers, but the
 * comparison goes through BigInt so that any valid id compares right.
 */

/** Negative, zero or positive as `a` is before, equal to or after `b` (`'0-0'` is the smallest). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = split(a);
  const [bm, bs] = split(b);
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

function split(id: string): [bigint, bigint] {
  const dash = id.indexOf('-');
  if (dash < 0) return [BigInt(id), 0n];
  return [BigInt(id.slice(0, dash)), BigInt(id.slice(dash + 1))];
}
