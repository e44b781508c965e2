/**
 * MemoryEpisode: Redis refusing writes for memory (`OOM command not allowed when used memory >
 * 'maxmemory'`) is one episode, from the first refused batch to the next accepted one (or close):
 * one REDIS_MEMORY_FULL report when it starts, one when it ends with the events refused during it.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';

export function isOutOfMemory(err: unknown): boolean {
  return err instanceof Error && /\bOOM\b/.test(err.message);
}

export class MemoryEpisode {
  readonly #what: string;
  #since: number | undefined;
  #dropped = 0;

  constructor(what: string) {
    this.#what = what;
  }

  get active(): boolean {
    return this.#since !== undefined;
  }

  /** A batch of `events` was refused for memory; returns the report when this starts an episode. */
  refused(events: number, err: Error): PolygonStreamError | undefined {
    this.#dropped += events;
    if (this.#since !== undefined) return undefined;
    this.#since = Date.now();
    return new PolygonStreamError(
      ErrorCode.RedisMemoryFull,
      `${this.#what}: Redis refused writes for memory (${err.message.split('.')[0]}); dropping events until it accepts them again`,
      { phase: 'start', dropped: events },
      { cause: err },
    );
  }

  /** Redis accepted a write again (or the sink closes): the summary, when an episode was on. */
  end(how: 'recovered' | 'closed'): PolygonStreamError | undefined {
    if (this.#since === undefined) return undefined;
    const ms = Date.now() - this.#since;
    const dropped = this.#dropped;
    this.#since = undefined;
    this.#dropped = 0;
    const end = how === 'recovered' ? 'Redis accepts writes again' : 'closed while Redis was full';
    return new PolygonStreamError(
      ErrorCode.RedisMemoryFull,
      `${this.#what}: ${end} after ${ms} ms refusing them for memory; ${dropped} events dropped`,
      { phase: 'end', dropped, ms },
    );
  }
}
