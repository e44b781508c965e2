/** The `--host` part of `stream --help` / `record --help`: the host table's names, wrapped. */
import { DEFAULT_HOST, HOST_NAMES } from '../protocol/hosts.js';

/** Words joined by ', ' in lines no wider than `width`, each indented by `indent`. */
function wrap(words: readonly string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const [i, word] of words.entries()) {
    const piece = i < words.length - 1 ? `${word},` : word;
    if (line.length > indent.length && line.length + 1 + piece.length > width) {
      lines.push(line);
      line = indent;
    }
    line += line.length > indent.length ? ` ${piece}` : piece;
  }
  lines.push(line);
  return lines;
}

/** The provider's host names (src/protocol/hosts.ts) for --help, at most `width` columns. */
export function hostsHelp(width: number): string {
  return [
    `Hosts (--host NAME.massive.com, NAME.polygon.io (legacy) or just NAME; default ${DEFAULT_HOST};`,
    'a host that does not serve the cluster, as far as the README host table knows, gets a warning):',
    ...wrap(HOST_NAMES, width, '  '),
  ].join('\n');
}
