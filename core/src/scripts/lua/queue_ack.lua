-- Completes job ARGV[1] held with token ARGV[2], keeping result ARGV[3] for ARGV[4] ms (0: the
-- job is deleted at once). Returns the completion time (ms), -1 (no such job) or -2 (lease not
-- held). Also drops up to 100 completed jobs whose result expired.
local ttl = int_arg(ARGV[4], 'result_ttl_ms', 0, MAX_DELAY_MS)
local id = ARGV[1]
local status = held(id, ARGV[2])
if status ~= 0 then
  return status
end
redis.call('ZREM', K_ACTIVE, id)
if ttl > 0 then
  redis.call('HSET', K_JOBS, f(id, 's'), 'completed', f(id, 'r'), ARGV[3], f(id, 'f'), now)
  redis.call('HDEL', K_JOBS, f(id, 'l'))
  redis.call('ZADD', K_DONE, now + ttl, id)
else
  drop_job(id)
end
purge_done(100)
return now
