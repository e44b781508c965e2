/**
 * The stats line on stderr: redrawn in place ~4×/s on a TTY, or one plain line per second when
 * asked for with --stats on a pipe. Messages and stdout lines that share the terminal go through
 * `above()`, which lifts the line, prints, and draws it again.
 */
import type { StatsSnapshot } from '../client/stats.js';

const CLEAR = '\r\x1b[2K';

export interface StatusLineOptions {
  /** Where the line goes (stderr). */
  stream: NodeJS.WritableStream & { columns?: number };
  snapshot: () => StatsSnapshot;
  /** true: redraw in place (TTY); false: a plain line per interval. */
  live: boolean;
  /** More figures appended to the line (the Redis sink's). */
  extra?: () => string;
  /** Default 250 ms live, 1000 ms plain. */
  intervalMs?: number;
}

function ms(value: number): string {
  return Math.abs(value) >= 10_000 ? `${(value / 1000).toFixed(1)}s` : `${Math.round(value)}ms`;
}

/** `201.3 ev/s · 1,234 events · 0 reconnects · 0 drops · latency p50 2ms p99 11ms`. */
export function formatStats(s: StatsSnapshot): string {
  const rate =
    s.eventsPerSecond >= 100 ? Math.round(s.eventsPerSecond) : s.eventsPerSecond.toFixed(1);
  const parts = [
    `${rate} ev/s`,
    `${s.events.toLocaleString('en-US')} events`,
    `${s.reconnects} reconnect${s.reconnects === 1 ? '' : 's'}`,
    `${s.dropped} drop${s.dropped === 1 ? '' : 's'}`,
    s.latencyMs ? `latency p50 ${ms(s.latencyMs.p50)} p99 ${ms(s.latencyMs.p99)}` : 'latency -',
  ];
  return parts.join(' · ');
}

export class StatusLine {
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;
  private text = '';
  private readonly intervalMs: number;

  constructor(private readonly options: StatusLineOptions) {
    this.intervalMs = options.intervalMs ?? (options.live ? 250 : 1000);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stop refreshing; a live line is erased (call `final()` for a last plain line). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  /** The current figures as one plain line (for a summary at exit). */
  final(): string {
    return this.line();
  }

  /** Run `print` (which writes to the terminal) with the live line lifted out of the way. */
  above(print: () => void): void {
    const wasDrawn = this.drawn;
    this.clear();
    print();
    if (wasDrawn && this.timer) this.draw(false);
  }

  private tick(): void {
    if (this.options.live) this.draw();
    else this.options.stream.write(`stats: ${this.line()}\n`);
  }

  /** Draw the line: fresh figures, or (`fresh` false) the last text again. */
  private draw(fresh = true): void {
    if (fresh || this.text === '') this.text = this.line();
    let text = this.text;
    const columns = this.options.stream.columns;
    if (columns !== undefined && columns > 1 && text.length >= columns) {
      text = text.slice(0, columns - 1);
    }
    this.options.stream.write(CLEAR + text);
    this.drawn = true;
  }

  private line(): string {
    const stats = formatStats(this.options.snapshot());
    return this.options.extra ? `${stats} · ${this.options.extra()}` : stats;
  }

  private clear(): void {
    if (!this.drawn) return;
    this.options.stream.write(CLEAR);
    this.drawn = false;
  }
}
