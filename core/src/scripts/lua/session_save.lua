-- session_save: KEYS = session hash, all-sessions index [, user index]; ARGV = id, idle_ms (the
-- store's), lifetime_ms, user ('' for none), cap (0 for none), session key prefix, user index
-- prefix, the session's own idle_ms ('' for the store's), then field/value pairs.
-- Creates or replaces the session under a caller-chosen id: the fields replace all of its data;
-- a live session keeps its creation time and deadline (the lifetime counts from the first save),
-- an absent or ended one starts afresh. Its own idle TTL is stored as `m:idle`, so later reads
-- and touches slide by it. A change of user moves it between user indexes; the new user's
-- index is pruned and capped as in session_create (this session never counts against itself).
-- Returns {created_ms, deadline_ms, ttl_ms, {evicted ids}}.
local short = need(2, 8)
if short then return short end
local idle = ms_arg(ARGV[2], 1)
if not idle then return redis.error_reply('ERR idle ttl must be a whole number of ms in 1..1e12') end
local life = ms_arg(ARGV[3], 1)
if not life then return redis.error_reply('ERR lifetime must be a whole number of ms in 1..1e12') end
local cap = tonumber(ARGV[5])
if not cap or cap ~= math.floor(cap) or cap < 0 or cap > 1e6 then
  return redis.error_reply('ERR cap must be a whole number in 0..1000000')
end
local own = nil
if ARGV[8] ~= '' then
  own = ms_arg(ARGV[8], 1)
  if not own then return redis.error_reply('ERR session idle ttl must be a whole number of ms in 1..1e12') end
end
if #ARGV % 2 ~= 0 then return redis.error_reply('ERR every field needs a value') end
if ARGV[4] ~= '' and not KEYS[3] then return redis.error_reply('ERR a user needs its index key') end
local key, all = KEYS[1], KEYS[2]
local now = now_ms()
local meta = redis.call('HMGET', key, 'm:created', 'm:deadline', 'm:user')
local created, deadline = tonumber(meta[1]), tonumber(meta[2])
if not created or created ~= math.floor(created) or not deadline or deadline ~= math.floor(deadline)
    or deadline <= now then
  created, deadline = now, now + life
end
if meta[3] and meta[3] ~= '' and meta[3] ~= ARGV[4] then redis.call('ZREM', ARGV[7] .. meta[3], ARGV[1]) end
redis.call('DEL', key)
redis.call('HSET', key, 'm:created', created, 'm:deadline', deadline, 'm:user', ARGV[4], unpack(ARGV, 9))
if own then redis.call('HSET', key, 'm:idle', own) end
local ttl = math.min(own or idle, deadline - now)
redis.call('PEXPIRE', key, ttl)
redis.call('ZREMRANGEBYSCORE', all, '-inf', now)
redis.call('ZADD', all, deadline, ARGV[1])
extend(all, deadline - now)
local evicted = {}
if ARGV[4] ~= '' then
  local index = KEYS[3]
  redis.call('ZREM', index, ARGV[1])
  for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if redis.call('EXISTS', ARGV[6] .. id) == 0 then redis.call('ZREM', index, id) end
  end
  if cap > 0 then
    local over = redis.call('ZCARD', index) - (cap - 1)
    if over > 0 then
      local oldest = redis.call('ZPOPMIN', index, over)
      for i = 1, #oldest, 2 do
        redis.call('DEL', ARGV[6] .. oldest[i])
        redis.call('ZREM', all, oldest[i])
        evicted[#evicted + 1] = oldest[i]
      end
    end
  end
  redis.call('ZADD', index, created, ARGV[1])
  extend(index, deadline - now)
end
return {created, deadline, ttl, evicted}
