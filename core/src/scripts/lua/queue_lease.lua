-- Shared by heartbeat, ack and fail: the job's state if ARGV[1] holds the lease with token
-- ARGV[2]; otherwise the status to return: -1 no such job, -2 lease not held (expired and
-- recovered, or another token).
local function held(id, token)
  local v = redis.call('HMGET', K_JOBS, f(id, 's'), f(id, 'l'))
  if v[1] == false then
    return -1
  end
  if v[1] ~= 'active' or v[2] ~= token then
    return -2
  end
  return 0
end

-- Completes job `id` held with `token`, keeping `result` for `ttl` ms (0: the job is deleted at
-- once), and drops up to 100 completed jobs whose result expired. Returns the completion time
-- (ms), -1 (no such job) or -2 (lease not held).
local function complete(id, token, result, ttl)
  local status = held(id, token)
  if status ~= 0 then
    return status
  end
  redis.call('ZREM', K_ACTIVE, id)
  if ttl > 0 then
    redis.call('HSET', K_JOBS, f(id, 's'), 'completed', f(id, 'r'), result, f(id, 'f'), now)
    redis.call('HDEL', K_JOBS, f(id, 'l'))
    redis.call('ZADD', K_DONE, now + ttl, id)
  else
    drop_job(id)
  end
  purge_done(100)
  return now
end
