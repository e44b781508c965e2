/**
 * The README's generated sections: the stream/method table (from src/protocol/streams.ts), the host
 * table (from src/protocol/hosts.ts), the error table (from src/errors.ts) and the reconnect budget
 * (from the defaults in src/client/config.ts). `npm run docs` rewrites them;
 * test/unit/readme.test.ts fails when stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_DOCS } from '../src/errors.js';
import { STREAMS, UNSUBSCRIBE_ALIASES } from '../src/protocol/streams.js';
import { DEFAULT_HOST, delayMinutes, HOSTS } from '../src/protocol/hosts.js';
import { totalDelayMs } from '../src/client/connection/backoff.js';
import { DEFAULT_RECONNECT, DEFAULTS } from '../src/client/config.js';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));

export function streamsTable(): string {
  const rows = new Map<
    string,
    { python: string; methods: string; prefix: string; clusters: string[]; symbolPrefix: string[] }
  >();
  for (const s of STREAMS) {
    const row = rows.get(s.method) ?? {
      python: s.pythonName ? `\`subscribe_${s.pythonName}\`` : '— (not in the Python library)',
      methods: `\`subscribe${s.method}\` / \`unsubscribe${s.method}\``,
      prefix: `\`${s.prefix}\``,
      clusters: [],
      symbolPrefix: [],
    };
    row.clusters.push(s.cluster);
    if (s.symbolPrefix && !row.symbolPrefix.includes(s.symbolPrefix))
      row.symbolPrefix.push(s.symbolPrefix);
    rows.set(s.method, row);
  }
  for (const [alias, method] of Object.entries(UNSUBSCRIBE_ALIASES)) {
    const row = rows.get(method)!;
    row.methods += ` (also \`${alias}\`, the Python library's name)`;
  }
  const lines = [
    '| Python `polygon` method | polygon-stream | topic prefix / `ev` | clusters | symbol prefix added |',
    '|---|---|---|---|---|',
    ...[...rows.values()].map(
      (r) =>
        `| ${r.python} | ${r.methods} | ${r.prefix} | ${r.clusters.join(', ')} | ${r.symbolPrefix.map((p) => `\`${p}\``).join(' ') || '—'} |`,
    ),
  ];
  return lines.join('\n');
}

export function hostsTable(): string {
  const timing = (h: (typeof HOSTS)[number]): string => {
    if (h.timing === 'real-time') return 'real-time';
    const stocks = delayMinutes(h, 'stocks');
    const futures = delayMinutes(h, 'futures');
    return h.clusters === 'any' || h.clusters.some((c) => c.startsWith('futures'))
      ? `delayed: ${stocks} min, futures ${futures}`
      : `delayed: ${stocks} min`;
  };
  const clusters = (h: (typeof HOSTS)[number]): string => {
    if (h.clusters === 'any') return 'any (nothing known)';
    const futures = h.clusters.filter((c) => c.startsWith('futures'));
    const rest = h.clusters.filter((c) => !c.startsWith('futures'));
    return [...rest, ...(futures.length === 5 ? ['futures (all, per exchange)'] : futures)].join(
      ', ',
    );
  };
  return [
    '| host (`.massive.com` / `.polygon.io`) | clusters | data | for | unconfirmed |',
    '|---|---|---|---|---|',
    ...HOSTS.map((h) => {
      const name =
        `${h.name}.massive.com` === DEFAULT_HOST ? `\`${h.name}\` (default)` : `\`${h.name}\``;
      const feed = h.feed === 'market' ? '' : `; ${h.feed} feed`;
      return `| ${name} | ${clusters(h)} | ${timing(h)}${feed} | ${h.audience} | ${h.unconfirmed || '—'} |`;
    }),
  ].join('\n');
}

export function errorsTable(): string {
  return [
    '| `err.code` | meaning |',
    '|---|---|',
    ...Object.entries(ERROR_DOCS).map(([code, text]) => `| \`${code}\` | ${text} |`),
  ].join('\n');
}

const seconds = (ms: number): string => `${+(ms / 1000).toFixed(1)} s`;

export function reconnectText(): string {
  const p = DEFAULT_RECONNECT;
  const delays: string[] = [];
  for (let n = 0; n < p.maxAttempts; n++) {
    const delay = seconds(Math.min(p.maxDelayMs, p.initialDelayMs * p.factor ** n));
    if (delays.at(-1) === delay) break;
    delays.push(delay);
  }
  const total = totalDelayMs(p);
  return [
    'Delay before attempt _n_ = min(`maxDelayMs`, `initialDelayMs` × `factor`^(n−1)) × (1 − `jitter` × random):',
    `${delays.join(', ')} …; with the defaults, ${p.maxAttempts} attempts wait ${seconds(total.min)} to ${seconds(total.max)} in all`,
    `(${seconds(total.mean)} on average, about ${Math.round(total.mean / 60_000)} minutes), plus the time the attempts themselves take,`,
    'before `RECONNECT_EXHAUSTED`. That budget is for a client that was streaming. A client that has',
    `never been connected (likely a wrong host, port or key) reports its first failure at once and gives up`,
    `after \`firstConnectTimeoutMs\` (${seconds(DEFAULTS.firstConnectTimeoutMs)}): \`startStreamThread()\` rejects with \`CONNECTION_FAILED\`.`,
  ].join('\n');
}

export const SECTIONS: Record<string, () => string> = {
  streams: streamsTable,
  hosts: hostsTable,
  errors: errorsTable,
  reconnect: reconnectText,
};

/** README text with every generated section replaced by its current content. */
export function render(readme: string): string {
  let out = readme;
  for (const [name, make] of Object.entries(SECTIONS)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const i = out.indexOf(start);
    const j = out.indexOf(end);
    if (i < 0 || j < i) throw new Error(`README.md has no ${start} … ${end} section`);
    out = `${out.slice(0, i + start.length)}\n${make()}\n${out.slice(j)}`;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(README, render(readFileSync(README, 'utf8')));
}
