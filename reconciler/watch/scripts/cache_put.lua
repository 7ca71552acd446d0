-- cache_put.lua: store an object's latest state, or a short-lived tombstone, never going back.
--
-- KEYS[1] entry  STRING "<resourceVersion>\n<object JSON>"; a tombstone is
--                       "<resourceVersion>\n" with a TTL of ARGV[4] ms.
-- KEYS[2] index  SET    the queue keys of the live (non-tombstoned) entries of this resource
-- ARGV[1]: the resourceVersion   ARGV[2]: the object's JSON, or "" for a deletion
-- ARGV[3]: the object's queue key (namespace/name)   ARGV[4]: the tombstone TTL in ms
-- Returns: 1 when written; 0 when the entry already holds a newer resourceVersion (a stale
--   writer, e.g. a deposed leader, cannot roll the cache back). resourceVersions compare as
--   integers when both are; otherwise the newer write wins.

local current = redis.call('GET', KEYS[1])
if current then
    local stored = tonumber(string.match(current, '^[^\n]*'))
    local incoming = tonumber(ARGV[1])
    if stored and incoming and incoming < stored then
        return 0
    end
end
if ARGV[2] == '' then
    redis.call('SET', KEYS[1], ARGV[1] .. '\n', 'PX', ARGV[4])
    redis.call('SREM', KEYS[2], ARGV[3])
else
    redis.call('SET', KEYS[1], ARGV[1] .. '\n' .. ARGV[2])
    redis.call('SADD', KEYS[2], ARGV[3])
end
return 1
