-- add.lua: add keys to the queue now or after a delay, deduplicated.
--
-- KEYS[1..9]: the queue's keys in the order of _common.lua. Touches ready, enqueued, delayed,
--   leases (read), dirty, meta (fence), signal, and the tick's keys.
-- ARGV[1]: now in ms, or "" for the server's clock
-- ARGV[2]: the writer's leader epoch, or "" for an unfenced writer (see fence_error)
-- ARGV[3]: delay in ms (integer >= 0); 0 makes a waiting key ready now
-- ARGV[4..]: the keys
-- Returns: how many keys changed the queue (a stingy add of a waiting key does not count).
-- Errors: "FENCED ..." when ARGV[2] is older than the queue's fence; nothing is written.

local fenced = fence_error(ARGV[2])
if fenced then
    return redis.error_reply(fenced)
end
local now = now_ms()
tick(now)
local delay = tonumber(ARGV[3])
local changed = 0
for i = 4, #ARGV do
    changed = changed + enqueue(ARGV[i], delay, now)
end
return changed
