-- Acquires a lock: KEYS[1] the lock hash (token, count, fence; 'waiters' once someone waits for
-- it), KEYS[2] the fence counter, KEYS[3] the release-signal list. ARGV[1] the owner's token,
-- ARGV[2] the TTL in ms, ARGV[3] '1' to let the owner acquire again (reentrancy), ARGV[4] the
-- caller's wait: '0' (or none) it will not wait, '1' it waits if refused, '2' it has waited.
-- Returns {acquired, fence, count, ttl_ms, now_ms}: ttl_ms is the lock's remaining time to live
-- (ours when acquired, the holder's otherwise; -1 when it has none); now_ms, the server's time,
-- only when refused (a waiter's deadline counts from it; 0 otherwise).
-- Wake-ups cost nothing uncontended: a refused caller that will wait marks the holder's hash
-- ('waiters'), and only a marked lock's release pushes a signal. A caller that waited may leave
-- others waiting behind it, so its own hold is marked too, and it clears a signal left over
-- (the lock is taken again: whoever that signal would wake now waits for this release).
local ttl = string.match(ARGV[2] or '', '^[1-9]%d*$')
if not ttl or #ttl > 15 then
  return redis.error_reply('ERR lock ttl must be a positive integer of milliseconds')
end
local owner = redis.call('HGET', KEYS[1], 'token')
if not owner then
  local fence = redis.call('INCR', KEYS[2])
  if ARGV[4] == '2' then
    redis.call('HSET', KEYS[1], 'token', ARGV[1], 'count', 1, 'fence', fence, 'waiters', 1)
    redis.call('DEL', KEYS[3])
  else
    redis.call('HSET', KEYS[1], 'token', ARGV[1], 'count', 1, 'fence', fence)
  end
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, fence, 1, tonumber(ttl), 0}
end
if owner == ARGV[1] and ARGV[3] == '1' then
  local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
  redis.call('PEXPIRE', KEYS[1], ttl)
  local fence = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0') or 0
  return {1, fence, count, tonumber(ttl), 0}
end
if ARGV[4] == '1' or ARGV[4] == '2' then
  redis.call('HSET', KEYS[1], 'waiters', 1)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {0, 0, 0, redis.call('PTTL', KEYS[1]), now}
