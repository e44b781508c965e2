/**
 * `polygon-stream stream` / `record`: connect (to Polygon.io, or to the embedded simulator when no
 * API key is given), subscribe, print events in the chosen format, optionally record NDJSON, and
 * stop gracefully on Ctrl-C, --duration or --max-events.
 */
import type { WireEvent } from '../../protocol/codec.js';
import { StreamClient } from '../../client/stream-client.js';
import { redactValue } from '../../redact.js';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { apiKeyOf } from '../args.js';
import {
  clockTime,
  type Format,
  formatJson,
  formatNdjson,
  formatPretty,
  wantColor,
} from '../output/format.js';
import { DEFAULT_RECONNECT, DEFAULTS, Host, hostWarning } from '../../index.js';
import { LinkWatch } from '../output/link.js';
import { asUsage, errorLine, gapLine } from '../messages.js';
import { LineWriter, openLineFile } from '../output/output.js';
import { checkSinkFlags, CliSink } from './cli-sink.js';
import { checkDuckDbFlags, CliDuckDb } from './cli-duckdb.js';
import { eventSource } from '../../duckdb/event-source.js';
import { StreamStatus } from './stream-status.js';
import { symbolOf } from '../../protocol/symbols.js';
import { isFuturesCluster } from '../../protocol/streams.js';
import {
  checkStreamFlags,
  defaultStreams,
  type StreamFlags,
  type StreamRequest,
} from './stream-flags.js';
import { unknownTickerNotes } from '../unknown-tickers.js';

const noop = (): void => undefined;

interface StreamIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

/** Run the stream until it is stopped; resolves with the exit code (0 stopped, 1 runtime failure). */
export async function runStream(
  flags: StreamFlags,
  requests: readonly StreamRequest[],
  io: StreamIO = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  const run = new StreamRun(flags, requests, io);
  return run.start();
}

class StreamRun {
  private client: StreamClient | undefined;
  /** The API key, masked in the statuses printed (a server may quote it). */
  private key: string | undefined;
  private sim: Simulator | undefined;
  private file: LineWriter | undefined;
  private sink: CliSink | undefined;
  /** `record --to`: the DuckDB recording. */
  private db: CliDuckDb | undefined;
  private stdout: LineWriter | undefined;
  private readonly status: StreamStatus;
  private readonly format: Format;
  private readonly color: boolean;
  private readonly errColor: boolean;
  private readonly link: LinkWatch;
  private defaultNote: string | undefined;
  private symbolWidth = 6;
  private stopping = false;
  /** Set once the stream is under way (past start-up checks): summaries are printed from then. */
  private streaming = false;
  private timer: NodeJS.Timeout | undefined;
  private done!: (code: number) => void;
  private readonly finished = new Promise<number>((resolve) => (this.done = resolve));
  private readonly signals: [NodeJS.Signals, () => void][] = [];

  constructor(
    private readonly flags: StreamFlags,
    private readonly requests: readonly StreamRequest[],
    private readonly io: StreamIO,
  ) {
    this.link = new LinkWatch(
      flags.reconnect === false ? undefined : DEFAULT_RECONNECT.maxAttempts,
    );
    const tty = io.stdout.isTTY === true;
    this.format = flags.format ?? (tty ? 'pretty' : 'ndjson');
    this.color = wantColor(tty, io.env, flags.color ?? true);
    this.errColor = wantColor(io.stderr.isTTY === true, io.env, flags.color ?? true);
    this.status = new StreamStatus({
      stderr: io.stderr,
      link: this.link,
      stats: flags.stats,
      progress: flags.progress,
      backfill: flags.backfill,
      from: flags.from !== undefined,
      sinkStatus: () => this.sink?.status(),
    });
  }

  async start(): Promise<number> {
    const { flags } = this;
    const key = apiKeyOf(flags, this.io.env);
    checkStreamFlags(flags, key);
    checkSinkFlags(flags);
    checkDuckDbFlags(flags);
    if (flags.sink !== undefined) {
      this.sink = await CliSink.open({ ...flags, sink: flags.sink }, flags.cluster, (message) =>
        this.note(message),
      );
    }
    if (flags.out !== undefined || flags.to !== undefined) {
      try {
        if (flags.to !== undefined) {
          this.db = await CliDuckDb.open({ ...flags, to: flags.to }, flags.cluster, (m) =>
            this.note(m),
          );
        }
        if (flags.out !== undefined)
          this.file = openLineFile(flags.out, '--out', (err) => {
            this.note(`error: writing ${flags.out} failed: ${err.message}`);
            void this.stop(1);
          });
      } catch (err) {
        await this.sink?.close();
        await this.db?.close().catch(noop);
        throw err;
      }
    }
    // Once the flags are checked and the files open: a mistake leaves stdout as it found it.
    if (!flags.quiet) {
      const tty = this.io.stdout.isTTY === true;
      this.stdout = new LineWriter(this.io.stdout, {
        owns: false,
        around: (write) => (tty ? this.status.above(write) : write()),
        onError: (err) => {
          // The reader went away (`| head`): stop quietly. Anything else is a failure.
          if (err.code !== 'EPIPE') this.note(`error: writing to stdout failed: ${err.message}`);
          void this.stop(err.code === 'EPIPE' ? 0 : 1);
        },
      });
    }
    try {
      let host = flags.delayed ? Host.Delayed : flags.host;
      if (key === undefined) {
        this.sim = await startSimulator({
          port: 0,
          ...(flags.simRate === undefined ? {} : { eventsPerSecond: flags.simRate }),
        });
        host = this.sim.url;
      }
      this.key = key;
      this.client = this.createClient(key ?? 'simulator', host);
      const hostNote = hostWarning(this.client.url, flags.cluster); // --verbose: in the log
      if (hostNote !== undefined && flags.verbose !== true) this.note(`warning: ${hostNote}`);
      this.subscribeAll(this.client);
      // Each topic subscribed with --from gets one caughtUp (unfilled for those without history).
      if (flags.from !== undefined) this.status.catchingUp(this.client.subscriptions().size);
      if (this.sim) {
        this.note(
          `polygon-stream: no API key (--key or POLYGON_API_KEY), so streaming simulated data from the embedded simulator at ${this.sim.url} (${flags.simRate ?? 200} events/s; --sim-rate to change)`,
        );
        const topics = this.client.subscriptions().keys();
        for (const note of unknownTickerNotes(this.sim, flags.cluster, topics)) this.note(note);
      }
      if (this.defaultNote) this.note(this.defaultNote);
      if (this.sink) {
        this.note(`polygon-stream: publishing to Redis ${this.sink.streams} at ${this.sink.url}`);
      }
    } catch (err) {
      await this.cleanup();
      throw err;
    }
    this.listen(this.client);
    this.streaming = true;
    const { db, file } = this;
    const out = db ? flags.to : flags.out;
    this.status.start(
      this.client,
      out === undefined ? undefined : { file: out, written: () => db?.rows ?? file?.lines ?? 0 },
    );
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const handler = (): void => {
        if (this.stopping) process.exit(130); // a second Ctrl-C: give up waiting
        void this.stop(0);
      };
      process.on(signal, handler);
      this.signals.push([signal, handler]);
    }
    if (flags.duration !== undefined)
      this.timer = setTimeout(() => void this.stop(0), flags.duration);
    this.client.startStreamThread().catch(noop); // failures arrive as 'close' with an error
    return this.finished;
  }

  private createClient(key: string, host: string | undefined): StreamClient {
    const reclaim =
      this.flags.onMaxConnections === 'reclaim'
        ? (this.flags.reclaimAfter ?? DEFAULTS.reclaimAfterMs)
        : undefined;
    try {
      return new StreamClient(key, this.flags.cluster, {
        ...(host === undefined ? {} : { host }),
        compression: this.flags.compression === true,
        ...(this.flags.reconnect === false ? { reconnect: false as const } : {}),
        enableConnectionLogs: this.flags.verbose === true,
        ...(this.flags.backfill ? { backfill: true } : {}),
        ...(this.flags.from === undefined ? {} : { start: this.flags.from }),
        ...(reclaim ? { onMaxConnections: 'reclaim' as const, reclaimAfterMs: reclaim } : {}),
        onError: (_client, error) => this.note(errorLine(error, reclaim) + this.retryNote()),
        onClose: noop,
      });
    } catch (err) {
      const start = (err as { details?: { option?: unknown } }).details?.option === 'start';
      throw asUsage(
        start
          ? '--from'
          : this.flags.delayed
            ? '--delayed'
            : this.flags.host
              ? '--host'
              : '--cluster',
        err,
      );
    }
  }

  /**
   * After the first connection's first failure (the client reports only that one, at once, and
   * retries without a word until firstConnectTimeoutMs): what happens next, since the retries
   * print nothing. Empty for any other error.
   */
  private retryNote(): string {
    const state = this.client?.state;
    if (this.link.wasLive || state === undefined || state === 'closed' || state === 'closing')
      return '';
    return `; retrying quietly for up to ${DEFAULTS.firstConnectTimeoutMs / 1000}s from the start`;
  }

  /** Stream flags, then --subscribe, else the cluster's default. Sent in one message on auth. */
  private subscribeAll(client: StreamClient): void {
    type Method = (s: readonly string[], o?: object) => Promise<unknown>;
    const methods = client as unknown as Record<string, Method>;
    const options = this.flags.snapshot ? { snapshot: true } : {};
    for (const request of this.requests) {
      try {
        methods[`subscribe${request.method}`]!.call(client, request.symbols, options).catch(noop);
      } catch (err) {
        throw asUsage(`--${request.flag}`, err);
      }
    }
    if (this.flags.subscribe !== undefined) {
      try {
        client.subscribe(this.flags.subscribe, options).catch(noop);
      } catch (err) {
        throw asUsage('--subscribe', err);
      }
    }
    if (this.requests.length === 0 && this.flags.subscribe === undefined) {
      const streams = defaultStreams(this.flags.cluster);
      for (const method of streams) {
        methods[`subscribe${method}`]!.call(client, [], options).catch(noop);
      }
      const topics = [...client.subscriptions().keys()].join(',');
      this.defaultNote = `polygon-stream: no --subscribe given; subscribing to ${topics} on ${this.flags.cluster}`;
    }
  }

  private listen(client: StreamClient): void {
    this.link.attach(client);
    client.on('*', (event) => this.event(event as WireEvent));
    // One pipelined write per frame: the data events of the frame that were printed / recorded.
    const { sink, db } = this;
    if (sink || db) {
      client.on('frame', () => {
        sink?.endFrame();
        db?.endFrame();
      });
    }
    client.on('reconnect', (info) => {
      // After max_connections the warning already said when the slot is taken back. Retries of
      // the first connection are quiet: its first failure said the cause (see retryNote).
      if (info.cause.code === 'MAX_CONNECTIONS' || !this.link.wasLive) return;
      this.note(
        `reconnecting (attempt ${info.attempt}/${DEFAULT_RECONNECT.maxAttempts}, in ${info.delayMs} ms): ${info.cause.message}`,
      );
    });
    client.on('gap', (gap) => {
      db?.note('gap', gap, gap.topics);
      this.note(gapLine(gap, clockTime));
    });
    client.on('snapshot', (r) => {
      if (r.status !== 'delivered')
        this.note(
          `snapshot ${r.topic}: ${r.status} [${r.code ?? 'STALE'}] ${r.reason ?? 'live events already had it or newer'}`,
        );
    });
    client.on('caughtUp', (report) => {
      db?.note('caughtUp', report, [report.topic]);
      this.status.caughtUp(report);
    });
    client.on('backfill', (report) => {
      db?.note('backfill', report, [report.topic]);
      this.status.backfillReport(report);
    });
    client.on('close', ({ error }) => {
      // An error was printed by onError already; a clean close we did not ask for is odd but fine.
      if (!this.stopping) void this.stop(error ? 1 : 0);
    });
  }

  private event(event: WireEvent): void {
    if (this.stopping) return;
    if (this.db && this.client) this.db.add(event, eventSource(this.client, event));
    if (event.ev === 'status') {
      const status = redactValue(event, this.key);
      if (this.format === 'pretty' && this.stdout) {
        this.stdout.write(formatPretty(status, { color: this.color }));
      } else this.note(formatPretty(status, { color: this.errColor }));
      return;
    }
    this.link.dataEvent();
    this.file?.write(formatNdjson(event));
    this.sink?.add(event);
    this.stdout?.write(this.render(event));
    if (this.flags.maxEvents !== undefined && this.link.events >= this.flags.maxEvents)
      void this.stop(0);
  }

  private render(event: WireEvent): string {
    if (this.format === 'ndjson') return formatNdjson(event);
    if (this.format === 'json') return formatJson(event);
    const symbol = symbolOf(event);
    if (symbol !== undefined && symbol.length > this.symbolWidth) {
      this.symbolWidth = Math.min(symbol.length, 24);
    }
    const marker = this.client?.isSnapshot(event) ? 'snapshot' : undefined;
    return formatPretty(event, { color: this.color, symbolWidth: this.symbolWidth, marker });
  }

  /** One line on stderr, out of the live status line's way. */
  private note(text: string): void {
    this.status.above(() => void this.io.stderr.write(`${text}\n`));
  }

  private async stop(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.cleanup();
    const failed =
      this.file?.failed ??
      (this.stdout?.failed?.code === 'EPIPE' ? undefined : this.stdout?.failed);
    if (this.flags.out !== undefined && !this.file?.failed) {
      this.note(`polygon-stream: recorded ${this.file?.lines ?? 0} events to ${this.flags.out}`);
      // A recorded line has no cluster, and a futures T looks like a stock T to a replay.
      if (isFuturesCluster(this.flags.cluster)) {
        this.note(
          `polygon-stream: replay it with: polygon-stream simulate --replay ${this.flags.out} --replay-cluster ${this.flags.cluster}`,
        );
      }
    }
    // Events lost or dropped on the way to Redis fail the command (the summary line counts them).
    this.done(failed || (code === 0 && this.sink?.lossy) ? 1 : code);
  }

  private async cleanup(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    for (const [signal, handler] of this.signals) process.off(signal, handler);
    this.status.stop();
    const summary = this.status.shown && this.client !== undefined;
    if (this.client) await this.client.closeStream().catch(noop);
    await this.sim?.close().catch(noop);
    // After the socket: nothing more arrives, so what the sink holds can be flushed.
    const sinkSummary = await this.sink?.close();
    if (sinkSummary !== undefined && this.streaming) this.note(sinkSummary);
    const dbSummary = await this.db?.close().catch((err: Error) => `error: --to: ${err.message}`);
    if (dbSummary !== undefined) this.note(dbSummary);
    await this.file?.end();
    await this.stdout?.end();
    if (summary) this.note(`stats: ${this.status.summary(this.client!)}`);
  }
}
