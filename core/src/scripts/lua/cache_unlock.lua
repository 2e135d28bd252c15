-- cache_unlock: the loader gives up the load lock without storing a value (it failed, or found
-- nothing and negative caching is off) and tells each waiter so with one marker.
-- KEYS: lock, waiters, notify. ARGV: token, marker ('0' failed, '3' absent).
-- Returns the number of waiters told, or -1 when the lock is not the caller's any more.
if #KEYS < 3 then
  return redis.error_reply('ERR cache_unlock needs 3 keys')
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local keep = redis.call('PTTL', KEYS[1])
if keep < 1000 then keep = 1000 end
redis.call('DEL', KEYS[1])
local woken = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
redis.call('DEL', KEYS[2])
for i = 1, woken do
  redis.call('RPUSH', KEYS[3], ARGV[2])
end
if woken > 0 then
  redis.call('PEXPIRE', KEYS[3], keep)
end
return woken
