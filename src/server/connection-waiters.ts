/**
 * Promises for "a connection like this one exists": `waitFor(predicate)` settles with the first
 * open connection that matches, now or when the server next reports a change, and fails after a
 * timeout or when the server closes. A predicate that throws fails its own promise only.
 */
import type { ServerConnection } from './server-connection.js';

interface Waiter {
  predicate: (c: ServerConnection) => boolean;
  resolve: (c: ServerConnection) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class ConnectionWaiters {
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  /** `open` lists the server's open connections whenever a waiter is checked. */
  constructor(private readonly open: () => readonly ServerConnection[]) {}

  waitFor(
    predicate: (c: ServerConnection) => boolean,
    timeoutMs: number,
  ): Promise<ServerConnection> {
    const hit = this.open().find(predicate);
    if (hit) return Promise.resolve(hit);
    if (this.closed) return Promise.reject(new Error('server is closed'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`waitFor: no connection matched within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** The connections changed: settle every waiter that now has a match. */
  notify(): void {
    if (this.waiters.size === 0) return;
    const open = this.open();
    for (const w of [...this.waiters]) {
      let hit: ServerConnection | undefined;
      try {
        hit = open.find(w.predicate);
      } catch (err) {
        this.settle(w);
        w.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (hit) {
        this.settle(w);
        w.resolve(hit);
      }
    }
  }

  /** The server closed: every waiter fails, and later ones at once. */
  close(): void {
    this.closed = true;
    for (const w of [...this.waiters]) {
      this.settle(w);
      w.reject(new Error('server closed'));
    }
  }

  private settle(w: Waiter): void {
    clearTimeout(w.timer);
    this.waiters.delete(w);
  }
}
