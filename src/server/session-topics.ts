/**
 * The topics one session holds: as the client spelled them, and by canonical key with a count
 * (two spellings may share one key, `XT.X:BTC-USD` and `XT.X:BTCUSD`), for routing.
 */
export class SessionTopics {
  /** Topic as spelled → canonical key. */
  private readonly byTopic = new Map<string, string>();
  /** The topics as spelled. */
  readonly spelled = new Set<string>();
  /** Canonical key → how many held topics have it. */
  readonly keys = new Map<string, number>();

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
      this.keys.set(key, (this.keys.get(key) ?? 0) + 1);
    } else if (this.byTopic.delete(topic)) {
      this.spelled.delete(topic);
      const held = (this.keys.get(key) ?? 1) - 1;
      if (held > 0) this.keys.set(key, held);
      else this.keys.delete(key);
    }
  }
}
