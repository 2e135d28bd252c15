-- Fails job ARGV[1] held with token ARGV[2] with error ARGV[3]. With retries left and ARGV[5] = 1
-- it runs again after its backoff: fixed, or exponential (backoff * 2^(attempts-1)), capped at a
-- year, minus floor(delay * jitter * ARGV[4]) where ARGV[4] in [0, 1) is the caller's random
-- draw. Otherwise it is dead-lettered. Returns {state, at_ms} ('delayed' or 'waiting' with the
-- due time, 'dead' with now), -1 (no such job) or -2 (lease not held).
local r = tonumber(ARGV[4])
if r == nil or r < 0 or r >= 1 then
  fail_arg('random draw must be a number in [0, 1)')
end
local retry = int_arg(ARGV[5], 'retry', 0, 1)
local id = ARGV[1]
local status = held(id, ARGV[2])
if status ~= 0 then
  return status
end
redis.call('ZREM', K_ACTIVE, id)
redis.call('HSET', K_JOBS, f(id, 'e'), ARGV[3])
redis.call('HDEL', K_JOBS, f(id, 'l'))
local v = redis.call('HMGET', K_JOBS, f(id, 'a'), f(id, 'm'), f(id, 'b'), f(id, 'w'), f(id, 'j'))
local attempts = tonumber(v[1]) or 0
if retry == 0 or attempts >= (tonumber(v[2]) or 1) then
  bury(id)
  return {'dead', now}
end
local delay = tonumber(v[4]) or 0
if v[3] == 'exponential' then
  delay = delay * 2 ^ math.min(attempts - 1, 40)
end
delay = math.min(delay, MAX_DELAY_MS)
delay = delay - math.floor(delay * (tonumber(v[5]) or 0) * r)
if delay > 0 then
  redis.call('ZADD', K_DELAYED, now + delay, id)
  redis.call('HSET', K_JOBS, f(id, 's'), 'delayed')
  return {'delayed', now + delay}
end
push_wait(id)
wake(1)
return {'waiting', now}
