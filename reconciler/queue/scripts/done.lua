-- done.lua: release a lease; re-queue the key if it was added while leased.
--
-- The fencing token must match the key's current lease. A stale token (the lease expired and
-- the key was leased again, or was reaped) changes nothing: that is the fence against a slow
-- worker that comes back after its lease was given away.
--
-- KEYS[1..9]: the queue's keys in the order of _common.lua. Touches leases, deadlines, dirty,
--   delayed, ready, enqueued, signal, and the tick's keys.
-- ARGV[1]: now in ms, or "" for the server's clock
-- ARGV[2]: the key   ARGV[3]: the lease's fencing token
-- Returns: 1 when the lease was released, 0 when the token was stale.

local now = now_ms()
tick(now)
return release(ARGV[2], ARGV[3], now)
