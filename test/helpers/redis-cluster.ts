/**
 * A private three-node Redis Cluster per test file: three `startRedis` servers (free loopback
 * ports, temporary dirs, no persistence; killed and removed by its exit hook too) started with
 * `--cluster-enabled yes`, joined by `redis-cli --cluster create … --cluster-replicas 0`, ready
 * once every node says `cluster_state:ok`. A node's `nodes.conf` (its cluster identity and slots)
 * stays in its dir, so a node killed and started again rejoins owning the same slots, its data
 * gone.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireSystemBinary, type SystemBinary } from './system-deps.js';
import { requireRedis, startRedis, type RedisServer } from './redis.js';

const run = promisify(execFile);

/** Short, so that a test waits little for a node to be seen failed or back. */
const NODE_TIMEOUT_MS = 2_000;
const READY_TIMEOUT_MS = 15_000;

export interface RedisCluster {
  readonly nodes: readonly RedisServer[];
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`. */
  readonly url: string;
  /** `redis-cli -p <port> …` on one node, its whole reply. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** Until every node says cluster_state:ok and knows all 16384 slots (throws after 15 s). */
  waitReady(): Promise<void>;
  /** Stop and remove every node. Safe to call twice. */
  dispose(): Promise<void>;
}

/** Call at the top of a cluster test file, and pass `{ skip: cluster.skip }` to each test. */
export function requireRedisCluster(): SystemBinary {
  const server = requireRedis();
  if (server.skip) return server;
  // Debian's redis-server depends on redis-tools, which has redis-cli.
  return requireSystemBinary('redis-cli', {
    env: 'REQUIRE_REDIS',
    install: 'apt-get install redis-tools',
    what: 'the Redis Cluster tests',
  });
}

export async function startRedisCluster(): Promise<RedisCluster> {
  const settings = [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(NODE_TIMEOUT_MS),
  ];
  const started = await Promise.allSettled([0, 1, 2].map(() => startRedis(settings)));
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  let disposed = false;
  const cluster: RedisCluster = {
    nodes,
    url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    async cli(port, ...args) {
      const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
        timeout: 10_000,
      });
      return stdout;
    },
    async waitReady() {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        const infos = await Promise.all(
          nodes.map((n) =>
            cluster.cli(n.port, 'CLUSTER', 'INFO').catch((err: Error) => err.message),
          ),
        );
        const ok = infos.every(
          (i) => /cluster_state:ok/.test(i) && /cluster_slots_ok:16384/.test(i),
        );
        if (ok) return;
        if (Date.now() > deadline) {
          throw new Error(`the cluster is not ready:\n${infos.join('\n---\n')}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all(nodes.map((n) => n.dispose()));
    },
  };
  try {
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 20_000 },
    );
    await cluster.waitReady();
  } catch (err) {
    await cluster.dispose();
    throw err;
  }
  return cluster;
}
