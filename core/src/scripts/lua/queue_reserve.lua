-- Reserves up to ARGV[1] jobs with a lease of ARGV[2] ms. First moves due delayed jobs to wait,
-- returns jobs whose lease expired (stalled) and fires due repeatable jobs, so no reaper is
-- needed. Returns {now, wait_hint_ms, jobs, crons}: wait_hint_ms is the time until the next
-- delayed job, lease deadline or repeat is due (-1: none); each job is {id, type, data,
-- attempts, max_attempts, token, lease_deadline_ms}; crons lists {name, expression, fired_ms}
-- of cron repeats fired now, for the client to schedule their next run.
local count = int_arg(ARGV[1], 'count', 1, 1000)
local lease = int_arg(ARGV[2], 'lease_ms', 1, MAX_DELAY_MS)
promote()
local requeued = recover()
local crons, created = fire_repeats()
wake(requeued + created)
local jobs = {}
if redis.call('EXISTS', K_PAUSED) == 0 then
  local popped = redis.call('ZPOPMIN', K_WAIT, count)
  for i = 1, #popped, 2 do
    local id = popped[i]
    local token = tostring(redis.call('INCR', K_SEQ))
    local attempts = redis.call('HINCRBY', K_JOBS, f(id, 'a'), 1)
    redis.call('HSET', K_JOBS, f(id, 's'), 'active', f(id, 'l'), token)
    redis.call('ZADD', K_ACTIVE, now + lease, id)
    local v = redis.call('HMGET', K_JOBS, f(id, 't'), f(id, 'd'), f(id, 'm'))
    jobs[#jobs + 1] = {id, v[1], v[2], attempts, v[3], token, now + lease}
  end
end
local hint = -1
for _, key in ipairs({K_DELAYED, K_ACTIVE, K_REPEAT}) do
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #first > 0 then
    local d = math.max(tonumber(first[2]) - now, 0)
    if hint < 0 or d < hint then
      hint = d
    end
  end
end
return {now, hint, jobs, crons}
