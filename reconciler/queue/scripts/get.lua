-- get.lua: lease up to N ready keys, oldest first.
--
-- Each lease gets a fresh fencing token (HINCRBY meta seq) and a deadline; a key whose lease expires is
-- returned to the queue by the next tick. When keys remain ready after this call, another idle
-- getter is woken, so a burst of adds wakes as many getters as it needs.
--
-- KEYS[1..9]: the queue's keys in the order of _common.lua. Touches ready, enqueued, leases,
--   deadlines, meta (seq), signal, and the tick's keys.
-- ARGV[1]: now in ms, or "" for the server's clock
-- ARGV[2]: how many keys to lease at most (N >= 1)
-- ARGV[3]: lease duration in ms
-- ARGV[4]: the most keys that may be leased at once, by all holders together (0: no limit)
-- Returns: {wake, key1, token1, waited1, key2, ...}: waited is how long each key sat in `ready`,
--   in ms; when no key was leased, wake is the ms until the next delayed key or lease deadline
--   (-1: none), for the caller's blocking wait.

local now = now_ms()
tick(now)
local n, lease, max_leased = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if max_leased > 0 then
    n = math.min(n, max_leased - redis.call('HLEN', K_LEASES))
end
local out = {0}
for _ = 1, n do
    local key = redis.call('LPOP', K_READY)
    if not key then
        break
    end
    local token = redis.call('HINCRBY', K_META, 'seq', 1)
    redis.call('HSET', K_LEASES, key, token)
    redis.call('ZADD', K_DEADLINES, now + lease, key)
    local since = tonumber(redis.call('HGET', K_ENQUEUED, key) or now)
    redis.call('HDEL', K_ENQUEUED, key)
    out[#out + 1] = key
    out[#out + 1] = token
    out[#out + 1] = now - since
end
if #out > 1 then
    if redis.call('LLEN', K_READY) > 0 then
        signal()
    end
    out[1] = -1
else
    out[1] = next_wake(now)
end
return out
