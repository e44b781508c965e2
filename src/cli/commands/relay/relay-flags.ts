/**
 * The `relay` command's options and help: what `runRelay` (relay-command.ts) gets as its flags.
 */
import { type Command, Option } from 'commander';
import { collectList, parseClusters, parsePort, parsePositiveInt, splitList } from '../../args.js';

export function addRelayOptions(cmd: Command): Command {
  return cmd
    .description(
      'serve one upstream connection per cluster to any number of clients of the same protocol',
    )
    .option('-p, --port <port>', 'port to listen on (0: any free port)', parsePort, 8765)
    .option(
      '--bind <address>',
      'address to listen on (anything else than loopback serves beyond this machine)',
      '127.0.0.1',
    )
    .option('-k, --key <key>', 'upstream API key (default: $POLYGON_API_KEY; none: simulator)')
    .addOption(
      new Option('--clusters <clusters>', 'clusters to relay, comma-separated')
        .argParser(parseClusters)
        .default(['stocks'], 'stocks'),
    )
    .addOption(
      new Option('--tokens <tokens>', 'tokens downstream clients authenticate with').argParser(
        splitList,
      ),
    )
    .addOption(
      new Option('--allow-any-token', 'accept any token (loopback --bind only)').conflicts(
        'tokens',
      ),
    )
    .option(
      '--host <host>',
      'upstream host name or ws:// / wss:// URL (default socket.massive.com)',
    )
    .option('--max-clients <n>', 'most downstream clients at once (default 100)', parsePositiveInt)
    .option(
      '--max-topics <n>',
      'most topics per downstream client (default 1000)',
      parsePositiveInt,
    )
    .option('--backfill', "fill the upstream's gaps from REST history (per-symbol topics)")
    .option(
      '--allow-origin <origins>',
      'browser origins that may connect (https://desk.example:3000, or *); repeatable',
      collectList,
    )
    .option(
      '--allow-host <names>',
      'host names clients use for the relay (besides IPs, localhost, this host); repeatable',
      collectList,
    )
    .option('--tls-cert <file>', 'PEM certificate (chain): serve wss:// (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--metrics', 'one metrics line per second on stderr')
    .option('-q, --quiet', 'no upstream log on stderr')
    .addHelpText(
      'after',
      `
Downstream clients connect to ws://ADDRESS:PORT/CLUSTER exactly as to the provider and send one of
the --tokens as their key; the upstream key never leaves the relay. Browsers (any request with an
Origin header) are refused unless --allow-origin names their origin. Beyond loopback, serve TLS.

Examples:
  $ polygon-stream relay --tokens bot,notebook --clusters stocks,crypto --metrics
  $ polygon-stream stream --host ws://127.0.0.1:8765 --key bot --subscribe T.AAPL`,
    );
}
