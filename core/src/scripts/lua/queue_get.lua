-- Looks up job ARGV[1]: nil if it does not exist (or its result expired), else
-- {state, type, data, priority, max_attempts, attempts, error, result, created_ms, finished_ms,
-- at_ms} where at_ms is the due time (delayed), lease deadline (active) or result expiry
-- (completed). Missing values are nil.
local id = ARGV[1]
local state = live_state(id)
if state == nil then
  return nil
end
local v = redis.call('HMGET', K_JOBS, f(id, 't'), f(id, 'd'), f(id, 'p'), f(id, 'm'), f(id, 'a'),
  f(id, 'e'), f(id, 'r'), f(id, 'c'), f(id, 'f'))
local at = false
local zset = ({delayed = K_DELAYED, active = K_ACTIVE, completed = K_DONE})[state]
if zset then
  at = redis.call('ZSCORE', zset, id)
end
return {state, v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], at}
