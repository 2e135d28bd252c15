-- Releases a lock held by ARGV[1]: KEYS[1] the lock hash, KEYS[2] the release-signal list,
-- ARGV[2] how long (ms) the signal waits for a waiter. A reentrant hold is decremented; the
-- last release deletes the lock and pushes one signal, waking one waiter blocked on the list.
-- Returns -1 when ARGV[1] does not hold the lock, else the holds left (0: released).
local signal_ttl = string.match(ARGV[2] or '', '^[1-9]%d*$')
if not signal_ttl or #signal_ttl > 15 then
  return redis.error_reply('ERR signal ttl must be a positive integer of milliseconds')
end
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then
  return -1
end
local count = redis.call('HINCRBY', KEYS[1], 'count', -1)
if count > 0 then
  return count
end
redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('RPUSH', KEYS[2], 1)
redis.call('PEXPIRE', KEYS[2], signal_ttl)
return 0
