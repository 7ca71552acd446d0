-- add_rate_limited.lua: count a failure of a key and requeue it after its backoff.
--
-- The delay is the longer of the per-key exponential backoff, base * 2^(failures-1) capped at
-- max, and (when qps > 0) the wait for a token of the overall bucket. Like client-go's
-- BucketRateLimiter, a token is reserved even when none is left, so the bucket may go
-- negative and later callers wait their turn.
--
-- KEYS[1..9]: the queue's keys in the order of _common.lua. Touches failures, meta (bucket) and
--   everything add.lua touches.
-- ARGV[1]: now in ms, or "" for the server's clock
-- ARGV[2]: the writer's leader epoch, or ""
-- ARGV[3]: base delay in ms   ARGV[4]: max delay in ms
-- ARGV[5]: bucket qps (0: no bucket)   ARGV[6]: bucket burst
-- ARGV[7]: the key
-- Returns: the delay applied, in ms, as a string.

local fenced = fence_error(ARGV[2])
if fenced then
    return redis.error_reply(fenced)
end
local now = now_ms()
tick(now)
local key = ARGV[7]
local base, cap = tonumber(ARGV[3]), tonumber(ARGV[4])
local qps, burst = tonumber(ARGV[5]), tonumber(ARGV[6])

local failures = redis.call('HINCRBY', K_FAILURES, key, 1)
local delay = math.min(base * 2 ^ (failures - 1), cap)

if qps > 0 then
    local state = redis.call('HMGET', K_META, 'tokens', 'at')
    local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
    tokens = math.min(burst, tokens + math.max(0, now - at) * qps / 1000) - 1
    redis.call('HSET', K_META, 'tokens', string.format('%.17g', tokens), 'at', now)
    if tokens < 0 then
        delay = math.max(delay, -tokens * 1000 / qps)
    end
end

delay = math.ceil(delay)
enqueue(key, delay, now)
return tostring(delay)
