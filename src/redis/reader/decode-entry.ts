/**
 * Telling a stream entry that is an event (as RedisSink writes it: `ev`, `sym`, `data` = the event
 * as JSON) from one that is not: no `data` field, `data` that is not JSON, or JSON that is not an
 * object with a string `ev` (`null`, a number, an array…).
 */

export type DecodedEntry<E> = { event: E } | { poison: string };

/** The event in `fields` (a flat field/value list), or why the entry is not one. */
export function decodeEntry<E>(fields: readonly string[]): DecodedEntry<E> {
  let data: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'data') {
      data = fields[i + 1];
      break;
    }
  }
  if (data === undefined) return { poison: 'no data field' };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { poison: 'data is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { poison: `data is ${kind}, not an event object` };
  }
  if (typeof (value as { ev?: unknown }).ev !== 'string') {
    return { poison: 'data has no string ev field' };
  }
  return { event: value as E };
}

/** A flat field/value list as an object (repeated fields: the last wins). */
export function fieldsObject(fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}
