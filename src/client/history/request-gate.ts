/**
 * A gate for outgoing requests shared by every fetch that goes through it: at most `concurrency`
 * in flight, and starts spaced `1000 / requestsPerSecond` ms apart. Runtime-neutral (timers and
 * AbortSignal only).
 */

export class RequestGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private nextStart = 0;
  private readonly spacingMs: number;

  constructor(
    private readonly concurrency: number,
    requestsPerSecond: number,
  ) {
    this.spacingMs = 1_000 / requestsPerSecond;
  }

  /** Wait for a slot and this request's turn; pair every resolved call with one `release()`. */
  async acquire(signal?: AbortSignal): Promise<void> {
    if (this.active < this.concurrency) this.active++;
    else await this.handoff(signal);
    const now = Date.now();
    const at = Math.max(now, this.nextStart);
    this.nextStart = at + this.spacingMs;
    try {
      if (at > now) await sleep(at - now, signal);
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** Give the slot to the next waiter, or free it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /** Wait until a releasing request hands its slot over (the slot stays counted meanwhile). */
  private handoff(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const take = (): void => {
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = (): void => {
        const i = this.waiting.indexOf(take);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.waiting.push(take);
    });
  }
}

/** Resolve after `ms`, or reject with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const abort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}
