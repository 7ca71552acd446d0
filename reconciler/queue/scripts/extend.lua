-- extend.lua: push a live lease's deadline to now + duration (a heartbeat for long reconciles).
--
-- KEYS[1..9]: the queue's keys in the order of _common.lua. Touches leases (read), deadlines,
--   and the tick's keys.
-- ARGV[1]: now in ms, or "" for the server's clock
-- ARGV[2]: the key   ARGV[3]: the lease's fencing token   ARGV[4]: lease duration in ms
-- Returns: 1 when the lease was extended, 0 when the token was stale (the lease is lost).

local now = now_ms()
tick(now)
local key, token = ARGV[2], ARGV[3]
if redis.call('HGET', K_LEASES, key) ~= token then
    return 0
end
redis.call('ZADD', K_DEADLINES, now + tonumber(ARGV[4]), key)
return 1
