/**
 * The stats line on stderr: redrawn in place ~4×/s on a TTY, or one plain line per second when
 * asked for with --stats on a pipe. Messages and stdout lines that share the terminal go through
 * `above()`, which lifts the line, prints, and draws it again.
 */
import type { ClientFigures, LinkFigures } from './link.js';

const CLEAR = '\r\x1b[2K';

interface StatusLineOptions {
  /** Where the line goes (stderr). */
  stream: NodeJS.WritableStream & { columns?: number };
  /** The figures now, as one line (see formatStats, formatProgress). */
  text: () => string;
  /** What a plain line starts with (`stats: `, `record: `); default 'stats'. */
  label?: string;
  /** true: redraw in place (TTY); false: a plain line per interval. */
  live: boolean;
  /** Default 250 ms live, 1000 ms plain. */
  intervalMs?: number;
}

function ms(value: number): string {
  return Math.abs(value) >= 10_000 ? `${(value / 1000).toFixed(1)}s` : `${Math.round(value)}ms`;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** `1 reconnect`, or `1 reconnect (3 attempts)` when the attempts were more. */
function reconnects(link: LinkFigures): string {
  const text = plural(link.reconnects, 'reconnect');
  return link.attempts > link.reconnects ? `${text} (${plural(link.attempts, 'attempt')})` : text;
}

function tail(link: LinkFigures, client: ClientFigures): string[] {
  const latency = client.latencyMs;
  return [
    reconnects(link),
    ...(client.backfilled === undefined
      ? []
      : [
          `${client.backfilled.toLocaleString('en-US')} backfilled` +
            (client.partialFills ? ` (${plural(client.partialFills, 'partial fill')})` : ''),
        ]),
    ...(client.catchUp === undefined ? [] : [catchUp(client.catchUp)]),
    plural(client.dropped, 'drop'),
    latency ? `latency p50 ${ms(latency.p50)} p99 ${ms(latency.p99)}` : 'latency -',
  ];
}

/** `catching up 1/3 topics` until each got its caughtUp, then `caught up 3/3 (1 partial)`. */
function catchUp(c: NonNullable<ClientFigures['catchUp']>): string {
  const partial = c.partial > 0 ? ` (${c.partial} partial)` : '';
  const done = c.caughtUp >= c.topics;
  return `${done ? 'caught up' : 'catching up'} ${c.caughtUp}/${c.topics} topics${partial}`;
}

/** The rate while live; otherwise how long nothing has arrived. */
function rate(link: LinkFigures): string {
  const r = link.eventsPerSecond;
  return link.live
    ? `${r >= 100 ? Math.round(r) : r.toFixed(1)} ev/s`
    : `no data ${(link.quietMs / 1000).toFixed(1)}s`;
}

/**
 * The state first, then the rate — only while live: otherwise how long nothing has arrived —
 * and the totals: `live · 201 ev/s · 1,234 events · 0 reconnects · 0 drops · latency p50 2ms p99
 * 11ms`, or `reconnecting 2/20 · no data 4.2s · 1,234 events · 0 reconnects (2 attempts) · …`.
 */
export function formatStats(link: LinkFigures, client: ClientFigures): string {
  return [link.state, rate(link), plural(link.events, 'event'), ...tail(link, client)].join(' · ');
}

/** `record`'s progress: `live · 12,345 events written to day.ndjson · 2,000 ev/s`. */
export function formatProgress(link: LinkFigures, written: number, file: string): string {
  return [link.state, `${plural(written, 'event')} written to ${file}`, rate(link)].join(' · ');
}

/** The line printed at exit: `1,234 events in 12.0s · 1 reconnect (3 attempts) · 0 drops · …`. */
export function formatSummary(link: LinkFigures, client: ClientFigures): string {
  const took = `${plural(link.events, 'event')} in ${(link.uptimeMs / 1000).toFixed(1)}s`;
  return [took, ...tail(link, client)].join(' · ');
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

  /** Stop refreshing; a live line is erased. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
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
    else this.options.stream.write(`${this.options.label ?? 'stats'}: ${this.options.text()}\n`);
  }

  /** Draw the line: fresh figures, or (`fresh` false) the last text again. */
  private draw(fresh = true): void {
    if (fresh || this.text === '') this.text = this.options.text();
    let text = this.text;
    const columns = this.options.stream.columns;
    if (columns !== undefined && columns > 1 && text.length >= columns) {
      text = text.slice(0, columns - 1);
    }
    this.options.stream.write(CLEAR + text);
    this.drawn = true;
  }

  private clear(): void {
    if (!this.drawn) return;
    this.options.stream.write(CLEAR);
    this.drawn = false;
  }
}
