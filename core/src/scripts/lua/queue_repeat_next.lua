-- Schedules cron repeat ARGV[1], fired at ARGV[2] ms, to fire next at ARGV[3] ms, if it still
-- is in that state (another client may have done it, or the repeat was replaced). Returns 1 or 0.
local name = ARGV[1]
int_arg(ARGV[3], 'next_ms', 0, 99999999999999)
local v = redis.call('HMGET', K_REPEATS, rf(name, 'n'), rf(name, 'x'))
if v[1] == false or v[1] ~= ARGV[2] or v[2] ~= ARGV[2] then
  return 0
end
redis.call('HSET', K_REPEATS, rf(name, 'n'), ARGV[3])
redis.call('ZADD', K_REPEAT, ARGV[3], name)
return 1
