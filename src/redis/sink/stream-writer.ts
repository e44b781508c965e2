/**
 * RedisSink's writer of one stream (sink.ts: the sink itself with `partitions` 1, each partition's
 * writer otherwise). Entry format v2: one entry per frame (`n` = its number of events, `data` =
 * their JSON array, in delivery order); a frame larger than `entryEvents` is split, and frames
 * queued behind a busy Redis are merged up to it (frame-queue.ts). `writeFrame` only queues (the
 * socket must keep being read); each batch of entries goes to Redis as a single EVALSHA that runs
 * one XADD per entry (sink-scripts.ts), with up to `maxInFlight` batches pipelined on the one
 * connection (Redis answers them in order). While Redis is slow or away the writer holds at most
 * `maxBuffer` events (queued + in flight), drops (and counts) the rest, reconnects and flushes in
 * order. Delivery is at least once: when the connection fails, every batch in flight goes back to
 * the front of the queue, in order, and is sent again (those Redis had applied are then in twice).
 *
 * Nothing is lost without a report: after every reconnect, before writing again, the writer
 * compares the stream's last id with its own (WrittenLog) and reports what a restart or rollback
 * took (REDIS_DATA_LOST); every `trimIntervalMs` it trims only what every consumer group has
 * handled; the `maxLen` ceiling reports what it trims unread (REDIS_TRIMMED_UNREAD); memory
 * refusals are one episode (REDIS_MEMORY_FULL). Its events ('connect', 'disconnect') and reports
 * ('error', report.ts) go out on the RedisSink that owns it.
 */
import type { EventEmitter } from 'node:events';
import type { WireEvent } from '../../protocol/codec.js';
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import {
  closeRedis,
  isTransient,
  onNodeClose,
  openRedis,
  type RedisConnection as Redis,
} from '../open-redis.js';
import { encodeEntries } from './encode-entries.js';
import { FrameQueue } from './frame-queue.js';
import { InFlightWindow, type InFlight } from './in-flight.js';
import { isOutOfMemory, MemoryEpisode } from './memory-episode.js';
import { reportError } from '../report.js';
import type { RedisSinkStats, SinkSettings } from './sink-options.js';
import { TRIM_HANDLED, XADD_BATCH } from './sink-scripts.js';
import { RestartCheck } from './restart-check.js';
import {
  outageReport,
  overflowReport,
  refusedReport,
  trimmedUnreadReport,
  unserializableReport,
} from './sink-reports.js';
import { WrittenLog } from './written-log.js';
import { redactUrlPassword } from '../../redact.js';

const RETRY_DELAY_MS = 200;

/** XADD_BATCH's reply: first id, last id, trimmed unread (events, entries), groups, first id kept. */
type BatchReply = [string, string, number, number, number, string];
/** TRIM_HANDLED's reply: trimmed, groups, first id kept. */
type TrimReply = [number, number, string];
type BatchClient = Redis & {
  polygonXaddBatch(key: string, ...args: string[]): Promise<BatchReply>;
  polygonTrimHandled(key: string): Promise<TrimReply>;
};

export class StreamWriter {
  readonly key: string;
  readonly #owner: EventEmitter;
  readonly #o: SinkSettings;
  readonly #log = new WrittenLog();
  readonly #memory = new MemoryEpisode('RedisSink');

  #client: BatchClient | undefined;
  #connecting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #connected = false;
  readonly #queue = new FrameQueue();
  readonly #inflight = new InFlightWindow();
  #retryTimer: NodeJS.Timeout | undefined;
  #trimTimer: NodeJS.Timeout | undefined;
  #trimming = false;
  /** After every (re)connect, before writing: what a restart or rollback took. */
  readonly #check: RestartCheck;
  #closed = false;
  #final = false;
  #outageReported = false;
  #overflowReported = false;
  #drained: (() => void) | undefined;
  #confirmed = 0;
  #lostRestart = 0;
  #lostTrimmed = 0;
  #dropped = 0;
  #droppedForMemory = 0;
  #errors = 0;

  /** `owner`: the RedisSink the user holds, which emits the events and the reports. */
  constructor(owner: EventEmitter, settings: SinkSettings) {
    this.#owner = owner;
    this.#o = settings;
    this.key = settings.key;
    this.#check = new RestartCheck(
      {
        key: this.key,
        connected: () => this.#connected,
        writing: (client) => !this.#final && client === this.#client,
        settled: () => this.#inflight.settled(),
        lost: (loss) => {
          this.#lostRestart += loss.details.lost as number;
          this.#report(loss);
        },
        checked: () => this.#pump(),
      },
      this.#log,
      RETRY_DELAY_MS,
    );
  }

  /** RedisSink.connect. */
  connect(): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new PolygonStreamError(ErrorCode.ClientClosed, 'RedisSink: connect() after close()'),
      );
    }
    this.#connecting ??= this.#open();
    return this.#connecting;
  }

  async #open(): Promise<void> {
    const client = (await openRedis(this.#o.url, {
      name: 'polygon-stream:sink',
      queueing: 'none',
      connectTimeoutMs: this.#o.connectTimeoutMs,
      onError: (err) => this.#reportOutage(err),
    })) as BatchClient;
    client.defineCommand('polygonXaddBatch', { numberOfKeys: 1, lua: XADD_BATCH });
    client.defineCommand('polygonTrimHandled', { numberOfKeys: 1, lua: TRIM_HANDLED });
    client.on('ready', () => this.#onReady());
    client.on('close', () => this.#onClose());
    onNodeClose(client, () => this.#onNodeClose());
    this.#client = client;
    if (this.#final) {
      client.disconnect();
      return;
    }
    if (this.#o.trimIntervalMs > 0) {
      this.#trimTimer = setInterval(() => void this.#trim(), this.#o.trimIntervalMs);
      this.#trimTimer.unref();
    }
    this.#onReady();
  }

  /** RedisSink.writeFrame: queues a copy of the frame's events, then sends what the window allows. */
  writeFrame(events: readonly WireEvent[]): void {
    try {
      const frame: WireEvent[] = [];
      for (const event of events) {
        if (typeof event !== 'object' || event === null || typeof event.ev !== 'string') {
          this.#dropped++;
        } else if (event.ev !== 'status') {
          frame.push(event);
        }
      }
      if (frame.length === 0) return;
      const room = this.#final ? 0 : this.#o.maxBuffer - this.#buffered();
      if (frame.length > room) {
        this.#dropped += frame.length - Math.max(room, 0);
        if (!this.#final) this.#reportOverflow();
        if (room <= 0) return;
        frame.length = room;
      }
      this.#queue.push(frame);
      this.#pump();
    } catch (err) {
      this.#report(
        new PolygonStreamError(
          ErrorCode.SinkOverflow,
          'RedisSink: writeFrame failed',
          {},
          { cause: err },
        ),
      );
    }
  }

  stats(): RedisSinkStats {
    return {
      written: this.#confirmed - this.#lostRestart - this.#lostTrimmed,
      lost: { restart: this.#lostRestart, trimmed: this.#lostTrimmed },
      buffered: this.#buffered(),
      dropped: this.#dropped,
      droppedForMemory: this.#droppedForMemory,
      errors: this.#errors,
      connected: this.#connected,
    };
  }

  /** RedisSink.close. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    if (this.#connecting) await this.#connecting.catch(() => undefined);
    if (this.#buffered() > 0 && this.#client) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          this.#drained = resolve;
          this.#pump();
        }),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.#o.closeTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#final = true;
    this.#drained = undefined;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#trimTimer);
    this.#check.stop();
    const summary = this.#memory.end('closed');
    if (summary) this.#report(summary);
    const client = this.#client;
    if (client && this.#inflight.size > 0) {
      const settled = this.#inflight.settled();
      client.disconnect();
      await settled;
    }
    this.#dropped += this.#buffered();
    this.#queue.clear();
    if (client) await closeRedis(client);
    this.#connected = false;
  }

  #buffered(): number {
    return this.#queue.length + this.#inflight.events;
  }

  /** Send batches while the window has room. */
  #pump(): void {
    const client = this.#client;
    if (!client || !this.#connected || !this.#check.passed || this.#final) return;
    const { batchSize, entryEvents, maxInFlight } = this.#o;
    while (this.#inflight.size < maxInFlight && this.#queue.length > 0) {
      const encoded = encodeEntries(
        this.#queue.take(batchSize, Math.min(entryEvents, batchSize)),
        (event, err) => this.#unserializable(event, err),
      );
      if (encoded.events === 0) continue;
      const batch = this.#inflight.add(encoded.entries, encoded.events);
      batch.done = client.polygonXaddBatch(this.key, this.#o.maxLen, ...encoded.args).then(
        (reply) => this.#onWritten(batch, reply),
        (err: unknown) => this.#onFailed(batch, err),
      );
    }
    if (this.#inflight.size === 0 && this.#queue.length === 0) this.#drained?.();
  }

  #unserializable(event: WireEvent, err: unknown): void {
    this.#dropped++;
    this.#report(unserializableReport(event, err));
  }

  #onWritten(batch: InFlight, reply: BatchReply): void {
    const [first, last, unread, unreadEntries, groups, kept] = reply;
    if (!this.#inflight.isStale(batch)) {
      this.#inflight.settle(batch);
      this.#confirmed += batch.events;
      this.#log.record(first, last, batch.events);
      this.#overflowReported = false;
      const recovered = this.#memory.end('recovered');
      if (recovered) this.#report(recovered);
    }
    // A stale batch (requeued after the connection failed, yet applied) is counted when its copy
    // is written; what its ceiling trimmed is gone all the same.
    if (kept !== '') this.#log.trimmedBefore(kept);
    if (unread > 0) this.#reportTrimmedUnread(unread, unreadEntries, groups);
    this.#pump();
  }

  #reportTrimmedUnread(trimmed: number, entries: number, groups: number): void {
    this.#lostTrimmed += trimmed;
    const maxLen = Number(this.#o.maxLen);
    this.#report(trimmedUnreadReport(this.key, maxLen, trimmed, entries, groups));
  }

  /** Trim what every group has handled (the schedule); failures wait for the next tick. */
  async #trim(): Promise<void> {
    const client = this.#client;
    if (!client || !this.#connected || !this.#check.passed || this.#trimming || this.#final) {
      return;
    }
    this.#trimming = true;
    try {
      const [, , kept] = await client.polygonTrimHandled(this.key);
      this.#log.trimmedBefore(kept === '' ? undefined : kept);
    } catch {
      // Redis away or busy: the next tick tries again (an outage is reported by the connection).
    } finally {
      this.#trimming = false;
    }
  }

  #onFailed(batch: InFlight, err: unknown): void {
    if (this.#inflight.isStale(batch)) return; // already requeued with the others
    if (isTransient(err)) {
      // Connection lost (or Redis busy/loading): every batch in flight goes back, in order, for
      // the next try; their late replies are stale.
      this.#queue.requeue(this.#inflight.takeAll());
      if (this.#connected) this.#retryLater();
      return;
    }
    // Redis refused the write (WRONGTYPE, OOM, NOPERM…): retrying cannot help.
    this.#inflight.settle(batch);
    this.#dropped += batch.events;
    if (isOutOfMemory(err)) {
      this.#droppedForMemory += batch.events;
      const start = this.#memory.refused(batch.events, err as Error);
      if (start) this.#report(start);
      this.#pump();
      return;
    }
    this.#report(refusedReport(this.key, batch.events, err as Error));
    this.#pump();
  }

  #retryLater(): void {
    if (this.#retryTimer || this.#final) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#pump();
    }, RETRY_DELAY_MS);
    this.#retryTimer.unref();
  }

  #onReady(): void {
    if (this.#final) return;
    this.#connected = true;
    this.#check.reset();
    this.#outageReported = false;
    this.#owner.emit('connect');
    if (this.#client) void this.#check.run(this.#client);
  }

  /** Cluster: one node's connection closed while the cluster stays up (RestartCheck.nodeLost). */
  #onNodeClose(): void {
    if (!this.#connected || this.#final || !this.#client) return;
    if (this.#check.nodeLost(this.#client)) this.#outageReported = false;
  }

  #onClose(): void {
    this.#check.connectionLost();
    if (!this.#connected) return;
    this.#connected = false;
    this.#owner.emit('disconnect');
    if (!this.#final) this.#reportOutage(undefined);
  }

  #reportOutage(cause: Error | undefined): void {
    if (this.#outageReported || this.#final) return;
    this.#outageReported = true;
    const url = redactUrlPassword(this.#o.url);
    this.#report(outageReport(url, cause, this.#o.maxBuffer, this.#buffered()));
  }

  #reportOverflow(): void {
    if (this.#overflowReported) return;
    this.#overflowReported = true;
    this.#report(overflowReport(this.#o.maxBuffer, this.#dropped));
  }

  /** Count and report: onError, 'error' listeners, else a warning on the logger (never silent). */
  #report(err: PolygonStreamError): void {
    this.#errors++;
    reportError(this.#owner, this.#o.onError, this.#o.logger, err);
  }
}
