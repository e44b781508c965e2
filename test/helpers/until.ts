/**
 * Waiting in tests for something that happens over real sockets: poll a condition every 10 ms
 * until it holds, failing with what was awaited after a bounded time (never a sleep that hopes).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Resolve once `cond` holds; throw `timed out after MS ms waiting for WHAT` after `ms`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}
