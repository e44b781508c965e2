/**
 * Tests that need a system program (redis-server, a browser …) call `requireSystemBinary` at the
 * top of their file and pass its `skip` to each test. On a machine without it they skip, each
 * counted and named with the install hint in the runner's summary, after one line on stderr naming what to
 * install (one per `node --test` run, however many files need the program); where it must be
 * present (`CI` set, or the program's own variable such as `REQUIRE_REDIS=1`), a missing program
 * fails the file instead.
 */
import {
  accessSync,
  constants,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface SystemBinaryOptions {
  /** Environment variable that makes the program mandatory, as `CI` does (`REQUIRE_REDIS`). */
  env: string;
  /** How to install it (`apt-get install redis-server`). */
  install: string;
  /** What is skipped without it (`the Redis tests`). */
  what: string;
}

export interface SystemBinary {
  /** Absolute path of the program, when found on PATH. */
  path: string | undefined;
  /**
   * For each test's options (`test(name, { skip }, …)`): false when the program is there, else
   * the reason, which the runner prints beside each skipped test and counts in its summary. (A
   * skipped `describe` would hide its tests from the count: pass it to the tests themselves.)
   */
  skip: string | false;
}

/** The first executable file called `name` in a PATH list. */
export function findOnPath(name: string, pathList = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of pathList.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

export function requireSystemBinary(name: string, options: SystemBinaryOptions): SystemBinary {
  const path = findOnPath(name);
  if (path !== undefined) return { path, skip: false };
  return { path: undefined, skip: missingProgram(name, options) };
}

/**
 * `name` is not there: throws where it is required (CI or `options.env` set), else says so on
 * stderr once per run and returns the reason to skip with.
 */
export function missingProgram(name: string, options: SystemBinaryOptions): string {
  const reason = `${name} not found (install: ${options.install})`;
  const required = isSet(process.env['CI']) || isSet(process.env[options.env]);
  if (required) {
    throw new Error(
      `${name} not found on PATH, and ${options.what} are required here (CI or ${options.env} is set): install it (${options.install})`,
    );
  }
  if (firstToSay(name)) {
    process.stderr.write(
      `${name} not found: skipping ${options.what} (install: ${options.install}; set ${options.env}=1 to make this a failure)\n`,
    );
  }
  return reason;
}

/**
 * Whether this file is the first of its `node --test` run to say that `name` is missing. The
 * runner starts one process per file, all its children: the first to create a marker named for
 * the runner's pid says it. Markers of runs that have ended are removed. A file run on its own
 * always says it.
 */
function firstToSay(name: string): boolean {
  if (process.env['NODE_TEST_CONTEXT'] === undefined) return true;
  const dir = join(tmpdir(), 'polygon-stream-missing-programs');
  try {
    mkdirSync(dir, { recursive: true });
    for (const marker of readdirSync(dir)) {
      if (!running(Number(marker.split('-')[0]))) rmSync(join(dir, marker), { force: true });
    }
    writeFileSync(join(dir, `${process.ppid}-${name}`), '', { flag: 'wx' });
    return true;
  } catch (err) {
    // EEXIST: another file of this run said it. Anything else: better said twice than never.
    return (err as NodeJS.ErrnoException).code !== 'EEXIST';
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
