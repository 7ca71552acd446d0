-- finish.lua: apply a reconcile's outcome to its key and release the lease, in one step.
--
-- The same as the worker calling forget / add_rate_limited / add_after and then done, but one
-- round trip, and only while the lease is current: a worker whose lease expired (and whose key
-- may be running elsewhere) changes nothing, because the key's current holder will decide.
--
-- KEYS[1..9]: the queue's keys in the order of _common.lua. Touches failures, meta (bucket),
--   and everything add.lua and done.lua touch.
-- ARGV[1]: now in ms, or "" for the server's clock
-- ARGV[2]: the key   ARGV[3]: the lease's fencing token
-- ARGV[4]: the action: "forget", "rate_limited" or "after"
-- ARGV[5]: the delay in ms for "after"
-- ARGV[6]: base delay in ms   ARGV[7]: max delay in ms
-- ARGV[8]: bucket qps (0: no bucket)   ARGV[9]: bucket burst
-- ARGV[10]: the outcome's label (success, error, requeue, requeue_after): counted in meta as
--   result:<label>, so every process's outcomes add up in one place
-- Returns: {released (1, or 0 for a stale token), delay applied in ms (-1: no requeue)}

local now = now_ms()
tick(now)
local key, token, action = ARGV[2], ARGV[3], ARGV[4]
if redis.call('HGET', K_LEASES, key) ~= token then
    return {0, -1}
end
local delay = -1
if action == 'rate_limited' then
    delay = backoff(key, now, tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]),
        tonumber(ARGV[9]))
else
    redis.call('HDEL', K_FAILURES, key)
    if action == 'after' then
        delay = tonumber(ARGV[5])
    end
end
if delay >= 0 then
    enqueue(key, delay, now)
end
release(key, token, now)
redis.call('HINCRBY', K_META, 'result:' .. ARGV[10], 1)
return {1, delay}
