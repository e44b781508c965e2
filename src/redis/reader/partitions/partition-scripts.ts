/**
 * The partitioned reader's Lua scripts (partition-reader.ts): each checks, in the same script, that
 * the partition's lease still holds this consumer's name before it reads or takes over anything,
 * so a consumer whose lease Redis let expire never gets another entry of that partition. The
 * stream and its lease share a hash tag, hence one slot (Redis Cluster).
 */

/** KEYS: stream, lease; ARGV: group, consumer, count. {'lost'} | {'read', entries} | {'idle', last id}. */
export const READ = `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return {'lost'} end
local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if r then return {'read', r[1][2]} end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if last[1] then return {'idle', last[1][1]} end
return {'idle', '0-0'}
`;

/** KEYS: stream, lease; ARGV: group, consumer, count, cursor. {'lost'} | {'claimed', cursor, entries}. */
export const TAKE_OVER = `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return {'lost'} end
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[4], 'COUNT', ARGV[3])
return {'claimed', r[1], r[2]}
`;
