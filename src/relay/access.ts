/**
 * Who may use the relay: its own token list (never the upstream key), compared in constant time,
 * and a limit on failed authentications per address: past `maxFailures` within `windowMs`, every
 * attempt from that address fails until the window has passed, whatever the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Addresses whose failures are remembered at once, at most. */
const MAX_TRACKED = 10_000;

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export interface AccessOptions {
  /** Accepted tokens, or 'any' (any non-empty token). */
  tokens: readonly string[] | 'any';
  maxFailures: number;
  windowMs: number;
}

export class Access {
  /** Failed authentications counted so far. */
  failures = 0;
  private readonly digests: Buffer[] | undefined;
  private readonly recent = new Map<string, { count: number; since: number }>();

  constructor(private readonly options: AccessOptions) {
    this.digests = options.tokens === 'any' ? undefined : options.tokens.map(digest);
  }

  /** Whether `token` from `address` authenticates; failures are counted and rate-limited. */
  check(token: string, address: string, now = Date.now()): boolean {
    const limited = this.limited(address, now);
    let ok = this.digests === undefined;
    if (this.digests !== undefined) {
      const given = digest(token);
      // Every token is compared (no early exit), each in constant time over equal-length digests.
      for (const d of this.digests) ok = timingSafeEqual(given, d) || ok;
    }
    if (ok && !limited) return true;
    this.failures++;
    const entry = this.recent.get(address);
    if (entry === undefined || now - entry.since > this.options.windowMs) {
      if (this.recent.size >= MAX_TRACKED) this.forgetExpired(now);
      this.recent.set(address, { count: 1, since: now });
    } else entry.count++;
    return false;
  }

  /** Many addresses failing once each must not grow the table without bound. */
  private forgetExpired(now: number): void {
    for (const [address, entry] of this.recent) {
      if (now - entry.since > this.options.windowMs) this.recent.delete(address);
    }
    // Still full: every entry is recent; the oldest goes (Map keeps insertion order).
    if (this.recent.size >= MAX_TRACKED) this.recent.delete(this.recent.keys().next().value!);
  }

  private limited(address: string, now: number): boolean {
    const entry = this.recent.get(address);
    if (entry === undefined) return false;
    if (now - entry.since > this.options.windowMs) {
      this.recent.delete(address);
      return false;
    }
    return entry.count >= this.options.maxFailures;
  }
}
