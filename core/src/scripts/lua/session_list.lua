-- session_list: KEYS = a user's index; ARGV = session key prefix [, the user]. Drops ended
-- sessions from the index (and, given the user, ones now saved under another user: an id
-- re-saved after its session ended) and returns the live ones, oldest first, as
-- {id, created_ms, deadline_ms, ttl_ms}.
local short = need(1, 1)
if short then return short end
local out = {}
local items = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #items, 2 do
  local key = ARGV[1] .. items[i]
  local ttl = redis.call('PTTL', key)
  if ttl ~= -2 and ARGV[2] and redis.call('HGET', key, 'm:user') ~= ARGV[2] then ttl = -2 end
  if ttl == -2 then
    redis.call('ZREM', KEYS[1], items[i])
  else
    out[#out + 1] = {items[i], items[i + 1], redis.call('HGET', key, 'm:deadline'), ttl}
  end
end
return out
