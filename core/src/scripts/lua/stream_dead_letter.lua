-- stream_dead_letter: KEYS = stream, dead-letter stream; ARGV = group, max deliveries, min idle
-- ms, count, dead-letter stream cap (0 for none).
-- Looks at up to `count` pending entries idle for at least `min idle` ms; each delivered at least
-- `max deliveries` times is copied to the dead-letter stream (its fields after dead:id,
-- dead:group, dead:consumer, dead:deliveries) and acknowledged, in one step, so an entry is never
-- both dead-lettered and still pending, nor lost between the two. Entries deleted from the stream
-- meanwhile are only acknowledged. Returns {{moved ids}, {dropped ids}}.
if #KEYS < 2 or #ARGV < 5 then
  return redis.error_reply('ERR this script needs 2 keys and 5 arguments')
end
local function whole(v, lo, hi)
  local n = tonumber(v)
  if not n or n ~= math.floor(n) or n < lo or n > hi then return nil end
  return n
end
local max = whole(ARGV[2], 1, 1e12)
if not max then return redis.error_reply('ERR max deliveries must be a whole number in 1..1e12') end
local idle = whole(ARGV[3], 0, 1e12)
if not idle then return redis.error_reply('ERR min idle must be a whole number of ms in 0..1e12') end
local count = whole(ARGV[4], 1, 1e6)
if not count then return redis.error_reply('ERR count must be a whole number in 1..1000000') end
local cap = whole(ARGV[5], 0, 1e12)
if not cap then return redis.error_reply('ERR dead-letter cap must be a whole number in 0..1e12') end
local moved, dropped = {}, {}
for _, p in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', idle, '-', '+', count)) do
  if p[4] >= max then
    local entry = redis.call('XRANGE', KEYS[1], p[1], p[1])[1]
    if entry then
      local args = {KEYS[2]}
      if cap > 0 then
        args[#args + 1] = 'MAXLEN'
        args[#args + 1] = cap
      end
      for _, v in ipairs({'*', 'dead:id', p[1], 'dead:group', ARGV[1], 'dead:consumer', p[2], 'dead:deliveries', p[4]}) do
        args[#args + 1] = v
      end
      for _, v in ipairs(entry[2]) do args[#args + 1] = v end
      redis.call('XADD', unpack(args))
      moved[#moved + 1] = p[1]
    else
      dropped[#dropped + 1] = p[1]
    end
    redis.call('XACK', KEYS[1], ARGV[1], p[1])
  end
end
return {moved, dropped}
