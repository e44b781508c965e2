/**
 * `--sink redis://…` for `stream` / `record`: the data events the CLI prints and records are
 * published to a Redis Stream too, one pipelined write per WebSocket frame. The sink connects
 * before streaming (an unreachable Redis fails the command); afterwards it never holds the socket
 * up: while Redis is away it buffers up to its bound and counts what it drops.
 */
import type { WireEvent } from '../../protocol/codec.js';
import { ErrorCode, isPolygonStreamError, PolygonStreamError } from '../../errors.js';
import { DEFAULT_STREAM_KEY, RedisSink } from '../../redis/index.js';
import { partitionKey } from '../../redis/partition-keys.js';
import { redactUrlPassword } from '../../redact.js';
import { UsageError } from '../args.js';

export interface SinkFlags {
  /** `--sink`: the Redis URL. */
  sink?: string;
  /** `--stream-key`: key template (default `polygon:{cluster}`). */
  streamKey?: string;
  /** `--maxlen`: the sink's hard ceiling on the stream's length (`maxLen`). */
  maxlen?: number;
  /** `--partitions`: streams to spread the events over by symbol (`partitions`). */
  partitions?: number;
}

/** Flags that only make sense with --sink → a usage error without it. */
export function checkSinkFlags(flags: SinkFlags): void {
  if (flags.sink !== undefined) return;
  const orphan =
    flags.streamKey !== undefined
      ? '--stream-key'
      : flags.maxlen !== undefined
        ? '--maxlen'
        : flags.partitions !== undefined
          ? '--partitions'
          : '';
  if (orphan) throw new UsageError(`${orphan} needs --sink redis://host:port`);
}

export class CliSink {
  /** The data events the CLI accepted from the current frame, written when the frame ends. */
  private pending: WireEvent[] = [];
  private closed = false;

  private constructor(
    private readonly sink: RedisSink,
    readonly url: string,
    private readonly partitions: number,
  ) {}

  /** Create and connect; REDIS_UNAVAILABLE (exit 1) names the URL without its password. */
  static async open(
    flags: SinkFlags & { sink: string },
    cluster: string,
    onError: (message: string) => void,
  ): Promise<CliSink> {
    let sink: RedisSink;
    try {
      sink = new RedisSink({
        url: flags.sink,
        cluster,
        streamKey: flags.streamKey ?? DEFAULT_STREAM_KEY,
        ...(flags.maxlen === undefined ? {} : { maxLen: flags.maxlen }),
        ...(flags.partitions === undefined ? {} : { partitions: flags.partitions }),
        onError: (err) => onError(`sink [${err.code}]: ${err.message.replace(/^RedisSink: /, '')}`),
      });
    } catch (err) {
      if (isPolygonStreamError(err) && err.code === ErrorCode.InvalidOption) {
        throw new UsageError(`--sink: ${err.message.replace(/^RedisSink: /, '')}`);
      }
      throw err;
    }
    try {
      await sink.connect();
    } catch (err) {
      await sink.close();
      if (!isPolygonStreamError(err)) throw err;
      throw new PolygonStreamError(err.code, `--sink: ${err.message}`, err.details, { cause: err });
    }
    return new CliSink(sink, redactUrlPassword(flags.sink), flags.partitions ?? 1);
  }

  /** The stream written, or with --partitions n the n partition streams of the key. */
  get streams(): string {
    const { key } = this.sink;
    if (this.partitions === 1) return `stream ${key}`;
    const last = partitionKey(key, this.partitions - 1, this.partitions);
    return `streams ${partitionKey(key, 0, this.partitions)} … ${last} (${this.partitions} partitions of ${key} by symbol)`;
  }

  /** A data event the CLI counted (printed / recorded). */
  add(event: WireEvent): void {
    this.pending.push(event);
  }

  /** The frame ended: hand its accepted events to the sink in one write. */
  endFrame(): void {
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    this.sink.writeFrame(events);
  }

  /**
   * For the status line: `sink 1,234 written · 0 lost · 0 dropped` (+ buffered / down when it
   * matters). `written` is what Redis holds as far as the sink knows.
   */
  status(): string {
    const s = this.sink.stats();
    const lost = s.lost.restart + s.lost.trimmed;
    const parts = [
      `sink ${s.written.toLocaleString('en-US')} written`,
      `${lost} lost`,
      `${s.dropped} dropped`,
    ];
    if (s.buffered > 0) parts.push(`${s.buffered.toLocaleString('en-US')} buffered`);
    if (!s.connected && !this.closed) parts.push('redis down');
    return parts.join(' · ');
  }

  /** Events were lost or dropped on the way to Redis: the command exits 1. */
  get lossy(): boolean {
    const s = this.sink.stats();
    return s.lost.restart + s.lost.trimmed + s.dropped > 0;
  }

  /**
   * Flush (within the sink's close timeout) and disconnect; returns the one-line summary:
   * `sink: N written, L lost (R restart, T trimmed unread), D dropped (M refused for memory)`,
   * the parts in parentheses only when not zero.
   */
  async close(): Promise<string> {
    this.endFrame();
    await this.sink.close();
    this.closed = true;
    const s = this.sink.stats();
    const lost = s.lost.restart + s.lost.trimmed;
    const lostBy = lost > 0 ? ` (${s.lost.restart} restart, ${s.lost.trimmed} trimmed unread)` : '';
    const memory = s.droppedForMemory > 0 ? ` (${s.droppedForMemory} refused for memory)` : '';
    return `sink: ${s.written} written, ${lost} lost${lostBy}, ${s.dropped} dropped${memory}`;
  }
}
