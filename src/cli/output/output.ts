/**
 * Line output with batching and a graceful end. Lines queued in one turn of the event loop go out
 * as one write; only whole lines are ever written, and `end()` resolves once the file's 'finish'
 * fired, so a recording stopped by Ctrl-C, --duration or --max-events is never cut mid-line.
 */
import { closeSync, createWriteStream, openSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { UsageError } from '../args.js';

interface LineWriterOptions {
  /** End the stream on `end()` (a file); otherwise only wait for it to drain (stdout). */
  owns: boolean;
  /** Wraps each write (stdout lifts the live status line around it). */
  around?: (write: () => void) => void;
  /** A write failed (disk full, EPIPE …): the writer stops writing. */
  onError?: (error: NodeJS.ErrnoException) => void;
}

export class LineWriter {
  /** Lines handed to the stream so far. */
  lines = 0;
  private pending: string[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private error: NodeJS.ErrnoException | undefined;
  private ended: Promise<void> | undefined;
  private readonly onStreamError = (err: NodeJS.ErrnoException): void => this.fail(err);

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly options: LineWriterOptions,
  ) {
    stream.on('error', this.onStreamError);
  }

  /** Queue one line (without its newline); it is written within this turn of the event loop. */
  write(line: string): void {
    if (this.error || this.ended) return;
    this.pending.push(line);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Write everything queued now, as one chunk of whole lines. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.pending.length === 0 || this.error) return;
    const chunk = this.pending.join('\n') + '\n';
    this.lines += this.pending.length;
    this.pending = [];
    const write = (): void => {
      try {
        this.stream.write(chunk);
      } catch (err) {
        this.fail(err as NodeJS.ErrnoException);
      }
    };
    if (this.options.around) this.options.around(write);
    else write();
  }

  /** Flush, then close (a file: after 'finish') or drain (stdout). Safe to call twice. */
  end(): Promise<void> {
    this.flush();
    this.ended ??= this.finish();
    return this.ended;
  }

  get failed(): NodeJS.ErrnoException | undefined {
    return this.error;
  }

  private async finish(): Promise<void> {
    if (this.error) return;
    try {
      if (this.options.owns) {
        this.stream.end();
        await finished(this.stream, { readable: false });
      } else {
        await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
        // A stream this writer does not own (stdout) outlives it: leave it as it was.
        this.stream.off('error', this.onStreamError);
      }
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException);
    }
  }

  private fail(err: NodeJS.ErrnoException): void {
    if (this.error) return;
    this.error = err;
    this.pending = [];
    this.options.onError?.(err);
  }
}

/** Open (create or truncate) an NDJSON file for writing; a bad path is the caller's mistake. */
export function openLineFile(
  path: string,
  flag: string,
  onError?: (error: NodeJS.ErrnoException) => void,
): LineWriter {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (err) {
    throw new UsageError(`${flag}: cannot write ${path}: ${(err as Error).message}`);
  }
  try {
    const stream = createWriteStream(path, { fd, highWaterMark: 1 << 16 });
    return new LineWriter(stream, { owns: true, ...(onError ? { onError } : {}) });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
