/**
 * The topics one session holds: as the client spelled them, and by canonical key with a count
 * (two spellings may share one key, `XT.X:BTC-USD` and `XT.X:BTCUSD`), for routing; the key set's
 * signature lets sessions holding the same keys share one frame (shared-frames.ts).
 */
import type { HeldKeys } from './shared-frames.js';

export class SessionTopics implements HeldKeys {
  /** Topic as spelled → canonical key. */
  private readonly byTopic = new Map<string, string>();
  /** The topics as spelled. */
  readonly spelled = new Set<string>();
  /** Canonical key → how many held topics have it. */
  readonly keys = new Map<string, number>();
  /** The signature of `keys`, until the key set changes. */
  private cachedSignature: string | undefined;

  /**
   * The canonical keys held, sorted, one per line (a held key has no whitespace: topic-replies.ts
   * refuses such topics): equal for sessions holding the same keys.
   */
  get signature(): string {
    return (this.cachedSignature ??= [...this.keys.keys()].sort().join('\n'));
  }

  has(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  /** The canonical key of a held topic. */
  get(topic: string): string | undefined {
    return this.byTopic.get(topic);
  }

  apply(action: 'subscribe' | 'unsubscribe', topic: string, key: string): void {
    if (action === 'subscribe') {
      if (this.byTopic.has(topic)) return;
      this.byTopic.set(topic, key);
      this.spelled.add(topic);
      const held = this.keys.get(key) ?? 0;
      if (held === 0) this.cachedSignature = undefined;
      this.keys.set(key, held + 1);
    } else if (this.byTopic.delete(topic)) {
      this.spelled.delete(topic);
      const held = (this.keys.get(key) ?? 1) - 1;
      if (held > 0) this.keys.set(key, held);
      else {
        this.keys.delete(key);
        this.cachedSignature = undefined;
      }
    }
  }
}
