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
