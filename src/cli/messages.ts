/**
 * Library errors in the CLI's words: caller mistakes become usage errors naming the flag, and
 * advice that names a client option names the CLI flag instead.
 */
import { ErrorCode, isPolygonStreamError } from '../errors.js';
import { UsageError } from './args.js';
import { filledEvents, type Gap } from '../client/delivery/lifecycle.js';

/**
 * Caller mistakes the client throws (bad host, stream not on cluster, a history topic that has
 * none …) → a usage error naming `flag`.
 */
export function asUsage(flag: string, err: unknown): unknown {
  if (!isPolygonStreamError(err)) return err;
  const caller = [
    'INVALID_API_KEY',
    'UNKNOWN_CLUSTER',
    'INVALID_HOST',
    'STREAM_NOT_ON_CLUSTER',
    'INVALID_SYMBOLS',
    'INVALID_OPTION',
    'NO_HISTORY',
  ];
  if (!caller.includes(err.code)) return err;
  const offered = err.details['offeredOn'];
  const hint =
    err.code === 'STREAM_NOT_ON_CLUSTER' && Array.isArray(offered) && offered.length > 0
      ? ` Use --cluster ${String(offered[0])}.`
      : '';
  return new UsageError(`${flag}: [${err.code}] ${err.message}${hint}`);
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}

/**
 * A runtime error as one stderr line. MAX_CONNECTIONS is worded for the command line: what
 * happened, and the flag that changes it (the library's own text names the client option).
 */
export function errorLine(error: Error, reclaimAfterMs: number | undefined): string {
  if (!isPolygonStreamError(error)) return `error: ${error.message}`;
  if (error.code !== 'MAX_CONNECTIONS') return `error [${error.code}]: ${error.message}`;
  const said = error.details['serverMessage'];
  const cluster = String(error.details['cluster'] ?? 'this cluster');
  const what = `another connection on ${cluster} with this API key took over (the provider allows one per cluster and key${typeof said === 'string' ? `; server said "${said}"` : ''})`;
  if (reclaimAfterMs !== undefined) {
    return `warning [MAX_CONNECTIONS]: ${what}. Taking it back in ${seconds(reclaimAfterMs)} (--on-max-connections reclaim).`;
  }
  return `error [MAX_CONNECTIONS]: ${what}. Stopped. Close the other connection, or run with --on-max-connections reclaim to take it back (after --reclaim-after, default 60s).`;
}

/**
 * The line a reconnect's gap prints; with --backfill, what was filled, in part or not at all:
 * `…; filled 3 topic(s) completely, 120 event(s) from history; partial: T.AAPL (may lack
 * 10:00:01.200–10:00:02.000: BACKFILL_INCOMPLETE); not filled: Q.* (NO_HISTORY)`.
 */
export function gapLine(gap: Gap, clock: (ms: number) => string): string {
  const head = `reconnected: no data from ${clock(gap.from)} to ${clock(gap.to)}; re-subscribed ${gap.topics.length} topic(s)`;
  if (!gap.filled || !gap.unfilled) return head;
  const filled = Object.keys(gap.filled);
  const partial = Object.entries(gap.partial ?? {});
  const parts = partial.map(([t, p]) => {
    const ranges = p.missing.map((m) => `${clock(m.from)}–${clock(m.to)}: ${m.code}`);
    return `${t} (may lack ${ranges.join(', ')})`;
  });
  const unfilled = Object.entries(gap.unfilled).map(([t, u]) => `${t} (${u.code})`);
  return (
    `${head}; filled ${filled.length} topic(s) completely, ${filledEvents(gap)} event(s) from history` +
    (parts.length > 0 ? `; partial: ${parts.join(', ')}` : '') +
    (unfilled.length > 0 ? `; not filled: ${unfilled.join(', ')}` : '')
  );
}

/**
 * An INVALID_OPTION a library call threw for an option the CLI fills from a flag → a usage error
 * in the flag's words (`startSimulator: eventsPerSecond must be …` → `--events-per-second must
 * be …`; the text's other camelCase option names become flags too). Anything else is returned as
 * it is.
 */
export function optionAsUsage(err: unknown, flagOf: Readonly<Record<string, string>>): unknown {
  if (!isPolygonStreamError(err, ErrorCode.InvalidOption)) return err;
  const option = String(err.details['option']);
  const flag = flagOf[option];
  const at = err.message.indexOf(`: ${option} `);
  if (flag === undefined || at < 0) return err;
  let rest = err.message.slice(at + option.length + 2);
  // Other options the text names, when unmistakable (camelCase: `or allowAnyToken: true`).
  for (const [name, other] of Object.entries(flagOf)) {
    if (/[A-Z.]/.test(name)) rest = rest.replaceAll(name, other);
  }
  return new UsageError(flag + rest);
}

/**
 * A server (simulator, relay) that could not listen. An address that is not this machine's is a
 * usage error naming `flag` (thrown); anything else (port taken, no permission) is a runtime
 * failure: the line to print, exit 1.
 */
export function listenFailure(
  what: string,
  flag: string,
  address: string,
  port: number,
  err: unknown,
): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL') {
    throw new UsageError(
      `${flag}: cannot listen on ${JSON.stringify(address)}: not an address of this machine (${code}); give one such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`,
    );
  }
  const hint =
    code === 'EADDRINUSE'
      ? ' (try another --port, or --port 0 for any free one)'
      : code === 'EACCES'
        ? ' (ports below 1024 need privileges: try another --port)'
        : '';
  const message = err instanceof Error ? err.message : String(err);
  return `error: cannot start ${what} on ${address}:${port}: ${message}${hint}`;
}
