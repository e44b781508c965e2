/**
 * The states of a client's connection and the changes between them that are legal; any other
 * change is a bug in this library, thrown as such.
 */
export type ConnectionState =
  'idle' | 'connecting' | 'authenticating' | 'open' | 'reconnecting' | 'closing' | 'closed';

const NEXT: Record<ConnectionState, readonly ConnectionState[]> = {
  idle: ['connecting', 'closed'],
  connecting: ['authenticating', 'reconnecting', 'closing', 'closed'],
  authenticating: ['open', 'reconnecting', 'closing', 'closed'],
  open: ['reconnecting', 'closing', 'closed'],
  reconnecting: ['connecting', 'closing', 'closed'],
  closing: ['closed'],
  closed: [],
};

/** Throw unless `prev` → `next` is a legal state change. */
export function checkTransition(prev: ConnectionState, next: ConnectionState): void {
  if (!NEXT[prev].includes(next)) {
    throw new Error(`polygon-stream internal error: illegal state change ${prev} -> ${next}`);
  }
}
