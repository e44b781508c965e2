/**
 * The sink's server-side scripts. Each runs atomically, so a batch is applied (and persisted) whole
 * and a trim sees every group at one instant.
 *
 * "Needed" is the oldest entry some consumer group may still have to handle: for each group its
 * oldest pending (delivered, not acknowledged) entry, else its last-delivered id; the smallest of
 * those over every group. `XTRIM MINID needed` deletes only entries every group has read and
 * acknowledged (plus nothing: the last-delivered entry itself is kept). With no group, nothing is
 * needed-known and nothing is trimmed by it.
 */

const NEEDED = `
local function parse(id)
  local d = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, d - 1)), tonumber(string.sub(id, d + 1))
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as < bs)
end
local function needed(key)
  local min = nil
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
    local f = {}
    for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
    local id = f['last-delivered-id']
    if f['pending'] > 0 then
      local oldest = redis.call('XPENDING', key, f['name'])[2]
      if less(oldest, id) then id = oldest end
    end
    if min == nil or less(id, min) then min = id end
  end
  return min
end
local function first_id(key)
  local e = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)
  if #e == 0 then return '' end
  return e[1][1]
end
`;

/**
 * KEYS[1] the stream; ARGV[1] the length ceiling in entries ('' = none), then (n, data) per entry:
 * each becomes an entry with fields `n` (its number of events) and `data` (their JSON array).
 * Returns { first id, last id, events the ceiling trimmed unread, entries it trimmed unread,
 * groups, first id kept ('' when nothing was trimmed) }. Over the ceiling it first trims what
 * every group has handled, then, if still over, the oldest entries down to the ceiling: those are
 * the unread ones it reports, their events counted by their `n` (an entry without one, in the old
 * one-event format or someone else's, counts as one).
 */
export const XADD_BATCH = `${NEEDED}
local function events_in(fields)
  for i = 1, #fields, 2 do
    if fields[i] == 'n' then return tonumber(fields[i + 1]) or 1 end
  end
  return 1
end
local key, maxlen = KEYS[1], tonumber(ARGV[1])
local first, last
for i = 2, #ARGV, 2 do
  last = redis.call('XADD', key, '*', 'n', ARGV[i], 'data', ARGV[i + 1])
  if first == nil then first = last end
end
local unread, unreadEntries, groups, kept = 0, 0, 0, ''
if maxlen and redis.call('XLEN', key) > maxlen then
  groups = #redis.call('XINFO', 'GROUPS', key)
  local min = needed(key)
  if min then redis.call('XTRIM', key, 'MINID', min) end
  local excess = redis.call('XLEN', key) - maxlen
  if excess > 0 then
    for _, e in ipairs(redis.call('XRANGE', key, '-', '+', 'COUNT', excess)) do
      unread = unread + events_in(e[2])
    end
    unreadEntries = redis.call('XTRIM', key, 'MAXLEN', maxlen)
  end
  kept = first_id(key)
end
return { first, last, unread, unreadEntries, groups, kept }
`;

/**
 * KEYS[1] the stream. Trims what every group has handled. Returns { entries trimmed, groups,
 * first id kept ('' when the stream is missing or empty) }; with no group it trims nothing.
 */
export const TRIM_HANDLED = `${NEEDED}
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return { 0, 0, '' } end
local groups = #redis.call('XINFO', 'GROUPS', key)
local min = needed(key)
local trimmed = 0
if min then trimmed = redis.call('XTRIM', key, 'MINID', min) end
return { trimmed, groups, first_id(key) }
`;
