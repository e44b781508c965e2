/**
 * The README's generated sections: the stream/method table (from src/protocol/streams.ts) and the error
 * table (from src/errors.ts). `npm run docs` rewrites them; test/unit/readme.test.ts fails when stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_DOCS } from '../src/errors.js';
import { STREAMS, UNSUBSCRIBE_ALIASES } from '../src/protocol/streams.js';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));

export function streamsTable(): string {
  const rows = new Map<
    string,
    { seed: string; methods: string; prefix: string; clusters: string[]; symbolPrefix: string[] }
  >();
  for (const s of STREAMS) {
    const row = rows.get(s.method) ?? {
      seed: s.seedName ? `\`subscribe_${s.seedName}\`` : '— (beyond the seed)',
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
    row.methods += ` (also \`${alias}\`, the seed's name)`;
  }
  const lines = [
    '| seed method | polygon-stream | topic prefix / `ev` | clusters | symbol prefix added |',
    '|---|---|---|---|---|',
    ...[...rows.values()].map(
      (r) =>
        `| ${r.seed} | ${r.methods} | ${r.prefix} | ${r.clusters.join(', ')} | ${r.symbolPrefix.map((p) => `\`${p}\``).join(' ') || '—'} |`,
    ),
  ];
  return lines.join('\n');
}

export function errorsTable(): string {
  return [
    '| `err.code` | meaning |',
    '|---|---|',
    ...Object.entries(ERROR_DOCS).map(([code, text]) => `| \`${code}\` | ${text} |`),
  ].join('\n');
}

export const SECTIONS: Record<string, () => string> = {
  streams: streamsTable,
  errors: errorsTable,
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
