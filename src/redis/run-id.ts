/**
 * The run id of the Redis server that holds a key: INFO server's `run_id`, a new one each time
 * redis-server starts, so a changed one means that server restarted. On a Cluster that is the node
 * owning the key's slot, the only one whose restart matters for the key: a one-line script that
 * declares the key is routed there (ioredis sends it by the key's slot and follows MOVED) and
 * reads INFO on that node. On a single server it is that server.
 */
import type { RedisConnection } from './open-redis.js';

const INFO_WHERE_KEY_IS = "return redis.call('INFO', 'server')";

/** `undefined` when the server does not say (INFO without run_id). */
export async function runIdOf(client: RedisConnection, key: string): Promise<string | undefined> {
  const info = (await client.eval(INFO_WHERE_KEY_IS, 1, key)) as string;
  return /^run_id:(\w+)/m.exec(info)?.[1];
}
