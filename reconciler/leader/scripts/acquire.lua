-- acquire.lua: take the leader lock if nobody holds it, starting a new term with a new epoch.
--
-- KEYS[1] lock   STRING "<identity> <epoch>", with a TTL of the lease duration (PX). Absent
--                       when nobody leads.
-- KEYS[2] epoch  STRING the newest epoch ever issued (no TTL). It doubles as the data-loss
--                       marker: a leader that finds it missing knows Redis lost its data.
-- ARGV[1]: the candidate's identity (no spaces)
-- ARGV[2]: the lease duration in ms
-- Returns: {1, epoch} when the candidate now leads, {0, holder} when someone else holds it.
--
-- The epoch is max(previous epoch + 1, the server's TIME in ms): strictly increasing while
-- the epoch key lives, and still larger than every earlier epoch after Redis loses its data
-- (as long as the server clock does not run backwards), so queue fences keep working.

if redis.call('EXISTS', KEYS[1]) == 1 then
    return {0, redis.call('GET', KEYS[1])}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local epoch = string.format('%d', math.max(last + 1, now))
redis.call('SET', KEYS[2], epoch)
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. epoch, 'NX', 'PX', ARGV[2])
return {1, epoch}
