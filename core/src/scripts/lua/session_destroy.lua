-- session_destroy: KEYS = session hash [, all-sessions index]; ARGV = id, user index prefix.
-- Deletes the session and drops it from its user's index (and the all-sessions index when
-- given); returns 1 if it existed, else 0.
local short = need(1, 2)
if short then return short end
local user = redis.call('HGET', KEYS[1], 'm:user')
if user and user ~= '' then redis.call('ZREM', ARGV[2] .. user, ARGV[1]) end
if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[1]) end
return redis.call('DEL', KEYS[1])
