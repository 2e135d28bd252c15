-- Moves dead jobs back to wait with their attempts reset: the ids in ARGV[2..], or when none
-- are given the ARGV[1] oldest. Returns how many moved.
local limit = int_arg(ARGV[1], 'limit', 1, 100000)
local ids = {}
if #ARGV > 1 then
  for i = 2, #ARGV do
    ids[#ids + 1] = ARGV[i]
  end
else
  ids = redis.call('ZRANGE', K_DEAD, 0, limit - 1)
end
local moved = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', K_DEAD, id) == 1 then
    redis.call('HSET', K_JOBS, f(id, 'a'), 0)
    redis.call('HDEL', K_JOBS, f(id, 'f'))
    push_wait(id)
    moved = moved + 1
  end
end
wake(moved)
return moved
