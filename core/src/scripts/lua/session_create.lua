-- session_create: KEYS = session hash, the store's all-sessions index [, user index];
-- ARGV = id, idle_ms, lifetime_ms, user ('' for none), cap (0 for none), session key prefix,
-- then field/value pairs.
-- Writes the hash with its creation time and absolute deadline, expiring after the idle TTL
-- (never past the deadline); indexes it under its user, first dropping ended sessions and
-- evicting the oldest ones beyond the cap; adds it to the all-sessions index (scored by its
-- deadline; entries past their deadline are dropped first).
-- Returns {now_ms, deadline_ms, {evicted ids}}.
local short = need(2, 6)
if short then return short end
local idle = ms_arg(ARGV[2], 1)
if not idle then return redis.error_reply('ERR idle ttl must be a whole number of ms in 1..1e12') end
local life = ms_arg(ARGV[3], 1)
if not life then return redis.error_reply('ERR lifetime must be a whole number of ms in 1..1e12') end
local cap = tonumber(ARGV[5])
if not cap or cap ~= math.floor(cap) or cap < 0 or cap > 1e6 then
  return redis.error_reply('ERR cap must be a whole number in 0..1000000')
end
if #ARGV % 2 ~= 0 then return redis.error_reply('ERR every field needs a value') end
if ARGV[4] ~= '' and not KEYS[3] then return redis.error_reply('ERR a user needs its index key') end
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('ERR session id already exists') end
local now = now_ms()
local deadline = now + life
redis.call('HSET', KEYS[1], 'm:created', now, 'm:deadline', deadline, 'm:user', ARGV[4], unpack(ARGV, 7))
redis.call('PEXPIRE', KEYS[1], math.min(idle, life))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
extend(KEYS[2], life)
local evicted = {}
if ARGV[4] ~= '' then
  local index = KEYS[3]
  for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if redis.call('EXISTS', ARGV[6] .. id) == 0 then redis.call('ZREM', index, id) end
  end
  if cap > 0 then
    local over = redis.call('ZCARD', index) - (cap - 1)
    if over > 0 then
      local oldest = redis.call('ZPOPMIN', index, over)
      for i = 1, #oldest, 2 do
        redis.call('DEL', ARGV[6] .. oldest[i])
        evicted[#evicted + 1] = oldest[i]
      end
    end
  end
  redis.call('ZADD', index, now, ARGV[1])
  redis.call('PEXPIRE', index, life)
end
return {now, deadline, evicted}
