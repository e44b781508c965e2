/**
 * The `polygon-stream` command line: commander wiring only, and `main(argv)`, which parses and
 * runs a command line and resolves with its exit code: 0 done (Ctrl-C, --duration,
 * --max-events), 1 runtime failure (auth failed, connection lost for good …), 2 usage error (bad
 * flag or value). The executable is main.ts.
 */
import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { isPolygonStreamError } from '../errors.js';
import { CLUSTERS } from '../protocol/streams.js';
import {
  collectDelays,
  collectList,
  parseDurationOrZero,
  parseNonNegativeInt,
  parsePast,
  parsePort,
  parsePositiveInt,
  parseSpeed,
  parseTime,
  splitList,
  UsageError,
} from './args.js';
import { runHistory, type HistoryFlags } from './commands/history-command.js';
import { runRelay, type RelayFlags } from './commands/relay/relay-command.js';
import { addRelayOptions } from './commands/relay/relay-flags.js';
import { collectRestFaults } from './commands/rest-fault-flag.js';
import { runSimulate, type SimulateFlags } from './commands/simulate.js';
import { QUERY_FORMATS, runQuery, type QueryFlags } from './commands/query-command.js';
import { runStream } from './commands/stream.js';
import { addStreamOptions, streamRequestsOf, type StreamFlags } from './commands/stream-flags.js';

/** The widest line any --help prints. */
export const HELP_WIDTH = 100;

function version(): string {
  try {
    // src/cli/main.ts and dist/cli/main.js both sit two levels below package.json.
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('polygon-stream')
    .description(
      'Stream, record and replay Polygon.io (Massive.com) real-time market data, or serve simulated data.',
    )
    .version(version())
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text) })
    // Wrapped at 100 columns whatever the terminal (subcommands inherit it).
    .configureHelp({ helpWidth: HELP_WIDTH })
    .addHelpText(
      'after',
      `
With no API key (--key or POLYGON_API_KEY), stream and record start the embedded simulator and
stream simulated data from it: nothing to set up to try it.

Exit codes:
  0  stopped: Ctrl-C, --duration or --max-events (or --help, --version)
  1  runtime failure: authentication failed, reconnects exhausted, Redis unreachable …
  2  bad usage: an unknown flag or a bad value (the message names it)`,
    );

  addStreamOptions(
    program.command('stream').description('stream events to stdout (and optionally a file)'),
    HELP_WIDTH,
  ).action(async (_opts: unknown, cmd: Command) => {
    setExit(await runStream(cmd.opts<StreamFlags>(), streamRequestsOf(cmd)));
  });

  addStreamOptions(
    program
      .command('record')
      .description(
        'record events to an NDJSON file or a DuckDB database (--to), with a progress line on stderr',
      )
      .argument('[file]', 'the NDJSON file to write (or --out FILE)')
      .addOption(
        new Option('--echo', 'also print every event on stdout (in --format)').conflicts('quiet'),
      )
      .option('--to <file.duckdb>', 'record to a DuckDB database: one typed table per stream')
      .option('--parquet <dir>', 'with --to: at the end, export each table to DIR/<table>.parquet'),
    HELP_WIDTH,
  ).action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
    const flags = cmd.opts<StreamFlags & { echo?: boolean }>();
    if (flags.format !== undefined && !flags.echo) {
      throw new UsageError(
        'record: --format is for stdout, which record leaves quiet; add --echo to print events too',
      );
    }
    if (file !== undefined && flags.out !== undefined && file !== flags.out) {
      throw new UsageError(`record: give the file once (got ${file} and --out ${flags.out})`);
    }
    const out = file ?? flags.out;
    if (out === undefined && flags.to === undefined) {
      throw new UsageError(
        'record needs a file: polygon-stream record FILE.ndjson (or --out FILE, or --to FILE.duckdb)',
      );
    }
    const quiet = flags.quiet === true || flags.echo !== true;
    const files = out === undefined ? {} : { out };
    setExit(await runStream({ ...flags, ...files, quiet, progress: true }, streamRequestsOf(cmd)));
  });

  program
    .command('history')
    .description(
      "print a topic's REST history as NDJSON, the shape `stream --format ndjson` prints",
    )
    .argument('<topic>', 'one per-symbol topic: T.AAPL, Q.AAPL, AM.AAPL, XT.BTC-USD …')
    .addOption(
      new Option('-c, --cluster <cluster>', 'cluster of the topic')
        .choices(CLUSTERS)
        .default('stocks'),
    )
    .requiredOption(
      '--from <time>',
      'start (inclusive): Unix ms, an ISO date/time, or an age (5m)',
      parseTime,
    )
    .option(
      '--to <time>',
      'end (exclusive): Unix ms, ISO date/time or an age (default now)',
      parseTime,
    )
    .option('-k, --key <key>', 'API key (default: $POLYGON_API_KEY; none: embedded simulator)')
    .option(
      '--host <host>',
      'WebSocket host or URL whose REST API to ask (default socket.massive.com → api.massive.com)',
    )
    .option('--max-rows <n>', 'fail beyond N events (default 100000)', parsePositiveInt)
    .addHelpText(
      'after',
      `
Examples:
  $ polygon-stream history T.AAPL --from 2026-01-05T14:30:00Z --to 2026-01-05T14:31:00Z
  $ polygon-stream history XT.BTC-USD -c crypto --from 10m | jq .p`,
    )
    .action(async (topic: string, opts: HistoryFlags) => {
      setExit(await runHistory(topic, opts, process.env));
    });

  program
    .command('query')
    .description('run SQL over a DuckDB recording (record --to), read-only, and print the rows')
    .argument('<file>', 'the DuckDB file (record --to FILE.duckdb)')
    .argument(
      '<sql>',
      'one SQL statement: tables are <cluster>_<ev> (stocks_t …), statuses, lifecycle',
    )
    .addOption(
      new Option(
        '-f, --format <format>',
        'table (default on a TTY), ndjson (default otherwise) or csv',
      ).choices(QUERY_FORMATS),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ polygon-stream query ticks.duckdb "SELECT sym, count(*), avg(p) FROM stocks_t GROUP BY sym"
  $ polygon-stream query ticks.duckdb "SELECT * FROM lifecycle" --format csv`,
    )
    .action(async (file: string, sql: string, opts: QueryFlags) => {
      setExit(await runQuery(file, sql, opts));
    });

  program
    .command('simulate')
    .description('run the simulator as a WebSocket server for your own code, until Ctrl-C')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', parsePort, 8765)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--keys <keys>', 'accepted API keys, comma-separated (default: any key)', splitList)
    .addOption(
      new Option('--events-per-second <n>', 'generated events per second per cluster (default 200)')
        .argParser(parseNonNegativeInt)
        .conflicts('replay'),
    )
    .addOption(
      new Option('--seed <n>', 'PRNG seed: same seed, same data (default 1)')
        .argParser(parseNonNegativeInt)
        .conflicts('replay'),
    )
    .option(
      '--past <duration>',
      'history a ticker asked for by name comes with (default 15m; 0 for none)',
      parsePast,
    )
    .option(
      '--tickers <tickers>',
      'tickers to list beyond the reference universe (FOO,X:DOGE-EUR); repeatable',
      collectList,
    )
    .option(
      '--rest-lag <duration>',
      'REST history trails the stream by this (400ms, 2s; default 0)',
      parseDurationOrZero,
    )
    .option(
      '--rest-lag-jitter <duration>',
      'each REST query trails by up to this much more (default 0)',
      parseDurationOrZero,
    )
    .option('--rest-forming-bars', "REST aggregates also serve the open window's bar")
    .option('--rest-fault <spec>', 'a REST fault (see below); repeatable', collectRestFaults)
    .option(
      '--delay <cluster=duration>',
      "serve a cluster late, as the provider's delayed hosts do (futures=10m, stocks=15m); repeatable",
      collectDelays,
    )
    .option(
      '--replay <file>',
      'replay a recording (NDJSON, or DuckDB: record --to) instead of generating data',
    )
    .addOption(
      new Option(
        '--replay-cluster <cluster>',
        'the cluster the recording was made on (needed for futures: a futures T looks like a stock T)',
      ).choices(CLUSTERS),
    )
    .option('--speed <speed>', "replay speed: a factor (1, 10) or 'max' (default 1)", parseSpeed)
    .option('--loop', 'replay the file again and again')
    .option('-q, --quiet', 'no connection log on stderr')
    .addHelpText(
      'after',
      `
A --rest-fault spec is comma-separated parts: exactly one of status=N (400-599, with
retry-after=SECONDS if wanted), slow=MS (the body trickles in over MS ms), reset (connection
reset), empty-pages (empty pages chained for ever) or corrupt=order|ticker|types (bad rows); to
narrow it: endpoint=trades|quotes|aggs, ticker=TICKER, times=N (then it is gone).

Examples:
  $ polygon-stream simulate --port 8765
  $ polygon-stream simulate --tickers FOO,BAR --past 5m
  $ polygon-stream simulate --rest-lag 1s --rest-fault status=429,retry-after=2,times=3
  $ polygon-stream record day.ndjson --duration 5m
  $ polygon-stream simulate --replay day.ndjson --speed 10
  $ polygon-stream simulate --replay day.duckdb --speed max
  $ polygon-stream simulate --replay es.ndjson --replay-cluster futures
  $ polygon-stream simulate --delay futures=10m,stocks=15m`,
    )
    .action(async (opts: SimulateFlags) => {
      setExit(await runSimulate(opts));
    });

  addRelayOptions(program.command('relay')).action(async (opts: RelayFlags) => {
    setExit(await runRelay(opts, process.env));
  });

  return program;
}

/** Parse and run; resolves with the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2; // message already printed
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n(add --help for usage)\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    const tag = isPolygonStreamError(err) ? ` [${err.code}]` : '';
    process.stderr.write(`error${tag}: ${message}\n`);
    return 1;
  }
}
