-- cache_put.lua: store objects' latest states, or short-lived tombstones, never going back.
--
-- KEYS[1]        index  SET    the queue keys of the live (non-tombstoned) entries
-- KEYS[2..n+1]   entry  STRING "<resourceVersion>\n<object JSON>"; a tombstone is
--                              "<resourceVersion>\n" with a TTL of ARGV[1] ms
-- ARGV[1]: the tombstone TTL in ms
-- ARGV[3i-1], ARGV[3i], ARGV[3i+1] for entry i (KEYS[i+1]), i = 1..n: its resourceVersion,
--   its JSON ("" for a deletion), and its queue key (namespace/name, the index member)
-- Returns: how many entries were written. An entry that already holds a newer
--   resourceVersion is left alone (a stale writer, e.g. a deposed leader, cannot roll the
--   cache back). resourceVersions compare as integers when both are; otherwise the new
--   write wins.

local written = 0
for i = 1, #KEYS - 1 do
    local key, rv, body, member = KEYS[i + 1], ARGV[3 * i - 1], ARGV[3 * i], ARGV[3 * i + 1]
    local stale = false
    local current = redis.call('GET', key)
    if current then
        local stored = tonumber(string.match(current, '^[^\n]*'))
        local incoming = tonumber(rv)
        stale = stored ~= nil and incoming ~= nil and incoming < stored
    end
    if not stale then
        if body == '' then
            redis.call('SET', key, rv .. '\n', 'PX', ARGV[1])
            redis.call('SREM', KEYS[1], member)
        else
            redis.call('SET', key, rv .. '\n' .. body)
            redis.call('SADD', KEYS[1], member)
        end
        written = written + 1
    end
end
return written
