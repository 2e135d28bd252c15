-- Releases a lock held by ARGV[1]: KEYS[1] the lock hash, KEYS[2] the release-signal list,
-- ARGV[2] how long (ms) the signal waits for a waiter. A reentrant hold is decremented; the
-- last release deletes the lock and, if a waiter marked it ('waiters', see lock_acquire.lua),
-- pushes one signal, waking one waiter blocked on the list.
-- Returns -1 when ARGV[1] does not hold the lock, else the holds left (0: released).
local signal_ttl = string.match(ARGV[2] or '', '^[1-9]%d*$')
if not signal_ttl or #signal_ttl > 15 then
  return redis.error_reply('ERR signal ttl must be a positive integer of milliseconds')
end
local lock = redis.call('HMGET', KEYS[1], 'token', 'count', 'waiters')
if lock[1] ~= ARGV[1] then
  return -1
end
-- The usual single hold ends without a write to the hash; any other count goes through
-- HINCRBY, which also rejects a corrupted one.
if lock[2] ~= '1' then
  local count = redis.call('HINCRBY', KEYS[1], 'count', -1)
  if count > 0 then
    return count
  end
end
redis.call('DEL', KEYS[1])
if lock[3] then
  redis.call('DEL', KEYS[2])
  redis.call('RPUSH', KEYS[2], 1)
  redis.call('PEXPIRE', KEYS[2], signal_ttl)
end
return 0
