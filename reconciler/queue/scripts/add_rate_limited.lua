-- add_rate_limited.lua: count a failure of a key and requeue it after its backoff.
--
-- The delay is computed by backoff() in _common.lua: per-key exponential, combined with the
-- optional overall token bucket by taking the longer wait.
--
-- KEYS[1..9]: the queue's keys in the order of _common.lua. Touches failures, meta (bucket) and
--   everything add.lua touches.
-- ARGV[1]: now in ms, or "" for the server's clock
-- ARGV[2]: the writer's leader epoch, or ""
-- ARGV[3]: base delay in ms   ARGV[4]: max delay in ms
-- ARGV[5]: bucket qps (0: no bucket)   ARGV[6]: bucket burst
-- ARGV[7]: the key
-- Returns: the delay applied, in ms.

local fenced = fence_error(ARGV[2])
if fenced then
    return redis.error_reply(fenced)
end
local now = now_ms()
tick(now)
local key = ARGV[7]
local delay = backoff(key, now, tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]),
    tonumber(ARGV[6]))
enqueue(key, delay, now)
return delay
