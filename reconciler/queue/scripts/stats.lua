-- stats.lua: the queue's true backlog, after applying what time has made due.
--
-- KEYS[1..9]: the queue's keys in the order of _common.lua. Reads ready, delayed, leases,
--   dirty, failures, meta (expired); writes only what the tick moves.
-- ARGV[1]: now in ms, or "" for the server's clock
-- Returns: {ready, delayed, leased, dirty, failing keys, expired leases, wake ms (-1: none)}

local now = now_ms()
tick(now)
return {
    redis.call('LLEN', K_READY),
    redis.call('ZCARD', K_DELAYED),
    redis.call('HLEN', K_LEASES),
    redis.call('SCARD', K_DIRTY),
    redis.call('HLEN', K_FAILURES),
    tonumber(redis.call('HGET', K_META, 'expired') or '0'),
    next_wake(now),
}
