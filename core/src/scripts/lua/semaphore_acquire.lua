-- Takes a permit: KEYS[1] the holders (sorted set: token -> lease expiry in ms), KEYS[2] the
-- release-signal list. ARGV[1] the new holder's token, ARGV[2] the number of permits,
-- ARGV[3] the lease in ms. Expired leases are reclaimed first. A token already holding a
-- permit has its lease renewed. The key lives as long as its longest lease.
-- Returns {acquired, available, wait_ms, now_ms}: permits left after this call, and when
-- refused how long until the earliest lease expires.
local permits = string.match(ARGV[2] or '', '^[1-9]%d*$')
if not permits or #permits > 9 then
  return redis.error_reply('ERR permits must be a positive integer')
end
local lease = string.match(ARGV[3] or '', '^[1-9]%d*$')
if not lease or #lease > 15 then
  return redis.error_reply('ERR lease must be a positive integer of milliseconds')
end
permits = tonumber(permits)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZCARD', KEYS[1])
if held < permits or redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(lease), ARGV[1])
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[1], last[2])
  return {1, permits - redis.call('ZCARD', KEYS[1]), 0, now}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, 0, tonumber(first[2]) - now, now}
