-- session_revoke: KEYS = a user's index; ARGV = session key prefix, id to keep ('' for none).
-- Deletes every session of the user but the kept one and drops them from the index; returns
-- how many live sessions were deleted.
local short = need(1, 2)
if short then return short end
local n = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[2] then
    n = n + redis.call('DEL', ARGV[1] .. id)
    redis.call('ZREM', KEYS[1], id)
  end
end
return n
