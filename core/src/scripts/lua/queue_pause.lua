-- ARGV[1] = 1 pauses the queue (reserve hands out nothing), 0 resumes it and wakes workers.
-- Returns 1 if the paused state changed, else 0.
local pause = int_arg(ARGV[1], 'paused', 0, 1)
local was = redis.call('EXISTS', K_PAUSED)
if pause == 1 then
  redis.call('SET', K_PAUSED, '1')
else
  redis.call('DEL', K_PAUSED)
  wake(redis.call('ZCARD', K_WAIT))
end
if was == pause then
  return 0
end
return 1
