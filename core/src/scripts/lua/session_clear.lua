-- session_clear: KEYS = all-sessions index; ARGV = session key prefix, user index prefix,
-- count (1..1000). One batch of clearing a store: deletes the first `count` indexed sessions,
-- the index of each one's user, and their index entries. Returns {sessions deleted, entries
-- left in the index}.
local short = need(1, 3)
if short then return short end
local count = tonumber(ARGV[3])
if not count or count ~= math.floor(count) or count < 1 or count > 1000 then
  return redis.error_reply('ERR count must be a whole number in 1..1000')
end
local n = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, count - 1)) do
  local key = ARGV[1] .. id
  local user = redis.call('HGET', key, 'm:user')
  if user and user ~= '' then redis.call('DEL', ARGV[2] .. user) end
  n = n + redis.call('DEL', key)
  redis.call('ZREM', KEYS[1], id)
end
return {n, redis.call('ZCARD', KEYS[1])}
