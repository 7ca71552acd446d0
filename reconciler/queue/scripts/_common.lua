-- _common.lua: prepended to every queue script when it is loaded (see reconciler/queue/scripts.py).
--
-- Every script receives the same KEYS, in this order; all share the queue's hash tag, so a
-- queue lives on one Redis Cluster slot. No key name is ever built inside a script.
--
--   KEYS[1]  ready      LIST  keys ready to be leased, oldest first (RPUSH in, LPOP out)
--   KEYS[2]  enqueued   HASH  key -> ms when it entered `ready`: the members of `ready`, for
--                             O(1) deduplication, and the queue-duration metric
--   KEYS[3]  delayed    ZSET  key -> ms when it becomes ready (add_after, rate-limited adds)
--   KEYS[4]  leases     HASH  key -> fencing token of the lease that holds it
--   KEYS[5]  deadlines  ZSET  key -> ms when that lease expires and the key is reaped
--   KEYS[6]  dirty      SET   leased keys that were added again: re-queued once at `done`
--   KEYS[7]  failures   HASH  key -> consecutive failures (the per-key rate limiter)
--   KEYS[8]  meta       HASH  seq: the fencing-token counter; fence: the highest leader epoch
--                             that wrote; expired: leases reaped so far; tokens, at: the
--                             overall token bucket; result:<label>: outcomes counted by finish
--   KEYS[9]  signal     LIST  at most one element; BLPOP'd by idle getters to wake them
--
-- Time is integer milliseconds. ARGV[1] is "now" when the caller injects a clock, or "" to use
-- the server's TIME, which keeps every host of a deployment on one clock.
--
-- Invariants: a key is in at most one of ready and delayed; a leased key is never in
-- `ready`; `dirty` holds only leased keys.

local K_READY, K_ENQUEUED, K_DELAYED, K_LEASES, K_DEADLINES, K_DIRTY, K_FAILURES, K_META,
    K_SIGNAL = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]

-- How many delayed keys or expired leases one call moves; the rest move on the next call.
local TICK_LIMIT = 1000

local function now_ms()
    if ARGV[1] ~= '' then
        return tonumber(ARGV[1])
    end
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Wake one idle getter. The list never holds more than one element.
local function signal()
    redis.call('LPUSH', K_SIGNAL, '1')
    redis.call('LTRIM', K_SIGNAL, 0, 0)
end

local function push_ready(key, at)
    redis.call('RPUSH', K_READY, key)
    redis.call('HSET', K_ENQUEUED, key, at)
end

local function is_leased(key)
    return redis.call('HEXISTS', K_LEASES, key) == 1
end

-- A write whose leader epoch is older than the fence gets an error message (the caller returns
-- it as an error reply before writing anything); a newer epoch raises the fence.
local function fence_error(epoch_arg)
    if epoch_arg == '' then
        return nil
    end
    local epoch = tonumber(epoch_arg)
    local fence = tonumber(redis.call('HGET', K_META, 'fence') or '0')
    if epoch < fence then
        return 'FENCED epoch ' .. epoch_arg .. ' is older than fence ' .. fence
    end
    if epoch > fence then
        redis.call('HSET', K_META, 'fence', epoch_arg)
    end
    return nil
end

-- Apply what time has made due, before the operation itself: first expired leases go back to
-- `ready` (their run never finished, so the key needs another), then delayed keys whose time has
-- come join `ready`, earliest first (or are marked dirty while leased).
local function tick(now)
    local moved = 0
    local expired = redis.call('ZRANGEBYSCORE', K_DEADLINES, '-inf', now, 'LIMIT', 0, TICK_LIMIT)
    for _, key in ipairs(expired) do
        redis.call('ZREM', K_DEADLINES, key)
        redis.call('HDEL', K_LEASES, key)
        redis.call('SREM', K_DIRTY, key)
        redis.call('ZREM', K_DELAYED, key)
        push_ready(key, now)
        redis.call('HINCRBY', K_META, 'expired', 1)
        moved = moved + 1
    end
    local due = redis.call('ZRANGEBYSCORE', K_DELAYED, '-inf', now, 'WITHSCORES', 'LIMIT', 0, TICK_LIMIT)
    for i = 1, #due, 2 do
        local key = due[i]
        redis.call('ZREM', K_DELAYED, key)
        if is_leased(key) then
            redis.call('SADD', K_DIRTY, key)
        else
            push_ready(key, due[i + 1])
            moved = moved + 1
        end
    end
    if moved > 0 then
        signal()
    end
end

-- Ask for `key` to be processed `delay` ms from now (0: now), keeping the earliest time asked.
-- Returns 1 when the queue changed, 0 when the request was already covered.
local function enqueue(key, delay, now)
    if is_leased(key) then
        if redis.call('SISMEMBER', K_DIRTY, key) == 1 then
            return 0
        end
        if delay <= 0 then
            redis.call('ZREM', K_DELAYED, key)
            redis.call('SADD', K_DIRTY, key)
            return 1
        end
    elseif redis.call('HEXISTS', K_ENQUEUED, key) == 1 then
        return 0
    elseif delay <= 0 then
        redis.call('ZREM', K_DELAYED, key)
        push_ready(key, now)
        signal()
        return 1
    end
    local due = now + delay
    local current = redis.call('ZSCORE', K_DELAYED, key)
    if current and tonumber(current) <= due then
        return 0
    end
    redis.call('ZADD', K_DELAYED, due, key)
    return 1
end

-- Milliseconds until the next delayed key is due or the next lease expires; -1 when neither.
local function next_wake(now)
    local best = -1
    for _, zset in ipairs({K_DELAYED, K_DEADLINES}) do
        local first = redis.call('ZRANGE', zset, 0, 0, 'WITHSCORES')
        if first[2] then
            local wait = math.max(0, tonumber(first[2]) - now)
            if best < 0 or wait < best then
                best = wait
            end
        end
    end
    return best
end

-- Count a failure of `key` and return its backoff in whole ms: the longer of the per-key
-- exponential delay, base * 2^(failures-1) capped at max, and (when qps > 0) the wait for a
-- token of the overall bucket. Like client-go's BucketRateLimiter, a token is reserved even
-- when none is left, so the bucket may go negative and later callers wait their turn.
local function backoff(key, now, base, cap, qps, burst)
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
    return math.ceil(delay)
end

-- Release `key`'s lease if `token` is still current; a key added meanwhile is queued again.
-- A getter held back by a cap on leases (max_leased) is woken when keys are waiting.
-- Returns 1 when released, 0 when the token was stale (nothing changes then).
local function release(key, token, now)
    if redis.call('HGET', K_LEASES, key) ~= token then
        return 0
    end
    redis.call('HDEL', K_LEASES, key)
    redis.call('ZREM', K_DEADLINES, key)
    if redis.call('SREM', K_DIRTY, key) == 1 then
        redis.call('ZREM', K_DELAYED, key)
        push_ready(key, now)
    end
    if redis.call('LLEN', K_READY) > 0 then
        signal()
    end
    return 1
end
