-- Reserving, shared by reserve and ack_next. Due work comes first: due delayed jobs move to
-- wait, jobs whose lease expired come back (stalled) and due repeatable jobs fire, so no reaper
-- is needed. Each of those sets' head is read first, so a set with nothing due costs one ZRANGE,
-- and the heads give the wait hint without reading the sets again.

-- Reserves up to `count` jobs with a lease of `lease` ms. Returns {now, wait_hint_ms, jobs,
-- crons}: wait_hint_ms is the time until the next delayed job, lease deadline or repeat is due
-- (-1: none); each job is {id, type, data, attempts, max_attempts, token, lease_deadline_ms};
-- crons lists {name, expression, fired_ms} of cron repeats fired now, for the client to
-- schedule their next run.
local function take(count, lease)
  local delayed = head(K_DELAYED)
  if delayed and delayed <= now then
    promote()
    delayed = head(K_DELAYED)
  end
  local requeued, active = 0, head(K_ACTIVE)
  if active and active <= now then
    requeued = recover()
    active = head(K_ACTIVE)
  end
  local crons, created, repeats = {}, 0, head(K_REPEAT)
  if repeats and repeats <= now then
    crons, created = fire_repeats()
    repeats = head(K_REPEAT)
  end
  wake(requeued + created)
  local jobs = {}
  if redis.call('EXISTS', K_PAUSED) == 0 then
    local popped = redis.call('ZPOPMIN', K_WAIT, count)
    for i = 1, #popped, 2 do
      local id = popped[i]
      local token = tostring(redis.call('INCR', K_SEQ))
      local v = redis.call('HMGET', K_JOBS, f(id, 't'), f(id, 'd'), f(id, 'm'), f(id, 'a'))
      local attempts = (tonumber(v[4]) or 0) + 1
      redis.call('HSET', K_JOBS, f(id, 'a'), attempts, f(id, 's'), 'active', f(id, 'l'), token)
      redis.call('ZADD', K_ACTIVE, now + lease, id)
      jobs[#jobs + 1] = {id, v[1], v[2], attempts, v[3], token, now + lease}
    end
    if #jobs > 0 and (active == nil or now + lease < active) then
      active = now + lease
    end
  end
  local hint = -1
  for _, at in ipairs({delayed or false, active or false, repeats or false}) do
    if at then
      local d = math.max(at - now, 0)
      if hint < 0 or d < hint then
        hint = d
      end
    end
  end
  return {now, hint, jobs, crons}
end
