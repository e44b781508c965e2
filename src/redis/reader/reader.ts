/**
 * Reading a sink's stream through a consumer group: each entry (a batch of events, decode-entry.ts)
 * goes to one consumer of the group, which yields its events one at a time. An entry is
 * acknowledged once the handler of its last event returned, i.e. when the loop asks for the next
 * event or ends through the AbortSignal after that last one; stopped in the middle of an entry,
 * the entry stays pending (its events are handled again after a claim: at least once). A loop
 * broken by an exception (or `break`) leaves the current entry and the rest of its batch pending. A live consumer claims entries idle for `claimIdleMs`, one
 * entry per claim (XPENDING … IDLE, then XCLAIM), so an entry that kills its worker counts
 * deliveries against itself only; past `maxDeliveries` it goes to the dead-letter stream. Delivery is at least once.
 *
 * Nothing is lost or skipped without a report (see ReadStreamOptions.onError): entries that are not
 * events are dead-lettered (REDIS_POISON_ENTRY), a group that vanished is re-created at '0'
 * (REDIS_GROUP_RECREATED), and entries trimmed before the group read them are counted
 * (REDIS_MISSED_ENTRIES, checked at start and every `checkIntervalMs`).
 *
 * Order: one consumer gets entries in stream order, except claimed ones (`claimed: true`), which
 * are older than what it read before; between consumers of one group there is no order. With
 * `partitions` > 1 the reading is partitions/partition-reader.ts's: per-symbol order through leases.
 */
import { EventEmitter } from 'node:events';
import type { WireEvent } from '../../protocol/codec.js';
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import { closeRedis, openRedis, type RedisConnection as Redis } from '../open-redis.js';
import { runIdOf } from '../run-id.js';
import { removeDeadConsumers } from './dead-consumers.js';
import { createGroup, recreateGroup } from './consumer-group.js';
import {
  handOut,
  type Batch,
  type DeliveredEntry as Delivered,
  type EntryItem,
} from './hand-out.js';
import { checkMissed } from './missed-entries.js';
import { PartitionReader } from './partitions/partition-reader.js';
import { reportError, stderrLogger } from '../report.js';
import { isNoGroup, MissedReports, redisFailed } from './reader-reports.js';
import { readerSettings, type ReaderSettings, type ReadStreamOptions } from './reader-options.js';

export type { ReadStreamOptions } from './reader-options.js';

export interface StreamEntry<E = WireEvent> {
  /** The id of the stream entry holding the event. */
  id: string;
  /** The event's position in its entry (0 for the old one-event format): with `id`, unique. */
  index: number;
  event: E;
  /** True when taken over from another consumer (older than entries read before). */
  claimed: boolean;
  /** With `partitions` > 1: the partition (0-based) it came from. */
  partition?: number;
}

type RawEntry = [id: string, fields: string[] | null];
type ReadReply = [key: string, entries: RawEntry[]][] | null;
type PendingReply = [id: string, consumer: string, idleMs: number, deliveries: number][];

export class StreamReader<E = WireEvent> extends EventEmitter {
  readonly #s: ReaderSettings;
  #cmd: Redis | undefined;
  #block: Redis | undefined;
  #started = false;
  #stopped = false;
  /** Redis's run_id when last asked: a different one means it restarted. */
  #runId: string | undefined;
  readonly #missed: MissedReports;
  /** With `partitions` > 1, the reader of the partitions this consumer owns. */
  #parts: PartitionReader | undefined;

  constructor(given: ReadStreamOptions) {
    super();
    this.#s = readerSettings(given);
    this.#missed = new MissedReports(this.#s.key, this.#s.group);
  }

  /** End the loop as the AbortSignal would. */
  stop(): void {
    this.#stopped = true;
    this.#parts?.stop();
    this.#block?.disconnect();
    // Commands on the other connection wait through outages; do not let them hold the stop up.
    if (this.#cmd && this.#cmd.status !== 'ready') this.#cmd.disconnect();
  }

  /** The decoded events. */
  [Symbol.asyncIterator](): AsyncGenerator<E, void, undefined> {
    // Straight from the read loop: one generator step per event, not two through entries().
    return this.#loop((_id, _index, event) => event);
  }

  /** The events with their entry's id and their index in it; one iteration per reader. */
  entries(): AsyncGenerator<StreamEntry<E>, void, undefined> {
    return this.#loop((id, index, event, claimed, partition) =>
      partition === undefined
        ? { id, index, event, claimed }
        : { id, index, event, claimed, partition },
    );
  }

  /** `item(…)` for each event of the batches read (hand-out.ts). */
  #loop<T>(item: EntryItem<E, T>): AsyncGenerator<T, void, undefined> {
    const report = (err: PolygonStreamError): void => this.#report(err);
    const stopped = (): boolean => this.#stopped;
    const { maxDeliveries } = this.#s;
    return handOut(this.#batches(report), item, { maxDeliveries, report, stopped });
  }

  /**
   * The read loop: each batch read (claimed or new), its handled entries acknowledged when the next
   * one is asked for, and what is left when the loop ends.
   */
  async *#batches(
    report: (err: PolygonStreamError) => void,
  ): AsyncGenerator<Batch, void, undefined> {
    if (this.#started) {
      throw new PolygonStreamError(
        ErrorCode.InvalidOption,
        'readStream: a StreamReader can be iterated once',
      );
    }
    this.#started = true;
    const { signal } = this.#s;
    const onAbort = (): void => this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) this.stop();
    /** Ids whose handler returned, not yet sent to Redis. */
    const acks: string[] = [];
    try {
      if (this.#stopped) return;
      if (this.#s.partitions > 1) {
        this.#parts = new PartitionReader(this.#s, (role) => this.#connect(role), report);
        return yield* this.#parts.batches();
      }
      const cmd = (this.#cmd = await this.#connect('reader'));
      const block = (this.#block = await this.#connect('reader-block'));
      if (this.#stopped) return;
      const { key, group, deadLetterKey } = this.#s;
      const target = { key, group, deadLetterKey };
      await createGroup(cmd, key, group, this.#s.start);
      this.#runId = await runIdOf(cmd, key);
      let nextClaim = 0;
      let nextCheck = 0;
      while (!this.#stopped) {
        if (Date.now() >= nextCheck) {
          await this.#maintain(cmd);
          nextCheck = Date.now() + this.#s.checkIntervalMs;
        }
        let entries: Delivered[] = [];
        if (Date.now() >= nextClaim) {
          entries = await this.#claim(cmd);
          // Claimed one: look for the next on the next turn.
          nextClaim = entries.length > 0 ? 0 : Date.now() + this.#s.claimIntervalMs;
        }
        const claimed = entries.length > 0;
        if (!claimed) entries = await this.#read(block, cmd);
        if (entries.length === 0) continue;
        yield { cmd, target, entries, claimed, acks };
        await this.#ack(cmd, acks);
      }
    } catch (err) {
      if (!this.#stopped) throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#block?.disconnect();
      const cmd = this.#cmd;
      if (cmd) {
        if (acks.length > 0 && cmd.status === 'ready') await this.#ack(cmd, acks).catch(() => {});
        await closeRedis(cmd);
      }
    }
  }

  #connect(role: string): Promise<Redis> {
    return openRedis(this.#s.url, {
      name: `polygon-stream:${role}:${this.#s.consumer}`,
      queueing: 'wait',
      connectTimeoutMs: this.#s.connectTimeoutMs,
    });
  }

  /**
   * The group vanished: re-created at '0' (consumer-group.ts) and reported, once: by the consumer
   * that re-created it.
   */
  async #recreateGroup(cmd: Redis): Promise<void> {
    this.#missed.reset();
    const recreated = await recreateGroup(cmd, this.#s.key, this.#s.group, this.#runId);
    if (!recreated) return;
    this.#runId = recreated.runId ?? this.#runId;
    this.#report(recreated.report);
  }

  /** XREADGROUP '>' (empty on timeout). */
  async #read(block: Redis, cmd: Redis): Promise<Delivered[]> {
    const { key, group, consumer, count, blockMs } = this.#s;
    let reply: ReadReply;
    try {
      reply = (await block.xreadgroup(
        'GROUP',
        group,
        consumer,
        'COUNT',
        count,
        'BLOCK',
        blockMs,
        'STREAMS',
        key,
        '>',
      )) as ReadReply;
    } catch (err) {
      if (this.#stopped) return [];
      if (isNoGroup(err)) {
        await this.#recreateGroup(cmd);
        return [];
      }
      throw redisFailed(err);
    }
    const out: Delivered[] = [];
    for (const [id, fields] of reply?.[0]?.[1] ?? []) {
      if (fields) out.push({ id, fields, deliveries: 1 });
    }
    return out;
  }

  /**
   * The oldest entry idle past claimIdleMs, found with XPENDING … IDLE (which gives its delivery
   * count) and taken with XCLAIM: one entry per claim, in id order, so the entries a dead worker
   * held behind the one that killed it are claimed on their own, their delivery counts untouched.
   * One past maxDeliveries is dead-lettered when handed out (hand-out.ts); the next claim
   * goes on with the next entry.
   */
  async #claim(cmd: Redis): Promise<Delivered[]> {
    const { key, group, consumer, claimIdleMs } = this.#s;
    let previous: string | undefined;
    for (;;) {
      let pending: PendingReply;
      let taken: RawEntry[];
      try {
        pending = (await cmd.call(
          'XPENDING',
          key,
          group,
          'IDLE',
          String(claimIdleMs),
          '-',
          '+',
          '1',
        )) as PendingReply;
        const id = pending[0]?.[0];
        // Nothing idle, or the same entry again (not claimable now): look again on the next turn.
        if (id === undefined || id === previous) return [];
        previous = id;
        taken = (await cmd.xclaim(key, group, consumer, claimIdleMs, id)) as RawEntry[];
      } catch (err) {
        if (isNoGroup(err)) {
          await this.#recreateGroup(cmd);
          return [];
        }
        throw redisFailed(err);
      }
      const [id, , , before] = pending[0]!;
      const fields = taken[0]?.[1];
      if (taken.length === 0) continue; // another consumer was faster (or Redis 7 dropped a deleted entry)
      if (!fields) {
        // Redis 6.2: a deleted entry, still pending.
        await cmd.xack(key, group, id).catch((err: unknown) => Promise.reject(redisFailed(err)));
        continue;
      }
      return [{ id, fields, deliveries: Number(before) + 1 }];
    }
  }

  /** Missed entries (reported as they grow) and dead consumers; re-creates a vanished group. */
  async #maintain(cmd: Redis): Promise<void> {
    const { key, group, consumer, deadConsumerIdleMs } = this.#s;
    try {
      const check = await checkMissed(cmd, key, group);
      const { missed } = check;
      if (missed === 'no-group') {
        await this.#recreateGroup(cmd);
        return;
      }
      const report = this.#missed.next(missed);
      if (report) this.#report(report);
      if (deadConsumerIdleMs > 0) {
        await removeDeadConsumers(cmd, key, group, consumer, deadConsumerIdleMs);
      }
    } catch (err) {
      if (isNoGroup(err)) await this.#recreateGroup(cmd);
      else throw redisFailed(err);
    }
  }

  #report(err: PolygonStreamError): void {
    reportError(this, this.#s.onError, stderrLogger, err);
  }

  async #ack(cmd: Redis, acks: string[]): Promise<void> {
    if (acks.length === 0) return;
    const ids = acks.splice(0, acks.length);
    try {
      await cmd.xack(this.#s.key, this.#s.group, ...ids);
    } catch (err) {
      acks.unshift(...ids);
      throw redisFailed(err);
    }
  }
}

/**
 * Events of `key` for this consumer of `group`, e.g.
 * `for await (const ev of readStream({ url, key: 'polygon:stocks', group: 'g', consumer: 'w1' }))`.
 * Rejects with REDIS_UNAVAILABLE when Redis does not answer at start.
 */
export function readStream<E = WireEvent>(options: ReadStreamOptions): AsyncIterable<E> {
  return new StreamReader<E>(options);
}
