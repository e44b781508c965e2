/**
 * Reading the provider's REST answers: a body no longer than a cap, a page of history rows, a
 * `Retry-After` header, the message of an error body, and the description of a network failure.
 */
import { parseHistoryBody } from '../../protocol/rest/rest-history.js';

/** One page of a REST history answer: its rows and the URL of the next page, if any. */
export interface Page {
  results: readonly Record<string, unknown>[];
  next: string | undefined;
  /** The ticker the page says it is for (aggregates answers do), if it says. */
  ticker: string | undefined;
}

/** A `Retry-After` header in seconds or as an HTTP date → ms, or undefined. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A page of history rows and the next page's URL, or undefined for a body that is not one. */
export function parsePage(text: string): Page | undefined {
  let body: unknown;
  try {
    body = parseHistoryBody(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const {
    results,
    next_url: next,
    ticker,
  } = body as { results?: unknown; next_url?: unknown; ticker?: unknown };
  if (results !== undefined && !Array.isArray(results)) return undefined;
  const rows = (results ?? []).filter(
    (r): r is Record<string, unknown> => typeof r === 'object' && r !== null,
  );
  return {
    results: rows,
    next: typeof next === 'string' && next !== '' ? next : undefined,
    ticker: typeof ticker === 'string' ? ticker : undefined,
  };
}

/**
 * A response body as text, read no further than `maxBytes`: undefined (and the rest of the body
 * cancelled) when it is longer, so a huge answer never sits whole in memory.
 */
export async function readBounded(res: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** The `message` of a provider error body (`{ status, request_id, message }`), cut short. */
export function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = body.message ?? body.error;
    if (typeof m === 'string') return m.slice(0, 300);
  } catch {
    // Not JSON: quote the start of the text.
  }
  return text.slice(0, 120).trim();
}

/** A failed fetch's message, with the network error code of its cause when it has one. */
export function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return `${err instanceof Error ? err.message : String(err)}${code}`;
}
