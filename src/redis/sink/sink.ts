/**
 * RedisSink: publishes decoded events to a Redis Stream, one entry per event
 * (`ev`, `sym`, `data` = the event as JSON), so consumer groups fan the one WebSocket out to many
 * workers. `writeFrame` only queues (the socket must keep being read); one batch at a time goes to
 * Redis as a single EVALSHA that runs one XADD per event (sink-scripts.ts). While Redis is away the
 * sink keeps at most `maxBuffer` events, drops (and counts) the rest, reconnects and flushes in
 * order. Delivery is at least once: a batch whose reply is lost with the connection is sent again.
 *
 * Nothing is lost without a report: after every reconnect, before writing again, the sink compares
 * the stream's last id with its own (WrittenLog) and reports what a restart or rollback took
 * (REDIS_DATA_LOST); every `trimIntervalMs` it trims only what every consumer group has handled;
 * the `maxLen` ceiling reports what it trims unread (REDIS_TRIMMED_UNREAD); memory refusals are one
 * episode (REDIS_MEMORY_FULL).
 */
import { EventEmitter } from 'node:events';
import type { WireEvent } from '../../protocol/codec.js';
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import { symbolOf } from '../../protocol/symbols.js';
import {
  closeRedis,
  isTransient,
  onNodeClose,
  openRedis,
  type RedisConnection as Redis,
} from '../open-redis.js';
import { EventQueue } from './event-queue.js';
import { isOutOfMemory, MemoryEpisode } from './memory-episode.js';
import { reportError } from '../report.js';
import {
  sinkSettings,
  type RedisSinkOptions,
  type RedisSinkStats,
  type SinkSettings,
} from './sink-options.js';
import { TRIM_HANDLED, XADD_BATCH } from './sink-scripts.js';
import { checkForLoss, readStreamState } from './restart-check.js';
import { WrittenLog } from './written-log.js';
import { redactUrlPassword } from '../../redact.js';

export {
  DEFAULT_MAX_BUFFER,
  DEFAULT_STREAM_KEY,
  type RedisSinkOptions,
  type RedisSinkStats,
} from './sink-options.js';

const RETRY_DELAY_MS = 200;

/** XADD_BATCH's reply: first id, last id, trimmed unread, groups, first id kept. */
type BatchReply = [string, string, number, number, string];
/** TRIM_HANDLED's reply: trimmed, groups, first id kept. */
type TrimReply = [number, number, string];
type BatchClient = Redis & {
  polygonXaddBatch(key: string, ...args: string[]): Promise<BatchReply>;
  polygonTrimHandled(key: string): Promise<TrimReply>;
};

export class RedisSink extends EventEmitter {
  readonly key: string;
  readonly #o: SinkSettings;
  readonly #log = new WrittenLog();
  readonly #memory = new MemoryEpisode('RedisSink');

  #client: BatchClient | undefined;
  #connecting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #connected = false;
  readonly #queue = new EventQueue();
  #inflight: WireEvent[] = [];
  #inflightDone: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #trimTimer: NodeJS.Timeout | undefined;
  #verifyTimer: NodeJS.Timeout | undefined;
  #trimming = false;
  /** Redis checked since the last (re)connect: writing may go on. */
  #verified = false;
  /** Bumped by every lost connection (a Cluster's: to any node): a check begun before proves nothing. */
  #lostConnections = 0;
  /** A check is running: at most one at a time (it checks again when it proved nothing). */
  #verifying = false;
  #runId: string | undefined;
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

  constructor(given: RedisSinkOptions) {
    super();
    this.#o = sinkSettings(given);
    this.key = this.#o.key;
  }

  /** Connect once; rejects with REDIS_UNAVAILABLE when Redis does not answer. */
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

  /**
   * Queue one frame's events for Redis. Never blocks, never throws; status events are skipped.
   * Events are serialized when their batch is sent: do not mutate them afterwards.
   */
  writeFrame(events: readonly WireEvent[]): void {
    try {
      for (const event of events) {
        if (typeof event !== 'object' || event === null || typeof event.ev !== 'string') {
          this.#dropped++;
          continue;
        }
        if (event.ev === 'status') continue;
        if (this.#final) {
          this.#dropped++;
        } else if (this.#buffered() >= this.#o.maxBuffer) {
          this.#dropped++;
          this.#reportOverflow();
        } else {
          this.#queue.push(event);
        }
      }
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

  /**
   * Stop accepting events, wait up to `closeTimeoutMs` for the buffer to reach Redis (through a
   * reconnect if need be), count whatever is left as dropped, and quit.
   */
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
    clearTimeout(this.#verifyTimer);
    const summary = this.#memory.end('closed');
    if (summary) this.#report(summary);
    const client = this.#client;
    if (client && this.#inflight.length > 0) {
      client.disconnect();
      await this.#inflightDone;
    }
    this.#dropped += this.#buffered();
    this.#queue.clear();
    if (client) await closeRedis(client);
    this.#connected = false;
  }

  #buffered(): number {
    return this.#queue.length + this.#inflight.length;
  }

  #pump(): void {
    const client = this.#client;
    if (!client || !this.#connected || !this.#verified || this.#final) return;
    if (this.#inflight.length > 0) return;
    if (this.#queue.length === 0) {
      this.#drained?.();
      return;
    }
    const batch = this.#queue.take(this.#o.batchSize);
    const args: string[] = [this.#o.maxLen];
    const sent: WireEvent[] = [];
    for (const event of batch) {
      let data: string;
      try {
        data = JSON.stringify(event);
      } catch (err) {
        this.#dropped++;
        this.#report(
          new PolygonStreamError(
            ErrorCode.SinkOverflow,
            `RedisSink: event ${event.ev} is not serializable; dropped`,
            { ev: event.ev },
            { cause: err },
          ),
        );
        continue;
      }
      args.push(event.ev, symbolOf(event) ?? '', data);
      sent.push(event);
    }
    if (sent.length === 0) {
      this.#pump();
      return;
    }
    this.#inflight = sent;
    this.#inflightDone = client.polygonXaddBatch(this.key, ...args).then(
      (reply) => this.#onWritten(reply),
      (err: unknown) => this.#onFailed(err),
    );
  }

  #onWritten([first, last, unread, groups, kept]: BatchReply): void {
    const count = this.#inflight.length;
    this.#confirmed += count;
    this.#log.record(first, last, count);
    this.#inflight = [];
    this.#overflowReported = false;
    const recovered = this.#memory.end('recovered');
    if (recovered) this.#report(recovered);
    if (kept !== '') this.#log.trimmedBefore(kept);
    if (unread > 0) this.#reportTrimmedUnread(unread, groups);
    this.#pump();
  }

  #reportTrimmedUnread(trimmed: number, groups: number): void {
    this.#lostTrimmed += trimmed;
    const who =
      groups === 0
        ? 'nobody had read (the stream has no consumer group)'
        : `some of its ${groups} consumer groups had not read or acknowledged`;
    this.#report(
      new PolygonStreamError(
        ErrorCode.RedisTrimmedUnread,
        `RedisSink: the maxLen ceiling (${this.#o.maxLen}) trimmed ${trimmed} entries of ${this.key} that ${who}`,
        { key: this.key, trimmed, groups, maxLen: Number(this.#o.maxLen) },
      ),
    );
  }

  /** Trim what every group has handled (the schedule); failures wait for the next tick. */
  async #trim(): Promise<void> {
    const client = this.#client;
    if (!client || !this.#connected || !this.#verified || this.#trimming || this.#final) return;
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

  /**
   * After a (re)connect (or a lost Cluster node connection), before writing: did Redis come back
   * empty or rolled back? Count and report what it no longer holds of what the sink wrote, then
   * let writing go on.
   */
  async #verify(client: BatchClient): Promise<void> {
    if (this.#verifying) return;
    this.#verifying = true;
    const lost = this.#lostConnections;
    let state;
    try {
      // A write in flight (to a Cluster node that stayed up) would land after the stream was read.
      await this.#inflightDone;
      state = await readStreamState(client, this.key);
    } catch {
      // Lost again (or refused): the next 'ready' checks again; until then nothing is written.
      if (this.#connected) this.#retryVerify(client);
      return;
    } finally {
      this.#verifying = false;
    }
    if (this.#final || client !== this.#client) return;
    if (lost !== this.#lostConnections) {
      this.#retryVerify(client);
      return;
    }
    const loss = checkForLoss(this.key, state, this.#runId, this.#log);
    this.#runId = state.runId;
    if (loss) {
      this.#lostRestart += loss.details.lost as number;
      this.#report(loss);
    }
    this.#verified = true;
    this.#pump();
  }

  #retryVerify(client: BatchClient): void {
    clearTimeout(this.#verifyTimer);
    this.#verifyTimer = setTimeout(() => {
      if (this.#connected && !this.#verified && !this.#final) void this.#verify(client);
    }, RETRY_DELAY_MS);
    this.#verifyTimer.unref();
  }

  #onFailed(err: unknown): void {
    const batch = this.#inflight;
    this.#inflight = [];
    if (isTransient(err)) {
      // Connection lost (or Redis busy/loading): keep the batch, in order, for the next try.
      this.#queue.requeue(batch);
      if (this.#connected) this.#retryLater();
      return;
    }
    // Redis refused the write (WRONGTYPE, OOM, NOPERM…): retrying cannot help.
    this.#dropped += batch.length;
    if (isOutOfMemory(err)) {
      this.#droppedForMemory += batch.length;
      const start = this.#memory.refused(batch.length, err as Error);
      if (start) this.#report(start);
      this.#pump();
      return;
    }
    this.#report(
      new PolygonStreamError(
        ErrorCode.RedisUnavailable,
        `RedisSink: Redis refused ${batch.length} events on ${this.key}: ${(err as Error).message}`,
        { key: this.key, events: batch.length },
        { cause: err },
      ),
    );
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
    this.#verified = false;
    this.#outageReported = false;
    this.emit('connect');
    if (this.#client) void this.#verify(this.#client);
  }

  /**
   * Cluster: one node's connection closed while the cluster stays up. The node may come back as a
   * server that lost its data: stop writing and check the stream (on the node owning it) again.
   */
  #onNodeClose(): void {
    if (!this.#connected || this.#final || !this.#client) return;
    this.#lostConnections++;
    if (this.#verified) {
      this.#verified = false;
      this.#outageReported = false;
    }
    this.#retryVerify(this.#client);
  }

  #onClose(): void {
    this.#lostConnections++;
    if (!this.#connected) return;
    this.#connected = false;
    this.emit('disconnect');
    if (!this.#final) this.#reportOutage(undefined);
  }

  #reportOutage(cause: Error | undefined): void {
    if (this.#outageReported || this.#final) return;
    this.#outageReported = true;
    const url = redactUrlPassword(this.#o.url);
    const reason = cause ? `: ${cause.message}` : '';
    this.#report(
      new PolygonStreamError(
        ErrorCode.RedisUnavailable,
        `RedisSink: lost Redis at ${url}${reason}; buffering up to ${this.#o.maxBuffer} events`,
        { url, buffered: this.#buffered() },
        cause ? { cause } : undefined,
      ),
    );
  }

  #reportOverflow(): void {
    if (this.#overflowReported) return;
    this.#overflowReported = true;
    this.#report(
      new PolygonStreamError(
        ErrorCode.SinkOverflow,
        `RedisSink: buffer full (${this.#o.maxBuffer} events); dropping new events until Redis catches up`,
        { maxBuffer: this.#o.maxBuffer, dropped: this.#dropped },
      ),
    );
  }

  /** Count and report: onError, 'error' listeners, else a warning on the logger (never silent). */
  #report(err: PolygonStreamError): void {
    this.#errors++;
    reportError(this, this.#o.onError, this.#o.logger, err);
  }
}
