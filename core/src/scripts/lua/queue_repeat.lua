-- Repeatable jobs, shared by reserve and recover. A repeat's spec lives in K_REPEATS under
-- "<name>:<field>": t type, d data, e every_ms (0 for cron), c cron expression, n next fire ms,
-- x the fire ms whose job was created, p m b w j the job options. K_REPEAT orders names by n.
local CRON_RETRY_MS = 5000
local RFIELDS = {'t', 'd', 'e', 'c', 'n', 'x', 'p', 'm', 'b', 'w', 'j'}

local function rf(name, field)
  return name .. ':' .. field
end

-- Creates the jobs of due repeats; returns the cron reports and how many jobs now wait. An every-N repeat moves to its next slot after now; a cron
-- repeat is parked CRON_RETRY_MS ahead and reported, so the client computes its next fire time
-- (if that client dies, the repeat comes due again and is reported again, its job not repeated).
local function fire_repeats()
  local crons, created = {}, 0
  local names = redis.call('ZRANGEBYSCORE', K_REPEAT, '-inf', now, 'LIMIT', 0, 100)
  for _, name in ipairs(names) do
    local s = redis.call('HMGET', K_REPEATS, rf(name, 't'), rf(name, 'd'), rf(name, 'e'), rf(name, 'c'),
      rf(name, 'n'), rf(name, 'x'), rf(name, 'p'), rf(name, 'm'), rf(name, 'b'), rf(name, 'w'), rf(name, 'j'))
    if s[5] == false then
      redis.call('ZREM', K_REPEAT, name)
    else
      if s[6] ~= s[5] then
        local id = 'repeat:' .. name .. ':' .. s[5]
        if live_state(id) == nil then
          created = created + add_job(id, s[1], s[2], s[7], s[8], s[9], s[10], s[11], now)
        end
        redis.call('HSET', K_REPEATS, rf(name, 'x'), s[5])
      end
      local every = tonumber(s[3]) or 0
      if every > 0 then
        local fired = tonumber(s[5])
        local next_ms = fired + every * (math.floor((now - fired) / every) + 1)
        redis.call('HSET', K_REPEATS, rf(name, 'n'), next_ms)
        redis.call('ZADD', K_REPEAT, next_ms, name)
      else
        redis.call('ZADD', K_REPEAT, now + CRON_RETRY_MS, name)
        crons[#crons + 1] = {name, s[4], s[5]}
      end
    end
  end
  return crons, created
end
