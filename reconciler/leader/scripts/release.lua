-- release.lua: give up the leader lock if we still hold it, for a fast hand-over.
--
-- KEYS[1] lock   STRING "<identity> <epoch>" with a TTL (see acquire.lua)
-- ARGV[1]: the leader's identity   ARGV[2]: its epoch
-- Returns: 1 when the lock was ours and is now deleted, 0 when it was not ours.
-- The epoch key is left alone: the next term's epoch must be larger than ours.

if redis.call('GET', KEYS[1]) == ARGV[1] .. ' ' .. ARGV[2] then
    redis.call('DEL', KEYS[1])
    return 1
end
return 0
