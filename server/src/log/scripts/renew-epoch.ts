/** Renews the feed epoch unless another caller already did. */
export const RENEW_EPOCH_LUA = `--[[
  Input:
    KEYS[1] feed epoch

    ARGV[1] the epoch the caller knew
    ARGV[2] a fresh one

  Output:
    the epoch now
]]
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return ARGV[2]
end
return cur
`;
