-- session_read: KEYS = session hash; ARGV = id, idle_ms, user index prefix [, fields...].
-- Slides the idle TTL of a live session and returns {ttl_ms, HGETALL} (no fields named) or
-- {ttl_ms, HMGET fields}; nil when there is no live session.
local short = need(1, 3)
if short then return short end
local idle = ms_arg(ARGV[2], 1)
if not idle then return redis.error_reply('ERR idle ttl must be a whole number of ms in 1..1e12') end
local ttl = touch(KEYS[1], ARGV[1], idle, ARGV[3])
if not ttl then return false end
if #ARGV == 3 then return {ttl, redis.call('HGETALL', KEYS[1])} end
return {ttl, redis.call('HMGET', KEYS[1], unpack(ARGV, 4))}
