/**
 * The flags of `stream` and `record`: their commander options and help (`addStreamOptions`), what
 * the command gets from them (`StreamFlags`) and the checks among them that commander cannot
 * make; and the stream flags, one per stream method of the Python polygon library's StreamClient
 * (`--stock-trades [symbols]` → subscribeStockTrades), the request each given flag makes, and
 * what a cluster subscribes when no flag is given.
 */
import { type Command, Option } from 'commander';
import {
  type Cluster,
  CLUSTERS,
  STREAM_METHODS,
  type StreamMethod,
  STREAMS,
} from '../../protocol/streams.js';
import {
  collectList,
  parseDuration,
  parsePositiveInt,
  parseRate,
  parseReclaimAfter,
  parseRedisUrl,
  parseStreamKey,
  parseMaxLen,
  UsageError,
} from '../args.js';
import { type Format, FORMATS } from '../output/format.js';
import { hostsHelp } from '../hosts-help.js';
import type { SinkFlags } from './cli-sink.js';
import type { DuckDbFlags } from './cli-duckdb.js';

/** One flag per stream method: `--stock-trades [symbols]` → subscribeStockTrades. */
interface StreamFlag {
  /** Flag name without dashes: the Python library's name kebab-cased (`stock-trades`). */
  readonly flag: string;
  readonly method: StreamMethod;
  readonly title: string;
  readonly clusters: readonly Cluster[];
}

function kebab(method: string): string {
  return method.replace(/(?<=[a-z0-9])([A-Z])/g, '-$1').toLowerCase();
}

const STREAM_FLAGS: readonly StreamFlag[] = STREAM_METHODS.map((method) => {
  const rows = STREAMS.filter((s) => s.method === method);
  const pythonName = rows[0]?.pythonName;
  return {
    flag: pythonName ? pythonName.replace(/_/g, '-') : kebab(method),
    method,
    title: rows[0]?.title ?? method,
    clusters: rows.map((s) => s.cluster),
  };
});

/** A stream flag as given: its symbols (`['*']` when the value was left off). */
export interface StreamRequest {
  readonly flag: string;
  readonly method: StreamMethod;
  readonly symbols: readonly string[];
}

/** The default subscription of a cluster: its first two market-feed streams, every symbol. */
export function defaultStreams(cluster: Cluster): StreamMethod[] {
  return STREAMS.filter((s) => s.cluster === cluster && s.feed === 'market')
    .slice(0, 2)
    .map((s) => s.method);
}

const STREAM_GROUP = 'Streams ([symbols] is a comma-separated list, left off = all):';
const SINK_GROUP = 'Fan-out to a Redis Stream (consumer groups share the events among workers):';

/** What `stream` and `record` get from their options (camel-cased by commander). */
export interface StreamFlags extends SinkFlags, DuckDbFlags {
  cluster: Cluster;
  subscribe?: string[];
  host?: string;
  delayed?: boolean;
  format?: Format;
  out?: string;
  quiet?: boolean;
  duration?: number;
  maxEvents?: number;
  /** true: --stats, false: --no-stats, undefined: live line on a TTY only. */
  stats?: boolean;
  compression?: boolean;
  key?: string;
  color?: boolean;
  reconnect?: boolean;
  verbose?: boolean;
  /** `--sim-rate`: the embedded simulator's events per second. */
  simRate?: number;
  onMaxConnections?: 'stop' | 'reclaim';
  /** `--reclaim-after`, ms. */
  reclaimAfter?: number;
  /** `record`: a progress line on stderr (events written, file, rate) unless --stats/--no-stats. */
  progress?: boolean;
  /** `--backfill`: fill each reconnect's gap from REST history. */
  backfill?: boolean;
  /** `--from`: history, then live, from this time (the client's `start`). */
  from?: string;
  /** `--snapshot`: each topic's latest state from REST before its live events. */
  snapshot?: boolean;
}

/**
 * The checks among the flags commander cannot make: `key` is the API key given (undefined: the
 * embedded simulator runs). Throws a UsageError naming the flags.
 */
export function checkStreamFlags(flags: StreamFlags, key: string | undefined): void {
  if (key === undefined && (flags.host !== undefined || flags.delayed)) {
    throw new UsageError(
      `${flags.host !== undefined ? '--host' : '--delayed'} needs an API key: pass --key or set POLYGON_API_KEY (leave out both to stream from the embedded simulator)`,
    );
  }
  if (key !== undefined && flags.simRate !== undefined) {
    throw new UsageError(
      '--sim-rate only applies to the embedded simulator, which runs when no API key is given (--key or POLYGON_API_KEY)',
    );
  }
  if (flags.reclaimAfter !== undefined && flags.onMaxConnections !== 'reclaim') {
    throw new UsageError('--reclaim-after needs --on-max-connections reclaim');
  }
  if (flags.backfill && flags.reconnect === false && flags.onMaxConnections !== 'reclaim') {
    throw new UsageError(
      '--backfill fills the gap of each reconnect, and --no-reconnect turns reconnects off: give one of them',
    );
  }
}

/**
 * The options and help of `stream` and `record` (`record` adds its own). `helpWidth`: the widest
 * line of the help, to which the host list is wrapped.
 */
export function addStreamOptions(cmd: Command, helpWidth: number): Command {
  cmd
    .addOption(
      new Option('-c, --cluster <cluster>', 'cluster to stream from')
        .choices(CLUSTERS)
        .default('stocks'),
    )
    .option(
      '-s, --subscribe <topics>',
      'topics, comma-separated (T.AAPL,Q.*); repeatable',
      collectList,
    )
    .option('-k, --key <key>', 'API key (default: $POLYGON_API_KEY; none: embedded simulator)')
    .addOption(
      new Option(
        '--host <host>',
        'a provider host (see Hosts below: delayed, iex-business.polygon.io …) or any host name or ws:// / wss:// URL (default socket.massive.com)',
      ).conflicts('delayed'),
    )
    .option('--delayed', 'use the delayed feed (delayed.massive.com: 15 minutes late, futures 10)')
    .addOption(
      new Option(
        '-f, --format <format>',
        'stdout format (default: pretty on a TTY, else ndjson)',
      ).choices(FORMATS),
    )
    .option('-o, --out <file>', 'also write every event to FILE as NDJSON (the recording format)')
    .addOption(new Option('-q, --quiet', 'print no events on stdout').conflicts('format'))
    .option('-d, --duration <duration>', 'stop after this long (500ms, 30s, 5m, 1h)', parseDuration)
    .option('-n, --max-events <n>', 'stop after N data events', parsePositiveInt)
    .option('--stats', 'stats line on stderr (live on a TTY, one line per second otherwise)')
    .option('--no-stats', 'no stats line, even on a TTY')
    .option('--compression', 'negotiate permessage-deflate')
    .option('--no-color', 'no colours in pretty output (also: NO_COLOR=1)')
    .option('--no-reconnect', 'exit on the first disconnection instead of reconnecting')
    .option('--backfill', "fill each reconnect's gap from REST history (per-symbol topics)")
    .option(
      '--snapshot',
      "print each per-symbol topic's latest trade or quote from REST before its live events",
    )
    .option(
      '--from <time>',
      'history, then live: every per-symbol topic from TIME on (09:30 market time, ISO 8601, epoch, or 30m back)',
    )
    .addOption(
      new Option(
        '--on-max-connections <policy>',
        'another connection took this key over: stop (default) or reclaim the slot',
      ).choices(['stop', 'reclaim']),
    )
    .option(
      '--reclaim-after <duration>',
      'with reclaim: wait this long first (default 60s, at least 60s)',
      parseReclaimAfter,
    )
    .option(
      '--sim-rate <events/s>',
      'embedded simulator (no key): generated events per second (default 200)',
      parseRate,
    )
    .option('-v, --verbose', 'connection-level logs on stderr');
  for (const option of [
    new Option(
      '--sink <url>',
      'also publish every data event to Redis: redis://[:pw@]host:port[/db], or redis+cluster://[:pw@]host:port[,host:port…]',
    ).argParser(parseRedisUrl),
    new Option(
      '--stream-key <key>',
      'the stream key; {cluster} is filled in (default polygon:{cluster})',
    ).argParser(parseStreamKey),
    new Option(
      '--maxlen <~n>',
      'hard ceiling on the stream length (N or ~N): older entries are trimmed, unread ones reported as lost',
    ).argParser(parseMaxLen),
    new Option(
      '--partitions <n>',
      'spread events over n streams {key:0}…{key:n-1} by symbol (default 1: the key itself)',
    ).argParser(parsePositiveInt),
  ]) {
    cmd.addOption(option.helpGroup(SINK_GROUP));
  }
  for (const stream of STREAM_FLAGS) {
    cmd.addOption(
      new Option(`--${stream.flag} [symbols]`, `${stream.title} (${stream.clusters.join(', ')})`)
        .argParser(collectList)
        .helpGroup(STREAM_GROUP),
    );
  }
  return cmd.addHelpText(
    'after',
    `
With no API key the embedded simulator is started and streamed from (--sim-rate sets its pace).
With no --subscribe and no stream flag, the cluster's first two streams are subscribed
(stocks: T.*,Q.*). Status events go to stdout in pretty format, to stderr otherwise; --out files
hold data events. Pretty lines start with the time the event arrived (bars too: not their window
start, so lines stay in time order). The status line leads with the connection state: live,
connecting, reconnecting n/20 (attempt / attempts allowed), reclaiming, closed.

${hostsHelp(helpWidth)}

Examples:
  $ polygon-stream stream
  $ polygon-stream stream --stock-trades AAPL,MSFT --stock-quotes AAPL --duration 30s
  $ POLYGON_API_KEY=... polygon-stream stream -c futures --host delayed -s 'T.ESZ5'
  $ polygon-stream stream -c crypto --crypto-level2-book BTC-USD --format json
  $ POLYGON_API_KEY=... polygon-stream stream -s 'T.*' --format ndjson | jq .p
  $ polygon-stream record trades.ndjson --stock-trades --max-events 10000 --sim-rate 5000
  $ polygon-stream stream -s 'T.*' -q --sink redis://127.0.0.1:6379 --maxlen ~1000000`,
  );
}

/** The stream flags given on the command line, in table order. */
export function streamRequestsOf(cmd: Command): StreamRequest[] {
  const opts = cmd.opts<Record<string, unknown>>();
  const requests: StreamRequest[] = [];
  for (const stream of STREAM_FLAGS) {
    const option = cmd.options.find((o) => o.long === `--${stream.flag}`);
    const value = option ? opts[option.attributeName()] : undefined;
    // `--stock-trades` alone is `true` (every symbol); with symbols, the collected list.
    if (value === true) requests.push({ flag: stream.flag, method: stream.method, symbols: ['*'] });
    else if (Array.isArray(value))
      requests.push({ flag: stream.flag, method: stream.method, symbols: value });
  }
  return requests;
}
