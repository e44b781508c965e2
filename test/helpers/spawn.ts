/**
 * Run node scripts (the built CLI, examples) as a user would: a child process whose output is
 * captured, killed after a bound, and killed in `after` (killAll) if a test left it running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  result: Promise<Result>;
  /** Resolves with the first match on the stream; rejects on timeout or if the child exits first. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<string>;
  stdout(): string;
}

export interface SpawnOptions {
  /** SIGKILL after this long (every test is bounded). */
  timeoutMs?: number;
  /** Added to the environment; POLYGON_API_KEY and FORCE_COLOR are removed unless set here. */
  env?: NodeJS.ProcessEnv;
}

const children = new Set<ChildProcess>();

/** `node ...args` from the repo root. */
export function spawnNode(
  args: string[],
  { timeoutMs = 15_000, env = {} }: SpawnOptions = {},
): Running {
  const cleanEnv = { ...process.env, ...env };
  if (!('POLYGON_API_KEY' in env)) delete cleanEnv['POLYGON_API_KEY'];
  if (!('FORCE_COLOR' in env)) delete cleanEnv['FORCE_COLOR'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: cleanEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  let closed = false;
  const watchers = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...watchers]) w();
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    notify();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const result = new Promise<Result>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      closed = true;
      notify();
      resolve({ code, signal, stdout, stderr });
    });
  });
  const waitFor = (
    pattern: RegExp,
    stream: 'stdout' | 'stderr' = 'stdout',
    ms = 10_000,
  ): Promise<string> =>
    new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        watchers.delete(check);
        clearTimeout(t);
        reject(
          new Error(
            `${why} waiting for ${pattern} on ${stream}; stdout: ${stdout.slice(-500)} stderr: ${stderr.slice(-500)}`,
          ),
        );
      };
      const check = (): void => {
        const match = pattern.exec(stream === 'stdout' ? stdout : stderr);
        if (match) {
          watchers.delete(check);
          clearTimeout(t);
          resolve(match[0]);
        } else if (closed) fail('exited');
      };
      const t = setTimeout(() => fail('timed out'), ms);
      watchers.add(check);
      check();
    });
  return { child, result, waitFor, stdout: () => stdout };
}

/** For `after`: kill whatever a failed test left running. */
export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
}
