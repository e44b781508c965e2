/**
 * One open client per host, cluster and API key in this process. The provider drops the existing
 * connection when a second one opens on the same cluster and key, so a second client would silently
 * kill the first: refuse it before it connects.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';

const open = new Map<string, object>();

function keyOf(url: string, apiKey: string): string {
  return `${url}\u0000${apiKey}`;
}

export function claim(url: string, apiKey: string, owner: object, allowDuplicate: boolean): void {
  const key = keyOf(url, apiKey);
  const holder = open.get(key);
  if (holder !== undefined && holder !== owner && !allowDuplicate) {
    throw new PolygonStreamError(
      ErrorCode.DuplicateClient,
      `Another StreamClient in this process is already open for ${url} with the same API key. The provider allows one connection per cluster and key: opening a second one would drop the first. Reuse the open client, close it first, or pass allowDuplicateClient: true.`,
      { url },
    );
  }
  if (holder === undefined) open.set(key, owner);
}

export function release(url: string, apiKey: string, owner: object): void {
  const key = keyOf(url, apiKey);
  if (open.get(key) === owner) open.delete(key);
}
