/**
 * Replay of recorded events, paced by their own timestamps (`t`, else `s` for aggregates) divided
 * by the speed, or as fast as the sockets take them with speed 'max'. Events due within the same
 * millisecond go out together; the server routes each batch to the subscribed connections.
 */
import { isWireEvent, type WireEvent } from '../protocol/codec.js';
import { eventTimeMs } from '../protocol/timestamps.js';
import { ErrorCode, PolygonStreamError } from '../errors.js';
import { invalidOption } from '../validate.js';
import type { ReplayOptions } from './simulator-types.js';

interface ReplaySink {
  deliver(events: WireEvent[]): void;
  ended(): void;
  failed(err: Error): void;
}

/** Largest batch handed to the sink at once (and, at speed 'max', between yields to I/O). */
const MAX_BATCH = 500;

export class Replayer {
  private started = false;
  private stopped = false;
  private immediate: NodeJS.Immediate | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private readonly speed: number | 'max';

  constructor(
    private readonly options: ReplayOptions,
    private readonly sink: ReplaySink,
  ) {
    const speed = options.speed ?? 1;
    if (speed !== 'max' && !(typeof speed === 'number' && speed > 0 && Number.isFinite(speed))) {
      throw invalidOption('startSimulator', 'replay.speed', "a positive number or 'max'", speed);
    }
    this.speed = speed;
  }

  /** Begin playback on the next turn of the event loop (so a whole subscribe message lands first). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.run().then(
        (complete) => {
          if (complete && !this.stopped) this.sink.ended();
        },
        (err: unknown) => {
          if (this.stopped) return;
          this.sink.failed(
            new PolygonStreamError(
              ErrorCode.ReplayError,
              `replay failed: ${String(err)}`,
              {},
              { cause: err },
            ),
          );
        },
      );
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    clearTimeout(this.sleepTimer);
    this.sleepTimer = undefined;
    this.wake?.();
  }

  /** Play every pass; true when the events ran out (not stopped). */
  private async run(): Promise<boolean> {
    const { events, loop = false } = this.options;
    // A one-shot source (generator, stream) is kept during the first pass so that it can loop.
    const keep: object[] | undefined = loop && !Array.isArray(events) ? [] : undefined;
    let source: Iterable<object> | AsyncIterable<object> = events;
    for (let pass = 0; ; pass++) {
      const played = await this.pass(source, pass === 0 ? keep : undefined);
      if (this.stopped) return false;
      if (!loop || played === 0) return true;
      if (keep) source = keep;
    }
  }

  private async pass(
    source: Iterable<object> | AsyncIterable<object>,
    keep: object[] | undefined,
  ): Promise<number> {
    let wallStart = 0;
    let first: number | undefined;
    let played = 0;
    let batch: WireEvent[] = [];
    const flush = (): void => {
      if (batch.length > 0) this.sink.deliver(batch);
      batch = [];
    };
    for await (const item of source) {
      if (this.stopped) return played;
      keep?.push(item);
      if (!isWireEvent(item) || item.ev === 'status') continue;
      played++;
      const at = this.speed === 'max' ? undefined : eventTimeMs(item);
      if (at !== undefined) {
        if (first === undefined) {
          first = at;
          wallStart = performance.now();
        }
        const wait = wallStart + (at - first) / (this.speed as number) - performance.now();
        if (wait >= 1) {
          flush();
          await this.sleep(wait);
          if (this.stopped) return played;
        }
      }
      batch.push(item);
      if (batch.length >= MAX_BATCH) {
        flush();
        await this.sleep(0);
        if (this.stopped) return played;
      }
    }
    flush();
    return played;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        this.sleepTimer = undefined;
        resolve();
      };
      this.sleepTimer = setTimeout(() => this.wake?.(), ms);
    });
  }
}
