-- session_revoke: KEYS = a user's index; ARGV = session key prefix, id to keep ('' for none)
-- [, the user]. Deletes every session of the user but the kept one and drops them from the
-- index; given the user, a session now saved under another user (an id re-saved after its
-- session ended) is only dropped from the index, never deleted. Returns how many live sessions
-- were deleted.
local short = need(1, 2)
if short then return short end
local n = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[2] then
    local key = ARGV[1] .. id
    if not ARGV[3] or redis.call('HGET', key, 'm:user') == ARGV[3] then n = n + redis.call('DEL', key) end
    redis.call('ZREM', KEYS[1], id)
  end
end
return n
