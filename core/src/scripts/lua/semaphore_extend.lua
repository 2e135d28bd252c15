-- Renews a permit's lease: KEYS[1] the holders, ARGV[1] the holder's token, ARGV[2] the new
-- lease in ms from now. Returns 1 when renewed, 0 when ARGV[1] holds no live permit.
local lease = string.match(ARGV[2] or '', '^[1-9]%d*$')
if not lease or #lease > 15 then
  return redis.error_reply('ERR lease must be a positive integer of milliseconds')
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiry or tonumber(expiry) <= now then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(lease), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1
