/**
 * Entry format v2, the reading side: the events in a stream entry, or why the entry is not a
 * batch of events (poison). An entry as RedisSink writes it has `n` (the number of events, a
 * decimal string) and `data` (a JSON array of event objects, in delivery order); the old format,
 * `data` holding one event object (with `ev` and `sym` beside it), is read as a batch of one.
 * Other fields are ignored. Poison (the whole entry): no `data` field, `data` that is not JSON or
 * not an object or array, an array holding anything but objects with a string `ev`, or an `n`
 * that is not the number of events.
 */

export type DecodedEntry<E> = { events: E[] } | { poison: string };

/** The events in `fields` (a flat field/value list), or why the entry is not a batch of them. */
export function decodeEntry<E>(fields: readonly string[]): DecodedEntry<E> {
  let data: string | undefined;
  let n: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    if (name === 'data') data ??= fields[i + 1];
    else if (name === 'n') n ??= fields[i + 1];
  }
  if (data === undefined) return { poison: 'no data field' };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { poison: 'data is not JSON' };
  }
  let events: unknown[];
  if (Array.isArray(value)) {
    events = value;
    for (let i = 0; i < events.length; i++) {
      const why = notAnEvent(events[i]);
      if (why) return { poison: `data[${i}] ${why}` };
    }
  } else {
    const why = notAnEvent(value);
    if (why) return { poison: `data ${why}` };
    events = [value];
  }
  if (n !== undefined && (!/^\d+$/.test(n) || Number(n) !== events.length)) {
    const held = `${events.length} event${events.length === 1 ? '' : 's'}`;
    return { poison: `n is ${JSON.stringify(n)} but data holds ${held}` };
  }
  return { events: events as E[] };
}

/** Why `value` is not an event object, or undefined when it is one. */
function notAnEvent(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return `is ${kind}, not an event object`;
  }
  if (typeof (value as { ev?: unknown }).ev !== 'string') return 'has no string ev field';
  return undefined;
}

/** A flat field/value list as an object (repeated fields: the last wins). */
export function fieldsObject(fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}
