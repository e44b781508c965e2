/**
 * Masking the API key in everything the library shows: log messages and fields, error messages
 * and details, printed frames; and the password of a Redis URL wherever one is quoted. Masking works on values (strings inside objects and arrays), never
 * on serialised text, and only where the key stands as a whole token, so a short key such as `1`
 * leaves `1000`, `127.0.0.1` or `/stocks` alone.
 */
import type { PolygonStreamError } from './errors.js';

export const MASK = '***';

const WORD = /[\p{L}\p{N}_]/u;
const SEPARATOR = /[\s"'`()[\]{}<>,;=&]/;

/**
 * Whether the character at `i` (outside the text at either end) ends a token next to the key's
 * `edge` character; `step` points away from the key. A separator always does; next to a key edge
 * that is a letter or digit, so does any other character that is not one, except a dot joining
 * two runs (`127.0.0.1`, `T.AAPL`).
 */
function boundary(text: string, i: number, step: 1 | -1, edge: string): boolean {
  const ch = text[i];
  if (ch === undefined || SEPARATOR.test(ch)) return true;
  if (!WORD.test(edge) || WORD.test(ch)) return false;
  const beyond = text[i + step];
  return !(ch === '.' && beyond !== undefined && WORD.test(beyond));
}

/** `text` with every whole-token occurrence of `secret` replaced by `***`. */
export function redactText(text: string, secret: string | undefined): string {
  if (!secret || !text.includes(secret)) return text;
  const first = secret[0]!;
  const last = secret[secret.length - 1]!;
  let out = '';
  let from = 0;
  let at = text.indexOf(secret);
  while (at !== -1) {
    const end = at + secret.length;
    if (boundary(text, at - 1, -1, first) && boundary(text, end, 1, last)) {
      out += text.slice(from, at) + MASK;
      from = end;
      at = text.indexOf(secret, end);
    } else at = text.indexOf(secret, at + 1);
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * JSON text (a raw frame, printed as received) with the key masked as written and as JSON may
 * escape it (`\"`, `\\`, `\t`, `\u00e9`): a server quoting a key with such characters must not
 * print it either.
 */
export function redactJsonText(text: string, secret: string | undefined): string {
  if (!secret) return text;
  const escaped = JSON.stringify(secret).slice(1, -1);
  const unicode = (upper: boolean): string =>
    escaped.replace(/[^\x20-\x7e]/g, (c) => {
      const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
      return `\\u${upper ? hex.toUpperCase() : hex}`;
    });
  let out = text;
  for (const spelling of new Set([secret, escaped, unicode(false), unicode(true)])) {
    out = redactText(out, spelling);
  }
  return out;
}

/**
 * A copy of `value` with the key masked in every string inside it (plain objects and arrays are
 * copied, other objects passed on as they are). Never throws: a getter that does is skipped.
 */
export function redactValue<T>(value: T, secret: string | undefined, depth = 0): T {
  if (!secret) return value;
  if (typeof value === 'string') return redactText(value, secret) as T;
  if (typeof value !== 'object' || value === null || depth > 20) return value;
  if (Array.isArray(value)) {
    return value.map((v: unknown) => redactValue(v, secret, depth + 1)) as T;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    try {
      out[redactText(key, secret)] = redactValue(
        (value as Record<string, unknown>)[key],
        secret,
        depth + 1,
      );
    } catch {
      // A throwing getter: the field is left out.
    }
  }
  return out as T;
}

/** Mask the key in an error's message and details, and in those of the errors that caused it. */
export function redactError<E extends PolygonStreamError>(error: E, secret: string | undefined): E {
  if (!secret) return error;
  for (let e: unknown = error, depth = 0; isCoded(e) && depth < 5; e = e.cause, depth++) {
    e.message = redactText(e.message, secret);
    (e as { details: unknown }).details = redactValue(e.details, secret);
  }
  return error;
}

function isCoded(e: unknown): e is PolygonStreamError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && 'details' in e;
}

/**
 * Text that may hold request URLs: `apiKey=` query values masked, then the key itself, also in
 * its URL-encoded spelling.
 */
export function redactUrlText(text: string, secret: string | undefined): string {
  const masked = text.replace(/([?&]apiKey=)[^&#\s"]*/gi, `$1${MASK}`);
  if (!secret) return masked;
  return redactText(redactText(masked, secret), encodeURIComponent(secret));
}

/**
 * `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`. Never throws. A
 * `scheme://…` text that is no WHATWG URL (a cluster URL's `host:port,host:port`) has what lies
 * between the first `:` of its user info and the last `@` masked; anything else is not shown.
 */
export function redactUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = MASK;
    return u.toString();
  } catch {
    const m = /^([a-z][a-z\d+.-]*:\/\/)(.*)@(.*)$/is.exec(url);
    if (!m) return /^[a-z][a-z\d+.-]*:\/\/[^\s]*$/i.test(url) ? url : '<unparseable URL>';
    const [, scheme, userinfo, rest] = m;
    const colon = userinfo!.indexOf(':');
    if (colon < 0) return url;
    return `${scheme}${userinfo!.slice(0, colon + 1)}${MASK}@${rest}`;
  }
}
