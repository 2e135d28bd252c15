-- Counts per state after dropping up to 1000 expired results:
-- {waiting, delayed, active, completed, dead, paused, repeatable}.
purge_done(BATCH)
return {redis.call('ZCARD', K_WAIT), redis.call('ZCARD', K_DELAYED), redis.call('ZCARD', K_ACTIVE),
  redis.call('ZCARD', K_DONE), redis.call('ZCARD', K_DEAD), redis.call('EXISTS', K_PAUSED),
  redis.call('ZCARD', K_REPEAT)}
