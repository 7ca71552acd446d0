-- raise_fence.lua: raise the queue's fence to a new leader's epoch, never lower it.
--
-- A new leader calls this on taking office, so writes from any older epoch are refused even
-- before the new leader writes anything itself.
--
-- KEYS[1..9]: the queue's keys in the order of _common.lua. Touches meta (fence) only.
-- ARGV[1]: unused (kept for the common layout)   ARGV[2]: the epoch
-- Returns: the fence after the call.

local epoch = tonumber(ARGV[2])
local fence = tonumber(redis.call('HGET', K_META, 'fence') or '0')
if epoch > fence then
    redis.call('HSET', K_META, 'fence', ARGV[2])
    return epoch
end
return fence
