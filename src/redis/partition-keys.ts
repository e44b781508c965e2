/**
 * Per-symbol partitioning of a Redis Stream key: the one place that names partition streams, their
 * dead-letter streams and lease keys, and that hashes a symbol to its partition.
 *
 * With `partitions` = 1 the stream is exactly `key` (e.g. `polygon:stocks`). With P > 1, partition
 * p (0-based) of key K is the stream `{K:p}` (e.g. `{polygon:stocks:3}`): the braces are a Redis
 * Cluster hash tag, so a partition, its dead-letter stream `{K:p}:dead` and its lease keys
 * `{K:p}:owner:<group>` live in one slot while different partitions spread over the nodes. An event goes to
 * partition `fnv1a32(utf8(symbol)) % P` (FNV-1a, 32-bit, offset basis 2166136261, prime
 * 16777619), so producers and consumers in other languages can route the same way; an event with no
 * symbol goes to partition 0.
 */

const FNV_OFFSET = 2166136261;
const FNV_PRIME = 16777619;

/** FNV-1a, 32-bit, of the UTF-8 bytes of `text`, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  const byte = (b: number): void => {
    hash = Math.imul(hash ^ b, FNV_PRIME) >>> 0;
  };
  for (const char of text) {
    // for…of walks code points; a lone surrogate encodes as U+FFFD, as TextEncoder does.
    let cp = char.codePointAt(0) ?? 0;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) byte(cp);
    else if (cp < 0x800) {
      byte(0xc0 | (cp >> 6));
      byte(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      byte(0xe0 | (cp >> 12));
      byte(0x80 | ((cp >> 6) & 0x3f));
      byte(0x80 | (cp & 0x3f));
    } else {
      byte(0xf0 | (cp >> 18));
      byte(0x80 | ((cp >> 12) & 0x3f));
      byte(0x80 | ((cp >> 6) & 0x3f));
      byte(0x80 | (cp & 0x3f));
    }
  }
  return hash;
}

/** The partition (0-based) an event with this symbol goes to; no symbol goes to partition 0. */
export function partitionOf(symbol: string | undefined, partitions: number): number {
  if (partitions <= 1 || symbol === undefined) return 0;
  return fnv1a32(symbol) % partitions;
}

/** The stream of partition `p` of `key`: `key` itself with one partition, else `{key:p}`. */
export function partitionKey(key: string, p: number, partitions: number): string {
  return partitions <= 1 ? key : `{${key}:${p}}`;
}

/** The dead-letter stream of a (partition) stream: `${streamKey}:dead`, in the same slot. */
export function deadLetterKeyOf(streamKey: string): string {
  return `${streamKey}:dead`;
}

/**
 * The lease naming the consumer of `group` that owns a partition stream:
 * `${streamKey}:owner:${group}` (per group: every group reads every partition).
 */
export function leaseKeyOf(streamKey: string, group: string): string {
  return `${streamKey}:owner:${group}`;
}

/**
 * The live consumers of `group` reading the partitions of `key`: a sorted set of heartbeats
 * (`{key}:consumers:${group}`) and a hash of how many partitions each owns (`{key}:owned:${group}`),
 * hash-tagged together into one slot.
 */
export function consumerKeysOf(key: string, group: string): { live: string; owned: string } {
  return { live: `{${key}}:consumers:${group}`, owned: `{${key}}:owned:${group}` };
}
