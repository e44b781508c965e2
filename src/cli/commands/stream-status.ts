/**
 * The status of a `stream` / `record` run on stderr: record's progress line (events written,
 * file, rate) or the stats line (live on a TTY, or each second with --stats), the `--backfill`
 * and `--from` tallies it shows, the notes printed out of its way, and the summary at the end.
 */
import type { StreamClient } from '../../client/stream-client.js';
import type { BackfillReport, CaughtUp } from '../../client/delivery/lifecycle.js';
import type { ClientFigures, LinkWatch } from '../output/link.js';
import { formatProgress, formatStats, formatSummary, StatusLine } from '../output/status-line.js';

export interface StreamStatusOptions {
  stderr: NodeJS.WriteStream;
  link: LinkWatch;
  /** true: --stats, false: --no-stats, undefined: live line on a TTY only. */
  stats: boolean | undefined;
  /** `record`: a progress line instead of the stats line unless --stats / --no-stats. */
  progress: boolean | undefined;
  /** `--backfill`: the figures count what REST history delivered. */
  backfill: boolean | undefined;
  /** `--from`: the figures say how many topics caught up. */
  from: boolean;
  /** The Redis sink's state (--sink), appended to the stats line and summary; undefined: none. */
  sinkStatus: () => string | undefined;
}

export class StreamStatus {
  private line: StatusLine | undefined;
  /** Events delivered from REST history (--backfill). */
  private backfilled = 0;
  /** Topic fills that ended partial (--backfill). */
  private partialFills = 0;
  /** With --from: topics catching up and caught up (partial: not `filled`). */
  private readonly catchUp = { topics: 0, caughtUp: 0, partial: 0 };

  constructor(private readonly options: StreamStatusOptions) {}

  /**
   * Start the line for `client`. `recording`: the file being written (`--to` or `--out`) and how
   * many events or rows it holds so far.
   */
  start(
    client: StreamClient,
    recording: { file: string; written: () => number } | undefined,
  ): void {
    const { stderr, link, stats, progress } = this.options;
    const live = stderr.isTTY === true && stats !== false;
    if (progress && stats === undefined && recording !== undefined) {
      this.line = new StatusLine({
        stream: stderr,
        text: () => formatProgress(link.figures(), recording.written(), recording.file),
        label: 'record',
        live,
      });
    } else if (live || stats === true) {
      this.line = new StatusLine({
        stream: stderr,
        text: () => {
          const line = formatStats(link.figures(), this.figures(client));
          return this.withSink(line);
        },
        live,
      });
    }
    this.line?.start();
  }

  /** Whether a line is shown (the summary is printed at the end only then). */
  get shown(): boolean {
    return this.line !== undefined;
  }

  /** Count a backfill report in the figures. */
  backfillReport(report: BackfillReport): void {
    this.backfilled += report.events;
    if (report.status === 'partial') this.partialFills++;
  }

  /** With --from: how many topics are catching up. */
  catchingUp(topics: number): void {
    this.catchUp.topics = topics;
  }

  /** Count a topic that caught up (--from). */
  caughtUp(report: CaughtUp): void {
    this.catchUp.caughtUp++;
    if (report.status !== 'filled') this.catchUp.partial++;
    this.backfilled += report.events;
  }

  /** Print out of the line's way (lift it, print, draw it again). */
  above(print: () => void): void {
    if (this.line) this.line.above(print);
    else print();
  }

  stop(): void {
    this.line?.stop();
  }

  /** The final stats line, without its label. */
  summary(client: StreamClient): string {
    return this.withSink(formatSummary(this.options.link.figures(), this.figures(client)));
  }

  private withSink(line: string): string {
    const sink = this.options.sinkStatus();
    return sink === undefined ? line : `${line} · ${sink}`;
  }

  private figures(client: StreamClient): ClientFigures {
    const stats = client.stats();
    const figures: ClientFigures = this.options.backfill
      ? { ...stats, backfilled: this.backfilled, partialFills: this.partialFills }
      : stats;
    return this.options.from ? { ...figures, catchUp: { ...this.catchUp } } : figures;
  }
}
