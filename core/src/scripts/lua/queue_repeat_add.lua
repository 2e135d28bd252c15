-- Adds or replaces repeat ARGV[1]: type ARGV[2], data ARGV[3], every ARGV[4] ms (0 for cron),
-- cron expression ARGV[5], first fire at ARGV[6] ms, job options ARGV[7..11] (priority,
-- max_attempts, backoff kind, backoff_ms, jitter). Returns 1 if new, 0 if replaced.
local name = ARGV[1]
int_arg(ARGV[4], 'every_ms', 0, MAX_DELAY_MS)
int_arg(ARGV[6], 'next_ms', 0, 99999999999999)
check_options(ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
local existed = redis.call('ZSCORE', K_REPEAT, name)
redis.call('HDEL', K_REPEATS, rf(name, 'x'))
redis.call('HSET', K_REPEATS, rf(name, 't'), ARGV[2], rf(name, 'd'), ARGV[3], rf(name, 'e'), ARGV[4],
  rf(name, 'c'), ARGV[5], rf(name, 'n'), ARGV[6], rf(name, 'p'), ARGV[7], rf(name, 'm'), ARGV[8],
  rf(name, 'b'), ARGV[9], rf(name, 'w'), ARGV[10], rf(name, 'j'), ARGV[11])
redis.call('ZADD', K_REPEAT, ARGV[6], name)
if existed then
  return 0
end
return 1
