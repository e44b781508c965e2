/**
 * The benchmark's child processes, driven over IPC: the feed (server.ts) and one client worker per
 * delivery mode (scenarios.ts), each forked with its own flag; `stopAll` ends every one started.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromServer, ToServer } from './server.js';
import type { FromWorker, Mode, ToWorker } from './scenarios.js';

interface Message {
  type: string;
}

/**
 * Send `request` to a forked `child` and resolve with its next message of `type` (messages of
 * other types pass by): how the fan-out and relay benches ask their children for figures.
 */
export function ask<Out extends Message, T extends Out['type']>(
  child: ChildProcess,
  request: unknown,
  type: T,
): Promise<Extract<Out, { type: T }>> {
  return new Promise((resolve) => {
    const on = (m: Out): void => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as Extract<Out, { type: T }>);
    };
    child.on('message', on);
    child.send(request as object);
  });
}

const children: Child<{ cmd: 'exit' }, Message>[] = [];
export const stopAll = (): void => children.forEach((c) => c.stop());

class Child<In, Out extends Message> {
  readonly proc: ChildProcess;
  private readonly inbox: Out[] = [];
  private wake: (() => void) | undefined;
  private exited = false;

  /** Fork `file` with `env[flag] = '1'` (which makes it serve IPC); stopped by stopAll(). */
  constructor(file: string, flag: string, execArgv: string[]) {
    this.proc = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
      execArgv,
      env: { ...process.env, [flag]: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (msg: Out) => {
      this.inbox.push(msg);
      this.wake?.();
    });
    this.proc.on('exit', () => {
      this.exited = true;
      this.wake?.();
    });
    children.push(this as unknown as Child<{ cmd: 'exit' }, Message>);
  }

  send(msg: In): void {
    if (!this.exited) this.proc.send(msg as object);
  }

  /** The next message of `type` (dropping none of the others), or throw on timeout / exit. */
  async next<T extends Out['type']>(type: T, ms: number): Promise<Extract<Out, { type: T }>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Extract<Out, { type: T }>;
      const left = deadline - Date.now();
      if (this.exited) throw new Error(`child process exited while waiting for '${type}'`);
      if (left <= 0) throw new Error(`no '${type}' from the child process within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }

  clear(): void {
    this.inbox.length = 0;
  }

  stop(): void {
    if (this.exited) return;
    // A child whose IPC channel already closed (it is exiting) cannot be asked to exit: kill it.
    if (this.proc.connected) this.proc.send({ cmd: 'exit' }, () => undefined);
    setTimeout(() => this.proc.kill('SIGKILL'), 1_000).unref();
  }
}

export type Server = Child<ToServer, FromServer>;
export type Worker = Child<ToWorker, FromWorker>;

export async function startServer(): Promise<{ server: Server; port: number }> {
  const server: Server = new Child('./server.ts', 'POLYGON_STREAM_BENCH_SERVER', [
    '--import',
    'tsx',
  ]);
  const { port } = await server.next('ready', 20_000);
  return { server, port };
}

export async function startWorkers(modes: readonly Mode[]): Promise<Map<Mode, Worker>> {
  const execArgv = ['--expose-gc', '--import', 'tsx'];
  const workers = new Map<Mode, Worker>();
  for (const mode of modes) {
    workers.set(mode, new Child('./scenarios.ts', 'POLYGON_STREAM_BENCH_WORKER', execArgv));
  }
  for (const worker of workers.values()) await worker.next('ready', 20_000);
  return workers;
}
