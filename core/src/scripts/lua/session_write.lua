-- session_write: KEYS = session hash; ARGV = id, idle_ms, user index prefix, n, then n
-- field/value pairs to set, then fields to delete. Slides the idle TTL of a live session and
-- applies the changes; returns the new TTL in ms, nil when there is no live session. With
-- nothing to change it is a touch.
local short = need(1, 4)
if short then return short end
local idle = ms_arg(ARGV[2], 1)
if not idle then return redis.error_reply('ERR idle ttl must be a whole number of ms in 1..1e12') end
local n = tonumber(ARGV[4])
if not n or n ~= math.floor(n) or n < 0 or 4 + 2 * n > #ARGV then
  return redis.error_reply('ERR field count does not match the arguments')
end
local ttl = touch(KEYS[1], ARGV[1], idle, ARGV[3])
if not ttl then return false end
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 5, 4 + 2 * n)) end
if #ARGV > 4 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 5 + 2 * n)) end
return ttl
