/**
 * `polygon-stream simulate`: the embedded simulator as a standalone server (generated data, or a
 * recorded NDJSON file replayed at its own pace, faster, or as fast as possible), until SIGINT or
 * SIGTERM. Prints the URL and how to connect on stdout; connection activity goes to stderr.
 */
import { createReadStream, readSync, openSync, closeSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { startSimulator, type RestFault, type Simulator } from '../../simulator/index.js';
import { type Cluster, clusterOfTicker, CLUSTERS } from '../../protocol/streams.js';
import { UsageError } from '../args.js';
import { untilInterrupted } from '../interrupt.js';
import { listenFailure, optionAsUsage } from '../messages.js';
import { restFaultText } from './rest-fault-flag.js';

export interface SimulateFlags {
  port: number;
  host: string;
  keys?: string[];
  eventsPerSecond?: number;
  seed?: number;
  replay?: string;
  /** `--replay-cluster`: the cluster every replayed event belongs to. */
  replayCluster?: Cluster;
  speed?: number | 'max';
  loop?: boolean;
  quiet?: boolean;
  /** `--past`: ms of past a ticker asked for by name comes with (0: none). */
  past?: number;
  /** `--tickers`: tickers to list beyond the reference universe (cluster from their prefix). */
  tickers?: string[];
  /** `--rest-lag`: ms REST history trails the stream by. */
  restLag?: number;
  /** `--rest-lag-jitter`: up to this many ms more, per REST query. */
  restLagJitter?: number;
  /** `--rest-forming-bars`: REST aggregates also serve the open window's bar. */
  restFormingBars?: boolean;
  /** `--rest-fault` (repeatable): REST faults to start with. */
  restFault?: RestFault[];
  /** `--delay` (repeatable): cluster → ms its generated events reach connections late. */
  delay?: Record<string, number>;
}

/** `--tickers FOO,X:DOGE-EUR` by cluster, from each ticker's prefix (O:, C:, X:, I:, else stocks). */
function tickersByCluster(tickers: readonly string[]): Partial<Record<Cluster, string[]>> {
  const byCluster: Partial<Record<Cluster, string[]>> = {};
  for (const ticker of tickers) (byCluster[clusterOfTicker(ticker)] ??= []).push(ticker);
  return byCluster;
}

/** startSimulator's options the flags fill. */
const SIMULATOR_FLAGS = {
  port: '--port',
  host: '--host',
  apiKeys: '--keys',
  eventsPerSecond: '--events-per-second',
  seed: '--seed',
  pastMs: '--past',
  restLagMs: '--rest-lag',
  restLagJitterMs: '--rest-lag-jitter',
  restFormingBars: '--rest-forming-bars',
  restFaults: '--rest-fault',
  ...Object.fromEntries(CLUSTERS.map((cluster) => [`delayedMs.${cluster}`, '--delay'])),
  ...Object.fromEntries(CLUSTERS.map((cluster) => [`tickers.${cluster}`, '--tickers'])),
};

interface ReplayCounts {
  /** Events read from the file so far. */
  events: number;
  /** Lines skipped: not JSON, or not an event object (or array of them). */
  bad: number;
}

function isEvent(value: unknown): value is { ev: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { ev?: unknown }).ev === 'string'
  );
}

/**
 * The events of an NDJSON recording, read lazily line by line: one event object per line (a line
 * holding a raw frame — an array of events — is expanded). Bad lines are skipped and counted.
 */
async function* readRecording(path: string, counts: ReplayCounts): AsyncGenerator<object> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    const text = line.trim();
    if (text === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      counts.bad++;
      continue;
    }
    const events = Array.isArray(value) ? value : [value];
    if (events.length === 0 || !events.every(isEvent)) {
      counts.bad++;
      continue;
    }
    for (const event of events) {
      counts.events++;
      yield event;
    }
  }
}

function checkReadable(path: string): void {
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new UsageError(`--replay: file not found: ${path}`);
  }
  if (!isFile) throw new UsageError(`--replay: not a file: ${path}`);
}

/** The banner's line on REST imperfections, or undefined when REST is the perfect witness. */
function restLine(flags: SimulateFlags): string | undefined {
  const parts: string[] = [];
  if (flags.restLag || flags.restLagJitter) {
    const jitter = flags.restLagJitter ? ` (+ up to ${flags.restLagJitter}ms per query)` : '';
    parts.push(`trails the stream by ${flags.restLag ?? 0}ms${jitter}`);
  }
  if (flags.restFormingBars) parts.push("aggregates serve the open window's bar");
  for (const f of flags.restFault ?? []) parts.push(`fault ${restFaultText(f)}`);
  return parts.length === 0
    ? undefined
    : `  REST history imitates the provider: ${parts.join('; ')}.`;
}

/** Whether a file is a DuckDB database (its header names DUCK at byte 8), not NDJSON. */
function isDuckDbFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(12);
    return readSync(fd, head, 0, 12, 0) === 12 && head.toString('latin1', 8, 12) === 'DUCK';
  } finally {
    closeSync(fd);
  }
}

/** The events of a DuckDB recording (record --to) in recording order, and its replay cluster. */
async function duckDbReplay(
  path: string,
  counts: ReplayCounts,
): Promise<{ events: AsyncGenerator<object>; cluster: Cluster | undefined }> {
  const { openDuckDbRecording, replayClusterOf } = await import('../../duckdb/recording.js');
  const source = await openDuckDbRecording(path);
  let cluster: Cluster | undefined;
  try {
    cluster = replayClusterOf(source.clusters);
  } catch (err) {
    for await (const _ of source.read()) break; // closes the file
    throw new UsageError(`--replay: ${path}: ${(err as Error).message}`);
  }
  async function* events(): AsyncGenerator<object> {
    for await (const event of source.read()) {
      counts.events++;
      yield event;
    }
  }
  return { events: events(), cluster };
}

/** Runs until SIGINT/SIGTERM; resolves with the exit code. */
export async function runSimulate(flags: SimulateFlags): Promise<number> {
  if (
    flags.replay === undefined &&
    (flags.speed !== undefined || flags.loop || flags.replayCluster !== undefined)
  ) {
    const flag = flags.loop ? '--loop' : flags.speed !== undefined ? '--speed' : '--replay-cluster';
    throw new UsageError(`${flag} only applies with --replay FILE`);
  }
  if (flags.keys !== undefined && flags.keys.length === 0) {
    throw new UsageError('--keys: expected a comma-separated list of API keys');
  }
  const counts: ReplayCounts = { events: 0, bad: 0 };
  if (flags.replay !== undefined) checkReadable(flags.replay);
  const recording =
    flags.replay === undefined
      ? undefined
      : isDuckDbFile(flags.replay)
        ? await duckDbReplay(flags.replay, counts)
        : { events: readRecording(flags.replay, counts), cluster: undefined };
  const replay =
    recording === undefined
      ? undefined
      : {
          events: recording.events,
          ...(recording.cluster === undefined ? {} : { cluster: recording.cluster }),
          speed: flags.speed ?? 1,
          loop: flags.loop === true,
          ...(flags.replayCluster === undefined ? {} : { cluster: flags.replayCluster }),
        };
  let sim: Simulator;
  try {
    sim = await startSimulator({
      port: flags.port,
      host: flags.host,
      apiKeys: flags.keys ?? 'any',
      ...(flags.eventsPerSecond === undefined ? {} : { eventsPerSecond: flags.eventsPerSecond }),
      ...(flags.seed === undefined ? {} : { seed: flags.seed }),
      ...(flags.past === undefined ? {} : { pastMs: flags.past }),
      ...(flags.tickers === undefined ? {} : { tickers: tickersByCluster(flags.tickers) }),
      ...(flags.restLag === undefined ? {} : { restLagMs: flags.restLag }),
      ...(flags.restLagJitter === undefined ? {} : { restLagJitterMs: flags.restLagJitter }),
      ...(flags.restFormingBars ? { restFormingBars: true } : {}),
      ...(flags.restFault === undefined ? {} : { restFaults: flags.restFault }),
      ...(flags.delay === undefined ? {} : { delayedMs: flags.delay }),
      ...(replay === undefined ? {} : { replay }),
    });
  } catch (err) {
    const usage = optionAsUsage(err, SIMULATOR_FLAGS);
    if (usage instanceof UsageError) throw usage;
    process.stderr.write(
      `${listenFailure('the simulator', '--host', flags.host, flags.port, err)}\n`,
    );
    return 1;
  }
  const log = (text: string): void => {
    if (!flags.quiet) process.stderr.write(`[simulator] ${text}\n`);
  };
  sim.on('connection', (c) => log(`#${c.id} connected to /${c.cluster}`));
  sim.on('message', (c, msg) => {
    // Never echo auth: its params are the API key.
    if (msg.action !== 'auth') log(`#${c.id} ${msg.action} ${msg.params}`);
  });
  sim.on('close', (c) => log(`#${c.id} closed`));
  sim.on('replayEnd', () =>
    process.stderr.write(
      `[simulator] replay finished: ${counts.events} events from ${flags.replay}${counts.bad > 0 ? `, ${counts.bad} bad line(s) skipped` : ''}; still serving, Ctrl-C to stop\n`,
    ),
  );
  sim.on('error', (err) => process.stderr.write(`[simulator] replay error: ${err.message}\n`));

  // Listening for Ctrl-C before saying how to stop: a supervisor may signal as soon as it reads it.
  const interrupted = untilInterrupted();
  const url = sim.url;
  const keyHint = flags.keys === undefined ? 'any' : 'YOUR_KEY';
  const source =
    flags.replay === undefined
      ? `Generating ${flags.eventsPerSecond ?? 200} events/s per cluster (seed ${flags.seed ?? 1}); a ticker asked for by name comes with ${flags.past === 0 ? 'no' : `its last ${Math.round((flags.past ?? 900_000) / 1000)}s of`} history.`
      : `Replaying ${flags.replay} at ${flags.speed === 'max' ? 'maximum speed' : `${flags.speed ?? 1}x speed`}${flags.loop ? ', looping' : ''}${flags.replayCluster === undefined ? '' : `, every event on ${flags.replayCluster}`}, from the first subscribe.`;
  const delays = Object.entries(flags.delay ?? {}).filter(([, ms]) => ms > 0);
  process.stdout.write(
    [
      `polygon-stream simulator listening on ${url}`,
      `  clusters: ${CLUSTERS.map((c) => `${url}/${c}`).join('  ')}`,
      `  API keys: ${flags.keys === undefined ? 'any non-empty key' : `one of the ${flags.keys.length} given with --keys`}`,
      `  ${source}`,
      ...[restLine(flags)].filter((line) => line !== undefined),
      ...(delays.length === 0
        ? []
        : [
            `  Delayed feeds: ${delays.map(([c, ms]) => `${c} ${ms / 1000}s late`).join(', ')} (REST history is not delayed).`,
          ]),
      `Connect:`,
      `  polygon-stream stream --host ${url} --key ${keyHint} --subscribe T.AAPL,Q.AAPL`,
      `  new StreamClient('${keyHint}', 'stocks', { host: '${url}' })`,
      `Ctrl-C to stop.`,
      '',
    ].join('\n'),
  );

  await interrupted;
  process.stderr.write('[simulator] stopping\n');
  await sim.close();
  return 0;
}
