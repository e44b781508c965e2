/**
 * readStream with `partitions` > 1: the consumers of a group share the partition streams
 * `{key:p}`, each partition owned by one consumer at a time (partition-leases.ts), so each symbol's
 * events are handled in stream order by one consumer at a time.
 *
 * For every partition it takes, a consumer first takes over the group's pending entries of that
 * partition (XAUTOCLAIM with min-idle 0, safe because only the lease holder reads the partition)
 * and hands them out, oldest first, flagged `claimed`, before reading new ones: what a dead owner
 * had read but not acknowledged comes again (at least once), and then everything after it, in
 * order. Every read and takeover runs in a script that first checks the lease is still this
 * consumer's, so no entry is ever read by an owner whose lease Redis has let expire; and the reader
 * hands out an entry only while it surely holds the lease (PartitionLeases.holds): an owner that
 * cannot renew in time stops handing out that partition before anything more is delivered.
 *
 * One worker per owned partition reads a batch, waits until the loop has handled it and its
 * acknowledgement was sent, then reads the next: per-partition order, and across partitions the
 * batches in the order they were read (no order across partitions). A worker waits for new entries
 * with a blocking XREAD on its own connection (XREADGROUP cannot block inside a script).
 */
import type { RedisConnection as Redis } from '../../open-redis.js';
import type { PolygonStreamError } from '../../../errors.js';
import { deadLetterKeyOf, partitionKey } from '../../partition-keys.js';
import { removeDeadConsumers } from '../dead-consumers.js';
import { createGroup, recreateGroup } from '../consumer-group.js';
import type { Batch, DeliveredEntry as Delivered } from '../hand-out.js';
import { checkMissed } from '../missed-entries.js';
import { PartitionLeases } from './partition-leases.js';
import { READ, TAKE_OVER } from './partition-scripts.js';
import type { ReaderSettings } from '../reader-options.js';
import { isNoGroup, MissedReports, redisFailed } from '../reader-reports.js';
import { runIdOf } from '../../run-id.js';

type RawEntry = [id: string, fields: string[] | null];
type ReadReply = ['lost'] | ['read', RawEntry[]] | ['idle', string];
type TakeOverReply = ['lost'] | ['claimed', string, RawEntry[]];
type PartitionClient = Redis & {
  polygonPartitionRead(...args: string[]): Promise<ReadReply>;
  polygonPartitionTakeOver(...args: string[]): Promise<TakeOverReply>;
};

/** A batch a worker read, waiting for the loop. */
interface Ready {
  p: number;
  /** Which taking of the partition read it (PartitionLeases.holds). */
  taking: number;
  key: string;
  batch: Delivered[];
  claimed: boolean;
  done: () => void;
}

export class PartitionReader {
  readonly #s: ReaderSettings;
  readonly #connect: (role: string) => Promise<Redis>;
  readonly #report: (err: PolygonStreamError) => void;
  #cmd: PartitionClient | undefined;
  #leases: PartitionLeases | undefined;
  readonly #blocks = new Map<number, Redis>();
  readonly #workers = new Set<Promise<void>>();
  readonly #ready: Ready[] = [];
  #wake: (() => void) | undefined;
  #failure: unknown;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  /** Per partition stream: what its group missed, reported. */
  readonly #missed = new Map<string, MissedReports>();
  /** Per partition stream, the run_id of the server holding it when last asked (a Cluster node). */
  readonly #runIds = new Map<string, string>();

  constructor(
    settings: ReaderSettings,
    connect: (role: string) => Promise<Redis>,
    report: (err: PolygonStreamError) => void,
  ) {
    this.#s = settings;
    this.#connect = connect;
    this.#report = report;
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const block of this.#blocks.values()) block.disconnect();
    for (const item of this.#ready.splice(0)) item.done();
    this.#wake?.();
    const cmd = this.#cmd;
    if (cmd && cmd.status !== 'ready') cmd.disconnect();
  }

  /**
   * The batches the workers of the partitions this consumer owns read, in the order read; a batch's
   * handled entries are acknowledged when the next one is asked for.
   */
  async *batches(): AsyncGenerator<Batch, void, undefined> {
    const { group } = this.#s;
    /** The partition stream and ids whose handler returned, not yet acknowledged. */
    let acks: { key: string; ids: string[] } | undefined;
    try {
      const cmd = (this.#cmd = (await this.#connect('reader')) as PartitionClient);
      cmd.defineCommand('polygonPartitionRead', { numberOfKeys: 2, lua: READ });
      cmd.defineCommand('polygonPartitionTakeOver', { numberOfKeys: 2, lua: TAKE_OVER });
      if (this.#stopped) return;
      // Every partition's group from now on, not from when a consumer first takes the partition.
      for (let p = 0; p < this.#s.partitions; p++) {
        const key = partitionKey(this.#s.key, p, this.#s.partitions);
        await createGroup(cmd, key, this.#s.group, this.#s.start);
        const runId = await runIdOf(cmd, key);
        if (runId !== undefined) this.#runIds.set(key, runId);
      }
      const leases = (this.#leases = new PartitionLeases(cmd, this.#s, (p, taking) =>
        this.#start(p, taking),
      ));
      await leases.tick();
      this.#timer = setInterval(
        () => {
          leases.tick().catch((err: unknown) => {
            if (!this.#stopped) this.#report(redisFailed(err));
          });
        },
        Math.ceil(this.#s.leaseMs / 3),
      );
      while (!this.#stopped) {
        if (this.#failure !== undefined) throw this.#failure;
        const ready = this.#ready.shift();
        if (ready === undefined) {
          await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#wake = undefined;
          continue;
        }
        const { p, taking, key, batch, claimed } = ready;
        acks = { key, ids: [] };
        try {
          // Stopped in the middle of an entry: it stays pending for the next owner.
          yield {
            cmd,
            target: { key, group, deadLetterKey: deadLetterKeyOf(key) },
            entries: batch,
            claimed,
            partition: p,
            acks: acks.ids,
            // Lost the lease (or about to): the rest stays pending for the next owner.
            holds: () => leases.holds(p, taking),
          };
          await this.#ack(acks);
        } finally {
          ready.done();
        }
      }
    } catch (err) {
      if (!this.#stopped) throw redisFailed(err);
    } finally {
      this.stop();
      await Promise.allSettled(this.#workers);
      const cmd = this.#cmd;
      if (cmd?.status === 'ready') {
        if (acks) await this.#ack(acks).catch(() => {});
        await this.#leases?.leave().catch(() => {});
      }
      for (const block of this.#blocks.values()) block.disconnect();
      cmd?.disconnect();
    }
  }

  async #ack(acks: { key: string; ids: string[] }): Promise<void> {
    if (acks.ids.length === 0) return;
    const ids = acks.ids.splice(0);
    try {
      await this.#cmd!.xack(acks.key, this.#s.group, ...ids);
    } catch (err) {
      acks.ids.unshift(...ids);
      throw redisFailed(err);
    }
  }

  /** A partition was taken: run its worker until the lease is lost, released or the loop ends. */
  #start(p: number, taking: number): void {
    const worker = this.#work(p, taking).catch((err: unknown) => {
      if (this.#stopped) return;
      this.#failure = redisFailed(err);
      this.#wake?.();
    });
    this.#workers.add(worker);
    void worker.finally(() => this.#workers.delete(worker));
  }

  async #work(p: number, taking: number): Promise<void> {
    const leases = this.#leases!;
    const key = leases.streamKey(p);
    try {
      await createGroup(this.#cmd!, key, this.#s.group, this.#s.start);
      for (;;) {
        try {
          await this.#takeOver(p, taking, key);
          await this.#read(p, taking, key);
          return;
        } catch (err) {
          if (this.#stopped || !isNoGroup(err)) throw err;
          await this.#recreateGroup(key);
        }
      }
    } finally {
      // Released, lost or given up: hand the lease back if it is still this consumer's.
      if (!this.#stopped && leases.holds(p, taking)) await leases.release(p);
      else if (!this.#stopped) leases.lost(p, taking);
    }
  }

  /** Missed entries of the partition (reported as they grow) and its dead consumers. */
  async #maintain(key: string): Promise<void> {
    const { group, consumer, deadConsumerIdleMs } = this.#s;
    const { missed } = await checkMissed(this.#cmd!, key, group);
    if (missed === 'no-group') {
      await this.#recreateGroup(key);
      return;
    }
    const report = this.#missedOf(key).next(missed);
    if (report) this.#report(report);
    if (deadConsumerIdleMs > 0) {
      await removeDeadConsumers(this.#cmd!, key, group, consumer, deadConsumerIdleMs);
    }
  }

  #missedOf(key: string): MissedReports {
    let missed = this.#missed.get(key);
    if (!missed) this.#missed.set(key, (missed = new MissedReports(key, this.#s.group)));
    return missed;
  }

  /** The group vanished: re-created at '0' (consumer-group.ts) and reported, once. */
  async #recreateGroup(key: string): Promise<void> {
    const recreated = await recreateGroup(this.#cmd!, key, this.#s.group, this.#runIds.get(key));
    if (!recreated) return;
    this.#missedOf(key).reset();
    if (recreated.runId !== undefined) this.#runIds.set(key, recreated.runId);
    this.#report(recreated.report);
  }

  /** The group's pending entries of the partition, whoever held them, oldest first. */
  async #takeOver(p: number, taking: number, key: string): Promise<void> {
    const leases = this.#leases!;
    const { group, consumer, count } = this.#s;
    let cursor = '0-0';
    do {
      if (this.#stopped || !leases.holds(p, taking) || leases.releasing(p)) return;
      const reply = await this.#cmd!.polygonPartitionTakeOver(
        key,
        leases.leaseKey(p),
        group,
        consumer,
        String(count),
        cursor,
      );
      if (reply[0] === 'lost') {
        leases.lost(p, taking);
        return;
      }
      cursor = reply[1];
      const taken = reply[2].filter((e): e is [string, string[]] => e[1] !== null);
      if (taken.length > 0) {
        const counts = await this.#deliveries(key, taken[0]![0], taken.at(-1)![0], taken.length);
        const batch = taken.map(([id, fields]) => ({
          id,
          fields,
          deliveries: counts.get(id) ?? 1,
        }));
        await this.#hand({ p, taking, key, batch, claimed: true });
      }
    } while (cursor !== '0-0');
  }

  /** XPENDING's delivery counts (this delivery included) of this consumer's entries first…last. */
  async #deliveries(
    key: string,
    first: string,
    last: string,
    n: number,
  ): Promise<Map<string, number>> {
    const { group, consumer } = this.#s;
    const reply = (await this.#cmd!.xpending(key, group, first, last, n, consumer)) as [
      string,
      string,
      number,
      number,
    ][];
    return new Map(reply.map(([id, , , deliveries]) => [id, Number(deliveries)]));
  }

  /** New entries, a batch at a time, each handled before the next is read. */
  async #read(p: number, taking: number, key: string): Promise<void> {
    const leases = this.#leases!;
    const { group, consumer, count, blockMs, checkIntervalMs } = this.#s;
    let nextCheck = 0;
    while (!this.#stopped && leases.holds(p, taking) && !leases.releasing(p)) {
      if (Date.now() >= nextCheck) {
        await this.#maintain(key);
        nextCheck = Date.now() + checkIntervalMs;
      }
      const reply = await this.#cmd!.polygonPartitionRead(
        key,
        leases.leaseKey(p),
        group,
        consumer,
        String(count),
      );
      if (reply[0] === 'lost') {
        leases.lost(p, taking);
        return;
      }
      if (reply[0] === 'read') {
        const batch = reply[1]
          .filter((e): e is [string, string[]] => e[1] !== null)
          .map(([id, fields]) => ({ id, fields, deliveries: 1 }));
        if (batch.length > 0) await this.#hand({ p, taking, key, batch, claimed: false });
        continue;
      }
      // Nothing new: wait for an entry after the stream's last one (or blockMs), then read again.
      const block = await this.#block(p);
      if (this.#stopped) return;
      await block.xread('BLOCK', blockMs, 'STREAMS', key, reply[1]).catch((err: unknown) => {
        if (!this.#stopped) throw err;
      });
    }
  }

  async #block(p: number): Promise<Redis> {
    let block = this.#blocks.get(p);
    if (!block) {
      block = await this.#connect(`reader-block-${p}`);
      if (this.#stopped) block.disconnect();
      this.#blocks.set(p, block);
    }
    return block;
  }

  /** Hand a batch to the loop; resolves once it was handled (or dropped at stop). */
  #hand(item: Omit<Ready, 'done'>): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((done) => {
      this.#ready.push({ ...item, done });
      this.#wake?.();
    });
  }
}
