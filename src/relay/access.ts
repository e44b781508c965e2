/**
 * Who may use the relay: its own token list (never the upstream key), compared in constant time,
 * and how failing attempts are slowed without ever locking out a valid token.
 *
 * Many processes share one address (every script on the desk's host is 127.0.0.1; a NAT hides a
 * whole office), so an address is never banned. Instead:
 * - A token that already failed from an address fails again after `slowdownMs` (a script retrying
 *   a wrong token in a loop is slowed; it learns nothing new, and other tokens are unaffected).
 * - An address from which `maxFailures` different tokens failed within `windowMs` is guessing:
 *   from then until the window ends, every answer to it, right or wrong, comes after `slowdownMs`,
 *   so its guesses are slowed and a valid token cannot be told apart by a quicker answer. A valid
 *   token is still accepted, only later.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Addresses whose failures are remembered at once, at most. */
const MAX_TRACKED = 10_000;

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export interface AccessOptions {
  /** Accepted tokens, or 'any' (any non-empty token). */
  tokens: readonly string[] | 'any';
  /** Different failing tokens from one address within `windowMs` before its answers slow down. */
  maxFailures: number;
  windowMs: number;
  /** How late a slowed answer comes, ms. */
  slowdownMs: number;
}

/** The verdict on one attempt: whether the token is good, and how long to wait before saying so. */
export interface AccessVerdict {
  ok: boolean;
  delayMs: number;
}

interface Recent {
  since: number;
  /** Digests (hex) of the different tokens that failed from this address, at most maxFailures. */
  failed: Set<string>;
}

export class Access {
  /** Failed authentications counted so far. */
  failures = 0;
  /** Answers given late (a guessing address, or a token retried after it failed). */
  slowed = 0;
  private readonly digests: Buffer[] | undefined;
  private readonly recent = new Map<string, Recent>();

  constructor(private readonly options: AccessOptions) {
    this.digests = options.tokens === 'any' ? undefined : options.tokens.map(digest);
  }

  /** Whether `token` from `address` authenticates, and after how long the answer is given. */
  check(token: string, address: string, now = Date.now()): AccessVerdict {
    const given = digest(token);
    let ok = this.digests === undefined;
    if (this.digests !== undefined) {
      // Every token is compared (no early exit), each in constant time over equal-length digests.
      for (const d of this.digests) ok = timingSafeEqual(given, d) || ok;
    }
    const entry = this.current(address, now);
    const guessing = entry !== undefined && entry.failed.size >= this.options.maxFailures;
    if (ok) return this.verdict(true, guessing);
    this.failures++;
    const hex = given.toString('hex');
    const retried = entry?.failed.has(hex) === true;
    if (entry === undefined) {
      if (this.recent.size >= MAX_TRACKED) this.forgetExpired(now);
      this.recent.set(address, { since: now, failed: new Set([hex]) });
    } else if (!retried && entry.failed.size < this.options.maxFailures) entry.failed.add(hex);
    return this.verdict(false, guessing || retried);
  }

  private verdict(ok: boolean, slow: boolean): AccessVerdict {
    if (slow) this.slowed++;
    return { ok, delayMs: slow ? this.options.slowdownMs : 0 };
  }

  /** The address's failures within the window, if any. */
  private current(address: string, now: number): Recent | undefined {
    const entry = this.recent.get(address);
    if (entry === undefined || now - entry.since <= this.options.windowMs) return entry;
    this.recent.delete(address);
    return undefined;
  }

  /** Many addresses failing once each must not grow the table without bound. */
  private forgetExpired(now: number): void {
    for (const [address, entry] of this.recent) {
      if (now - entry.since > this.options.windowMs) this.recent.delete(address);
    }
    // Still full: every entry is recent; the oldest goes (Map keeps insertion order).
    if (this.recent.size >= MAX_TRACKED) this.recent.delete(this.recent.keys().next().value!);
  }
}
