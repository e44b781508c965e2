/**
 * RedisSink: publishes decoded events to a Redis Stream, one entry per event
 * (`ev`, `sym`, `data` = the event as JSON), so consumer groups fan the one WebSocket out to many
 * workers. `writeFrame` only queues (the socket must keep being read); one batch at a time goes to
 * Redis as a single EVALSHA that runs one XADD per event, then trims (`MAXLEN ~`). While Redis is
 * away the sink keeps at most `maxBuffer` events, drops (and counts) the rest, reconnects and
 * flushes in order. Delivery is at least once: a batch whose reply is lost with the connection is
 * sent again.
 */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { WireEvent } from '../protocol/codec.js';
import { ErrorCode, PolygonStreamError } from '../errors.js';
import { symbolOf } from '../protocol/symbols.js';
import { checkRedisUrl, closeRedis, isTransient, openRedis } from './open-redis.js';
import { redactUrlPassword } from '../redact.js';
import { duration, fn, integer, invalidOption, plainObject, string } from '../validate.js';

export interface RedisSinkOptions {
  /** `redis://[:password@]host:port[/db]`. */
  url: string;
  /** Filled into `{cluster}` in `streamKey`. */
  cluster?: string;
  /** Stream key template (default `polygon:{cluster}`). */
  streamKey?: string;
  /** Approximate trim (`XTRIM MAXLEN ~ maxLen`) after every batch; unbounded when omitted. */
  maxLen?: number;
  /** Most events held (queued + in flight) while Redis is slow or away; more are dropped. */
  maxBuffer?: number;
  /** Most events per Redis call (default 1000). */
  batchSize?: number;
  connectTimeoutMs?: number;
  /** How long `close()` waits for the buffer to reach Redis (default 5000). */
  closeTimeoutMs?: number;
  /** Runtime failures, also emitted as 'error' when someone listens. */
  onError?: (err: PolygonStreamError) => void;
}

export interface RedisSinkStats {
  /** Events Redis confirmed. */
  written: number;
  /** Events held: queued or in flight. */
  buffered: number;
  /** Events given up: past `maxBuffer`, refused by Redis, unserializable, or left at close. */
  dropped: number;
  /** Runtime errors reported (outages, overflows, refusals). */
  errors: number;
  connected: boolean;
}

export const DEFAULT_STREAM_KEY = 'polygon:{cluster}';
export const DEFAULT_MAX_BUFFER = 100_000;
const DEFAULT_BATCH_SIZE = 1_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
const RETRY_DELAY_MS = 200;

/** ARGV: maxLen ('' = no trim), then (ev, sym, data) per event. */
const XADD_BATCH = `
local key, maxlen = KEYS[1], ARGV[1]
for i = 2, #ARGV, 3 do
  redis.call('XADD', key, '*', 'ev', ARGV[i], 'sym', ARGV[i + 1], 'data', ARGV[i + 2])
end
if maxlen ~= '' then redis.call('XTRIM', key, 'MAXLEN', '~', maxlen) end
return (#ARGV - 1) / 3
`;

type BatchClient = Redis & { polygonXaddBatch(key: string, ...args: string[]): Promise<number> };

export class RedisSink extends EventEmitter {
  readonly key: string;
  readonly #url: string;
  readonly #maxLen: string;
  readonly #maxBuffer: number;
  readonly #batchSize: number;
  readonly #connectTimeoutMs: number | undefined;
  readonly #closeTimeoutMs: number;
  readonly #onError: ((err: PolygonStreamError) => void) | undefined;

  #client: BatchClient | undefined;
  #connecting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #connected = false;
  /** Queue: `#queue[#head..]`; compacted now and then. */
  #queue: WireEvent[] = [];
  #head = 0;
  #inflight: WireEvent[] = [];
  #inflightDone: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #final = false;
  #outageReported = false;
  #overflowReported = false;
  #drained: (() => void) | undefined;
  #written = 0;
  #dropped = 0;
  #errors = 0;

  constructor(given: RedisSinkOptions) {
    super();
    const options = plainObject<RedisSinkOptions>('RedisSink', 'options', given ?? null);
    checkRedisUrl(options.url, 'RedisSink');
    this.#url = options.url;
    const template = string('RedisSink', 'streamKey', options.streamKey ?? DEFAULT_STREAM_KEY);
    if (options.cluster !== undefined) string('RedisSink', 'cluster', options.cluster);
    if (options.onError !== undefined) fn('RedisSink', 'onError', options.onError);
    if (template.includes('{cluster}') && !options.cluster) {
      throw invalidOption('RedisSink', 'streamKey', 'given with the cluster option', template);
    }
    this.key = template.split('{cluster}').join(options.cluster ?? '');
    this.#maxLen = options.maxLen === undefined ? '' : String(positive(options.maxLen, 'maxLen'));
    this.#maxBuffer = positive(options.maxBuffer ?? DEFAULT_MAX_BUFFER, 'maxBuffer');
    this.#batchSize = positive(options.batchSize ?? DEFAULT_BATCH_SIZE, 'batchSize');
    this.#connectTimeoutMs =
      options.connectTimeoutMs === undefined
        ? undefined
        : duration('RedisSink', 'connectTimeoutMs', options.connectTimeoutMs, { min: 1 });
    this.#closeTimeoutMs = duration(
      'RedisSink',
      'closeTimeoutMs',
      options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
    );
    this.#onError = options.onError;
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
    const client = (await openRedis(this.#url, {
      name: 'polygon-stream:sink',
      queueing: 'none',
      connectTimeoutMs: this.#connectTimeoutMs,
      onError: (err) => this.#reportOutage(err),
    })) as BatchClient;
    client.defineCommand('polygonXaddBatch', { numberOfKeys: 1, lua: XADD_BATCH });
    client.on('ready', () => this.#onReady());
    client.on('close', () => this.#onClose());
    this.#client = client;
    if (this.#final) {
      client.disconnect();
      return;
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
        } else if (this.#buffered() >= this.#maxBuffer) {
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
      written: this.#written,
      buffered: this.#buffered(),
      dropped: this.#dropped,
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
          timer = setTimeout(resolve, this.#closeTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#final = true;
    this.#drained = undefined;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    if (client && this.#inflight.length > 0) {
      client.disconnect();
      await this.#inflightDone;
    }
    this.#dropped += this.#buffered();
    this.#queue = [];
    this.#head = 0;
    if (client) await closeRedis(client);
    this.#connected = false;
  }

  #buffered(): number {
    return this.#queue.length - this.#head + this.#inflight.length;
  }

  #take(n: number): WireEvent[] {
    const batch = this.#queue.slice(this.#head, this.#head + n);
    this.#head += batch.length;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return batch;
  }

  #requeue(batch: WireEvent[]): void {
    this.#queue = batch.concat(this.#queue.slice(this.#head));
    this.#head = 0;
  }

  #pump(): void {
    const client = this.#client;
    if (!client || !this.#connected || this.#final || this.#inflight.length > 0) return;
    if (this.#queue.length === this.#head) {
      this.#drained?.();
      return;
    }
    const batch = this.#take(this.#batchSize);
    const args: string[] = [this.#maxLen];
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
      () => this.#onWritten(),
      (err: unknown) => this.#onFailed(err),
    );
  }

  #onWritten(): void {
    this.#written += this.#inflight.length;
    this.#inflight = [];
    this.#overflowReported = false;
    this.#pump();
  }

  #onFailed(err: unknown): void {
    const batch = this.#inflight;
    this.#inflight = [];
    if (isTransient(err)) {
      // Connection lost (or Redis busy/loading): keep the batch, in order, for the next try.
      this.#requeue(batch);
      if (this.#connected) this.#retryLater();
      return;
    }
    // Redis refused the write (WRONGTYPE, OOM, NOPERM…): retrying cannot help.
    this.#dropped += batch.length;
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
    this.#outageReported = false;
    this.emit('connect');
    this.#pump();
  }

  #onClose(): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.emit('disconnect');
    if (!this.#final) this.#reportOutage(undefined);
  }

  #reportOutage(cause: Error | undefined): void {
    if (this.#outageReported || this.#final) return;
    this.#outageReported = true;
    const url = redactUrlPassword(this.#url);
    const reason = cause ? `: ${cause.message}` : '';
    this.#report(
      new PolygonStreamError(
        ErrorCode.RedisUnavailable,
        `RedisSink: lost Redis at ${url}${reason}; buffering up to ${this.#maxBuffer} events`,
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
        `RedisSink: buffer full (${this.#maxBuffer} events); dropping new events until Redis catches up`,
        { maxBuffer: this.#maxBuffer, dropped: this.#dropped },
      ),
    );
  }

  /** Count, tell onError and 'error' listeners; an unheard 'error' must not crash the process. */
  #report(err: PolygonStreamError): void {
    this.#errors++;
    try {
      this.#onError?.(err);
      if (this.listenerCount('error') > 0) this.emit('error', err);
    } catch {
      // a throwing handler must not break the sink
    }
  }
}

function positive(value: unknown, name: string): number {
  return integer('RedisSink', name, value, { min: 1 });
}
