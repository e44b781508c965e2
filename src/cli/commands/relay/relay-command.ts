/**
 * `polygon-stream relay`: one upstream connection per cluster (the provider with --key or
 * POLYGON_API_KEY, else the embedded simulator), served downstream over the provider's own
 * protocol to any number of clients, until SIGINT or SIGTERM. How to connect goes to stdout;
 * upstream errors and, with --metrics, one metrics line per second go to stderr.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Cluster } from '../../../protocol/streams.js';
import { gapMessage, startRelay, type Relay } from '../../../relay/index.js';
import { apiKeyOf, UsageError } from '../../args.js';
import { untilInterrupted } from '../../interrupt.js';
import { listenFailure, optionAsUsage } from '../../messages.js';
import { clearTextWarning, listeningLines } from './relay-banner.js';
import { DEFAULT_HOST } from '../../../protocol/hosts.js';

export interface RelayFlags {
  port: number;
  bind: string;
  key?: string;
  clusters: Cluster[];
  tokens?: string[];
  allowAnyToken?: boolean;
  host?: string;
  maxClients?: number;
  maxTopics?: number;
  allowOrigin?: string[];
  allowHost?: string[];
  tlsCert?: string;
  tlsKey?: string;
  metrics?: boolean;
  backfill?: boolean;
  quiet?: boolean;
}

/** startRelay's options the flags fill. */
const RELAY_FLAGS = {
  port: '--port',
  bind: '--bind',
  clusters: '--clusters',
  key: '--key',
  tokens: '--tokens',
  allowAnyToken: '--allow-any-token',
  upstreamHost: '--host',
  maxClients: '--max-clients',
  maxTopicsPerClient: '--max-topics',
  allowOrigins: '--allow-origin',
  allowHosts: '--allow-host',
  tls: '--tls-cert/--tls-key',
};

/** `--tls-cert` and `--tls-key`, read: both or neither. */
function tlsOf(flags: RelayFlags): { cert: Buffer; key: Buffer } | undefined {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) return undefined;
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) {
    throw new UsageError('--tls-cert and --tls-key go together (a PEM certificate and its key)');
  }
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`${flag}: cannot read ${file} (${(err as Error).message})`);
    }
  };
  return { cert: read('--tls-cert', flags.tlsCert), key: read('--tls-key', flags.tlsKey) };
}

export async function runRelay(flags: RelayFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const key = apiKeyOf(flags, env);
  if (flags.tokens === undefined && !flags.allowAnyToken) {
    throw new UsageError(
      'relay needs --tokens t1,t2 (what downstream clients authenticate with) or --allow-any-token',
    );
  }
  if (flags.tokens !== undefined && flags.tokens.length === 0) {
    throw new UsageError('--tokens: expected a comma-separated list of tokens');
  }
  if (key === undefined && flags.host !== undefined) {
    throw new UsageError('--host needs an API key: pass --key or set POLYGON_API_KEY');
  }
  const tls = tlsOf(flags);
  let relay: Relay;
  try {
    relay = await startRelay({
      port: flags.port,
      bind: flags.bind,
      clusters: flags.clusters,
      ...(key === undefined ? {} : { key }),
      ...(flags.tokens === undefined ? { allowAnyToken: true } : { tokens: flags.tokens }),
      ...(flags.host === undefined ? {} : { upstreamHost: flags.host }),
      ...(flags.maxClients === undefined ? {} : { maxClients: flags.maxClients }),
      ...(flags.maxTopics === undefined ? {} : { maxTopicsPerClient: flags.maxTopics }),
      ...(flags.backfill ? { backfill: true } : {}),
      ...(flags.allowOrigin === undefined ? {} : { allowOrigins: flags.allowOrigin }),
      ...(flags.allowHost === undefined ? {} : { allowHosts: flags.allowHost }),
      ...(tls === undefined ? {} : { tls }),
    });
  } catch (err) {
    const usage = optionAsUsage(err, RELAY_FLAGS);
    if (usage instanceof UsageError) throw usage;
    process.stderr.write(`${listenFailure('the relay', '--bind', flags.bind, flags.port, err)}\n`);
    return 1;
  }
  const say = (text: string): void => {
    if (!flags.quiet) process.stderr.write(`[relay] ${text}\n`);
  };
  relay.on('error', (err) => say(`upstream: ${err.code}: ${err.message}`));
  relay.on('gap', (cluster, gap) => say(`${cluster}: ${gapMessage(gap)}`));
  // Listening for Ctrl-C before saying how to stop: a supervisor may signal as soon as it reads it.
  const interrupted = untilInterrupted();
  const token = flags.tokens?.[0] ?? 'any';
  const warning = clearTextWarning(relay.address.address, relay.tls);
  if (warning !== undefined) process.stderr.write(`[relay] ${warning}\n`);
  process.stdout.write(
    [
      ...listeningLines(relay.address, relay.tls, relay.url, networkInterfaces()),
      `  upstream: ${key === undefined ? 'the embedded simulator (no key)' : (flags.host ?? DEFAULT_HOST)}, one connection per cluster`,
      `  clusters: ${flags.clusters.map((c) => `${relay.url}/${c}`).join('  ')}`,
      `  tokens: ${flags.tokens === undefined ? 'any non-empty token' : `one of the ${flags.tokens.length} given with --tokens`}`,
      `  browsers: ${flags.allowOrigin === undefined ? 'refused (no --allow-origin)' : `only from ${flags.allowOrigin.join(', ')}`}`,
      `  metrics: ${relay.metricsUrl ?? 'not served: prom-client is not installed (npm install prom-client)'}`,
      `  health: ${relay.healthUrl}`,
      `Connect:`,
      `  polygon-stream stream --host ${relay.url} --key ${token} --subscribe T.AAPL`,
      `  new StreamClient('${token}', '${flags.clusters[0]}', { host: '${relay.url}' })`,
      `Ctrl-C to stop.`,
      '',
    ].join('\n'),
  );
  const timer = flags.metrics
    ? setInterval(() => {
        const m = relay.metrics();
        const topics = Object.entries(m.upstreamTopics)
          .map(([c, t]) => `${c}:${t.length}`)
          .join(' ');
        const f = m.forward;
        const forward =
          f.p99Ms === null ? 'no frames' : `p99 ≤ ${f.p99Ms} ms, max ${f.maxMs!.toFixed(2)} ms`;
        process.stderr.write(
          `[relay] clients ${m.clients}  upstream topics ${topics}  in ${m.eventsInPerSecond}/s  out ${m.eventsOutPerSecond}/s  forward (last ${f.windowSeconds} s) ${forward}  slow-consumer cuts ${m.slowConsumerDisconnects}  upstream reconnects ${m.upstreamReconnects}  backfilled ${m.backfilledEvents}  auth failures ${m.authFailures}\n`,
        );
      }, 1_000)
    : undefined;
  await interrupted;
  clearInterval(timer);
  say('stopping');
  await relay.close();
  return 0;
}
