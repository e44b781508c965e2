/**
 * Removing a group's dead consumers: those with no pending entries, idle (no read, claim or ack)
 * for longer than a threshold. The check and the XGROUP DELCONSUMER run in one script, so a
 * consumer that reads between the two cannot lose the entries it was just handed (DELCONSUMER
 * drops a consumer's pending entries). The caller's own consumer is never removed.
 */
import type { RedisConnection as Redis } from '../open-redis.js';

const REMOVE_IDLE = `
local removed = {}
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if info['name'] ~= ARGV[2] and tonumber(info['pending']) == 0
     and tonumber(info['idle']) > tonumber(ARGV[3]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    table.insert(removed, info['name'])
  end
end
return removed
`;

/** The names removed. */
export async function removeDeadConsumers(
  cmd: Redis,
  key: string,
  group: string,
  self: string,
  idleMs: number,
): Promise<string[]> {
  const removed = await cmd.eval(REMOVE_IDLE, 1, key, group, self, String(idleMs));
  return Array.isArray(removed) ? removed.map(String) : [];
}
