-- limiter_release: ends a concurrency lease early.
-- KEYS[1]: the lease set (member "id:weight", score = expiry ms). ARGV[1]: the lease.
-- Reply: 1 if the lease was live and is now released, 0 if it was unknown or had expired.
if #KEYS ~= 1 or #ARGV ~= 1 then
  return redis.error_reply('ERR limiter_release needs 1 key and 1 argument')
end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if tonumber(score) <= now then return 0 end
return 1
