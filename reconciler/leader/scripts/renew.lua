-- renew.lua: compare-and-extend the leader lock; notice a lost term or lost Redis data.
--
-- KEYS[1] lock   STRING "<identity> <epoch>" with a TTL (see acquire.lua)
-- KEYS[2] epoch  STRING the newest epoch ever issued; missing means Redis lost its data
-- ARGV[1]: the leader's identity   ARGV[2]: its epoch   ARGV[3]: the lease duration in ms
-- Returns one of:
--   {1, epoch}   renewed: the lock is ours again for ARGV[3] ms. Also when our lock lapsed
--                but no other term began since (the epoch key still holds our epoch).
--   {2, epoch}   Redis lost its data (the epoch key is gone): a new term begins with a new,
--                larger epoch and the lock is ours; the caller must relist everything.
--   {0, holder}  deposed: another term began; holder is the lock's value, or '' if none.

local mine = ARGV[1] .. ' ' .. ARGV[2]
local current = redis.call('GET', KEYS[1])
if current == mine then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return {1, ARGV[2]}
end
if current then
    return {0, current}
end
local last = redis.call('GET', KEYS[2])
if not last then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local epoch = string.format('%d', math.max(tonumber(ARGV[2]) + 1, now))
    redis.call('SET', KEYS[2], epoch)
    redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. epoch, 'PX', ARGV[3])
    return {2, epoch}
end
if last == ARGV[2] then
    redis.call('SET', KEYS[1], mine, 'PX', ARGV[3])
    return {1, ARGV[2]}
end
return {0, ''}
