/**
 * Reconnect policy: exponential backoff with jitter and a bounded number of attempts. The attempt
 * counter is reset by the client only after a connection has stayed up for `stableAfterMs`
 * (not on auth_success: an eviction that re-authenticates and is dropped again must still run
 * out of attempts instead of looping forever).
 */

export interface ReconnectPolicy {
  /** Delay before the first reconnect attempt, ms. */
  initialDelayMs: number;
  /** Upper bound of any delay, ms. */
  maxDelayMs: number;
  /** Growth of the delay per attempt. */
  factor: number;
  /** 0..1: the share of each delay that is randomised (0.5 → between 50% and 100% of it). */
  jitter: number;
  /** Attempts after one disconnection before giving up (Infinity is allowed, but not the default). */
  maxAttempts: number;
  /** A connection that stays open this long resets the attempt counter, ms. */
  stableAfterMs: number;
}

export class Backoff {
  private attempts = 0;

  constructor(
    private readonly policy: ReconnectPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** Attempts made since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  /** The delay before the next attempt, or undefined when the attempts are used up. */
  next(): number | undefined {
    const p = this.policy;
    if (this.attempts >= p.maxAttempts) return undefined;
    const base = Math.min(p.maxDelayMs, p.initialDelayMs * p.factor ** this.attempts);
    this.attempts++;
    return Math.round(base * (1 - p.jitter * this.random()));
  }

  reset(): void {
    this.attempts = 0;
  }
}

/**
 * The sum of every delay before the policy gives up, ms: least (jitter at its fullest), mean and
 * most (no jitter). The README's reconnect figure is computed from this.
 */
export function totalDelayMs(policy: ReconnectPolicy): { min: number; mean: number; max: number } {
  if (!Number.isFinite(policy.maxAttempts)) return { min: Infinity, mean: Infinity, max: Infinity };
  let max = 0;
  for (let n = 0; n < policy.maxAttempts; n++) {
    max += Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** n);
  }
  return { min: max * (1 - policy.jitter), mean: max * (1 - policy.jitter / 2), max };
}
