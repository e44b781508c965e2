/**
 * Many CLI command lines in one child process: each runs through the CLI's own `main(argv)`
 * (src/cli/program.ts, what the executable runs), with its stdout and stderr captured, one after
 * the other, each bounded in time. For tables of mistakes that end before any connection: one
 * Node start-up for the whole table instead of one per line. The executable's own exit path is
 * tested by spawning it (test/helpers/spawn.ts).
 */
import { spawnNode } from './spawn.js';

export interface LineResult {
  /** The exit code `main` resolved with; null when it did not end within the bound. */
  code: number | null;
  stdout: string;
  stderr: string;
}

const PROGRAM = new URL('../../src/cli/program.ts', import.meta.url).href;

const SCRIPT = `
  const { main } = await import(${JSON.stringify(PROGRAM)});
  const lines = JSON.parse(process.env.CLI_BATCH_LINES);
  const limitMs = Number(process.env.CLI_BATCH_LIMIT_MS);
  const real = { out: process.stdout.write, err: process.stderr.write };
  const results = [];
  for (const args of lines) {
    const result = { code: null, stdout: '', stderr: '' };
    process.stdout.write = (chunk, ...rest) => { result.stdout += String(chunk); rest.find((a) => typeof a === 'function')?.(); return true; };
    process.stderr.write = (chunk, ...rest) => { result.stderr += String(chunk); rest.find((a) => typeof a === 'function')?.(); return true; };
    let timer;
    try {
      result.code = await Promise.race([
        main(['node', 'polygon-stream', ...args]),
        new Promise((resolve) => { timer = setTimeout(() => resolve(null), limitMs); }),
      ]);
    } finally {
      clearTimeout(timer);
      process.stdout.write = real.out;
      process.stderr.write = real.err;
    }
    results.push(result);
  }
  process.stdout.write(JSON.stringify(results), () => process.exit(0));
`;

/** Run each of `lines` (arguments after `polygon-stream`) through the CLI's `main`, in order. */
export async function runCliLines(
  lines: readonly (readonly string[])[],
  limitMs = 10_000,
): Promise<LineResult[]> {
  const run = spawnNode(['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    timeoutMs: 60_000 + lines.length * 1_000,
    env: { CLI_BATCH_LINES: JSON.stringify(lines), CLI_BATCH_LIMIT_MS: String(limitMs) },
  });
  const { code, stdout, stderr } = await run.result;
  if (code !== 0) throw new Error(`the batch runner exited ${code}: ${stderr.slice(-2000)}`);
  return JSON.parse(stdout) as LineResult[];
}
