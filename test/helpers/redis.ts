/**
 * A private redis-server per test file: free loopback port, temporary dir, no persistence unless
 * asked (`restart()` shuts down with SAVE so the data survives, like a Redis restart with RDB).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireSystemBinary, type SystemBinary } from './system-deps.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** SHUTDOWN SAVE (or SIGKILL with `{ save: false }`) and wait for the process to exit. */
  stop(opts?: { save?: boolean }): Promise<void>;
  /**
   * Start again on the same port and dir (loading the RDB a saving stop left, or the AOF).
   * `settings`: redis-server arguments for this start, after the defaults (no persistence), e.g.
   * `['--appendonly', 'yes', '--appendfsync', 'always']`; omitted: those of the first start.
   */
  start(settings?: readonly string[]): Promise<void>;
  /** stop({ save: true }) then start(). */
  restart(): Promise<void>;
  /** Stop and remove the dir. Safe to call twice. */
  dispose(): Promise<void>;
}

/** Call at the top of a Redis test file, and pass `{ skip: redis.skip }` to each test. */
export function requireRedis(): SystemBinary {
  return requireSystemBinary('redis-server', {
    env: 'REQUIRE_REDIS',
    install: 'apt-get install redis-server',
    what: 'the Redis tests',
  });
}

const START_TIMEOUT_MS = 10_000;
const live = new Set<ChildProcess>();
const dirs = new Set<string>();
function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
process.once('exit', killAll);
// 'exit' does not run when a signal ends the process (a runner's timeout): kill, then die of it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Send one inline command and return the first reply line (or reject on connection error). */
export function rawCommand(port: number, command: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${command} on port ${port}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\r\n');
      if (nl >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(buf.slice(0, nl));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (!buf.includes('\r\n')) reject(new Error(`connection closed by redis on port ${port}`));
    });
  });
}

/** `settings`: extra redis-server arguments (see `RedisServer.start`). */
export async function startRedis(settings: readonly string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'polygon-stream-redis-'));
  dirs.add(dir);
  let child: ChildProcess | undefined;
  let disposed = false;
  let output = '';

  async function start(given: readonly string[] = settings): Promise<void> {
    const proc = spawn(
      'redis-server',
      // prettier-ignore
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...given],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    live.add(proc);
    proc.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    proc.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) =>
        reject(new Error(`redis-server exited early (code ${code}):\n${output}`)),
      ),
    );
    exited.catch(() => {});
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        const reply = await Promise.race([rawCommand(port, 'PING', 500), exited]);
        if (reply === '+PONG') return;
      } catch (err) {
        if (proc.exitCode !== null) throw err;
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING:\n${output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function stop(opts: { save?: boolean } = {}): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    if (opts.save ?? true) {
      await rawCommand(port, 'SHUTDOWN SAVE', 5_000).catch(() => {});
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    } else {
      proc.kill('SIGKILL');
      await exited;
    }
    live.delete(proc);
  }

  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    stop,
    start: (given) => start(given),
    async restart() {
      await stop({ save: true });
      await start();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await stop({ save: false });
      await rm(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
  await start();
  return server;
}
