-- session_regenerate: KEYS = old session hash, new session hash [, all-sessions index];
-- ARGV = old id, new id, idle_ms, user index prefix. Moves a live session to a new id (fixation
-- defence) keeping its data, deadline and place in its user's index (and in the all-sessions
-- index when given), and slides its idle TTL. Returns {ttl_ms, HGETALL} of the moved session,
-- nil when there is no live session at the old id.
local short = need(2, 4)
if short then return short end
local idle = ms_arg(ARGV[3], 1)
if not idle then return redis.error_reply('ERR idle ttl must be a whole number of ms in 1..1e12') end
if redis.call('EXISTS', KEYS[2]) == 1 then return redis.error_reply('ERR session id already exists') end
local ttl = touch(KEYS[1], ARGV[1], idle, ARGV[4])
if not ttl then return false end
redis.call('RENAME', KEYS[1], KEYS[2])
local meta = redis.call('HMGET', KEYS[2], 'm:user', 'm:created', 'm:deadline')
if KEYS[3] then
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('ZADD', KEYS[3], meta[3], ARGV[2])
end
if meta[1] and meta[1] ~= '' then
  local index = ARGV[4] .. meta[1]
  if redis.call('ZREM', index, ARGV[1]) == 1 then redis.call('ZADD', index, meta[2], ARGV[2]) end
end
return {ttl, redis.call('HGETALL', KEYS[2])}
