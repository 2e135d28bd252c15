-- limiter_release: ends a concurrency lease early.
-- KEYS[1]: the lease set (member "id:weight", score = expiry ms); KEYS[2]: its aux hash (sum of
-- the weights). ARGV[1]: the lease.
-- Reply: 1 if the lease was live and is now released, 0 if it was unknown or had expired.
if #KEYS ~= 2 or #ARGV ~= 1 then
  return redis.error_reply('ERR limiter_release needs 2 keys and 1 argument')
end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
local sum = tonumber(redis.call('HGET', KEYS[2], 'sum'))
if sum and sum >= 0 and sum < 9e15 then
  local w = tonumber(string.match(ARGV[1], ':(%d+)$'))
  if not w or w >= 9e15 then w = 1 end
  redis.call('HSET', KEYS[2], 'sum', string.format('%d', math.max(sum - w, 0)))
end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if tonumber(score) <= now then return 0 end
return 1
