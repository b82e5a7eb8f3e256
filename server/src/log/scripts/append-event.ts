/**
 * The append script, as BullMQ writes its scripts: one atomic step with its KEYS/ARGV header.
 * Lua runs without interleaving, so the log order is the announcement order and seq has no gaps.
 */
const APPEND_LUA = `--[[
  Appends one headline event: idempotency check, optimistic version check, seq, log append,
  current state, announcement, audit, retention. JSON is spliced as text (cjson would turn []
  into {}).

  Input:
    KEYS[1] seq counter
    KEYS[2] log stream
    KEYS[3] current (id -> event JSON)
    KEYS[4] op marker
    KEYS[5] versions (id -> "version:seq")
    KEYS[6] audit stream
    KEYS[7] feed epoch

    ARGV[1]  channel
    ARGV[2]  headline id
    ARGV[3]  expected version
    ARGV[4]  event JSON (no seq)
    ARGV[5]  now (ms)
    ARGV[6]  maxEvents
    ARGV[7]  minAge (ms)
    ARGV[8]  op marker TTL (s)
    ARGV[9]  editor ('' for none)
    ARGV[10] audit action
    ARGV[11] audit max length
    ARGV[12] hard ceiling on the log's length
    ARGV[13] a fresh epoch, used when the counter starts

  Output:
    {'duplicate', seq} this operation was applied before
    {'conflict', version} the headline's version moved
    {'appended', seq, hardDropped}
]]
local done = redis.call('GET', KEYS[4])
if done then return {'duplicate', tonumber(done)} end
local cur = redis.call('HGET', KEYS[5], ARGV[2])
local version = 0
if cur then version = tonumber(string.match(cur, '^(%d+):')) end
if version ~= tonumber(ARGV[3]) then return {'conflict', version} end
-- The version this event replaces goes into the entry and the announcement, so readers who
-- could see it (its topics, its symbols) are told about the change.
local prev = redis.call('HGET', KEYS[3], ARGV[2])
-- The epoch is created with the counter (or just before it, by a reader): data lost with the
-- counter loses the epoch too, so a counter that starts again starts a new epoch.
if redis.call('EXISTS', KEYS[7]) == 0 then
  redis.call('SET', KEYS[7], ARGV[13])
end
local seq = redis.call('INCR', KEYS[1])
local ev = '{"seq":' .. seq .. ',' .. string.sub(ARGV[4], 2)
local now = tonumber(ARGV[5])
if prev then
  redis.call('XADD', KEYS[2], seq .. '-0', 'e', ev, 't', ARGV[5], 'i', ARGV[2], 'p', prev)
else
  redis.call('XADD', KEYS[2], seq .. '-0', 'e', ev, 't', ARGV[5], 'i', ARGV[2])
end
redis.call('HSET', KEYS[3], ARGV[2], ev)
redis.call('HSET', KEYS[5], ARGV[2], (version + 1) .. ':' .. seq)
redis.call('SET', KEYS[4], seq, 'EX', tonumber(ARGV[8]))
redis.call('PUBLISH', ARGV[1], '{"e":' .. ev .. ',"p":' .. (prev or 'null') .. '}')
-- The audit entry is part of the same step, so a retried job (recognised above) never adds a second.
if ARGV[9] ~= '' then
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[11], '*', 'id', ARGV[2], 'action', ARGV[10],
    'editor', ARGV[9], 'at', ARGV[5], 'seq', seq, 'version', version + 1)
end
-- Retention: drop the oldest entries only when beyond maxEvents AND older than minAge; a few
-- per append keeps each call short and still catches up. Beyond the hard ceiling, age does not
-- matter. A headline whose newest event leaves the log leaves the current state too.
local maxLen = tonumber(ARGV[6])
local hardMax = tonumber(ARGV[12])
local len = redis.call('XLEN', KEYS[2])
local excess = len - maxLen
local hardExcess = len - hardMax
local hardDropped = 0
if excess > 0 then
  local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', math.min(excess, math.max(16, math.min(hardExcess + 1, 1000))))
  for n, entry in ipairs(oldest) do
    local f = entry[2]
    local t, hid = 0, nil
    for j = 1, #f, 2 do
      if f[j] == 't' then t = tonumber(f[j + 1]) elseif f[j] == 'i' then hid = f[j + 1] end
    end
    local forced = n <= hardExcess
    if not forced and t > now - tonumber(ARGV[7]) then break end
    if forced and t > now - tonumber(ARGV[7]) then hardDropped = hardDropped + 1 end
    redis.call('XDEL', KEYS[2], entry[1])
    if hid then
      local vs = redis.call('HGET', KEYS[5], hid)
      if vs and (string.match(vs, ':(%d+)$') .. '-0') == entry[1] then
        redis.call('HDEL', KEYS[5], hid)
        redis.call('HDEL', KEYS[3], hid)
      end
    end
  end
end
return {'appended', seq, hardDropped}
`;

/** How many KEYS the append script takes. */
export const APPEND_KEYS = 7;

/**
 * The append script for a connection: in a cluster the announcement is sharded (SPUBLISH), so
 * it stays on the feed slot's node instead of crossing the whole cluster bus; under durability
 * "replica" the commit step announces, once a replica has the event, so this one does not.
 */
export function appendScript(variant: { cluster: boolean; announce: boolean }): string {
  const announce = APPEND_LUA.split('\n').find((line) => line.startsWith("redis.call('PUBLISH', ARGV[1],"));
  if (announce === undefined) throw new Error('append script: announcement line not found');
  if (!variant.announce) return APPEND_LUA.replace(announce, '');
  return variant.cluster ? APPEND_LUA.replace(announce, announce.replace("'PUBLISH'", "'SPUBLISH'")) : APPEND_LUA;
}
