-- Extends a lock held by ARGV[1]: KEYS[1] the lock hash; its TTL becomes ARGV[2] ms from now.
-- Returns 1 when extended, 0 when ARGV[1] does not hold the lock.
local ttl = string.match(ARGV[2] or '', '^[1-9]%d*$')
if not ttl or #ttl > 15 then
  return redis.error_reply('ERR lock ttl must be a positive integer of milliseconds')
end
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
