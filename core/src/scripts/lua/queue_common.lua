-- Shared by every queue script (prepended to each). KEYS, always in this order:
-- 1 jobs (hash: "<id>:<field>"), 2 wait (zset), 3 delayed (zset, due ms), 4 active (zset, lease
-- deadline ms), 5 done (zset, result expiry ms), 6 dead (zset, death ms), 7 ids (auto ids),
-- 8 seq (order and lease tokens), 9 wake (list), 10 paused (string), 11 repeat (zset, next fire
-- ms), 12 repeats (hash: "<name>:<field>").
local K_JOBS, K_WAIT, K_DELAYED, K_ACTIVE, K_DONE, K_DEAD = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local K_IDS, K_SEQ, K_WAKE, K_PAUSED, K_REPEAT, K_REPEATS = KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12]
local FIELDS = {'t', 'd', 'p', 'm', 'b', 'w', 'j', 'a', 's', 'l', 'e', 'r', 'c', 'f'}
local PRIORITY_SPAN = 4398046511104 -- 2^42: FIFO sequence room within one priority
local MAX_PRIORITY = 1000
local MAX_DELAY_MS = 31536000000 -- one year
local WAKE_MAX = 64
local BATCH = 1000

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local function fail_arg(msg)
  error({err = 'ERR ' .. msg})
end

-- An integer argument within [lo, hi].
local function int_arg(v, name, lo, hi)
  local n = tonumber(v)
  if n == nil or n ~= math.floor(n) or n < lo or n > hi then
    fail_arg(name .. ' must be an integer in ' .. lo .. '..' .. hi)
  end
  return n
end

local function f(id, field)
  return id .. ':' .. field
end

local function drop_job(id)
  local fields = {}
  for i, name in ipairs(FIELDS) do
    fields[i] = f(id, name)
  end
  redis.call('HDEL', K_JOBS, unpack(fields))
end

-- Drops completed jobs whose result expired (at most `limit`).
local function purge_done(limit)
  local ids = redis.call('ZRANGEBYSCORE', K_DONE, '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    drop_job(id)
  end
  if #ids > 0 then
    redis.call('ZREM', K_DONE, unpack(ids))
  end
end

-- The job's state, or nil if it does not exist (a completed job whose result expired is dropped).
local function live_state(id)
  local state = redis.call('HGET', K_JOBS, f(id, 's'))
  if state == 'completed' then
    local expiry = redis.call('ZSCORE', K_DONE, id)
    if expiry and tonumber(expiry) <= now then
      drop_job(id)
      redis.call('ZREM', K_DONE, id)
      return nil
    end
  end
  if state == false then
    return nil
  end
  return state
end

-- Puts a job in wait behind every job of its priority (`p`, read from the record when nil).
local function push_wait(id, p)
  if p == nil then
    p = tonumber(redis.call('HGET', K_JOBS, f(id, 'p'))) or 0
  end
  local seq = redis.call('INCR', K_SEQ)
  redis.call('ZADD', K_WAIT, (MAX_PRIORITY - p) * PRIORITY_SPAN + seq, id)
  redis.call('HSET', K_JOBS, f(id, 's'), 'waiting')
end

local function bury(id)
  redis.call('ZADD', K_DEAD, now, id)
  redis.call('HSET', K_JOBS, f(id, 's'), 'dead', f(id, 'f'), now)
  redis.call('HDEL', K_JOBS, f(id, 'l'))
end

-- Tops the wake-up list up by `n` tokens for `n` newly waiting jobs (it holds at most WAKE_MAX),
-- unless paused. A full list (no worker took its tokens) costs no write.
local function wake(n)
  if n <= 0 or redis.call('EXISTS', K_PAUSED) == 1 then
    return
  end
  n = math.min(n, WAKE_MAX - redis.call('LLEN', K_WAKE))
  if n <= 0 then
    return
  end
  local tokens = {}
  for i = 1, n do
    tokens[i] = '1'
  end
  redis.call('LPUSH', K_WAKE, unpack(tokens))
end

-- The lowest score in zset `key` (nil when it is empty).
local function head(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #first == 0 then
    return nil
  end
  return tonumber(first[2])
end

-- Moves due delayed jobs to wait; returns how many.
local function promote()
  local ids = redis.call('ZRANGEBYSCORE', K_DELAYED, '-inf', now, 'LIMIT', 0, BATCH)
  for _, id in ipairs(ids) do
    redis.call('ZREM', K_DELAYED, id)
    push_wait(id)
  end
  return #ids
end

-- Returns jobs whose lease expired: to wait, or dead when out of attempts. Returns {requeued, dead}.
local function recover()
  local ids = redis.call('ZRANGEBYSCORE', K_ACTIVE, '-inf', now, 'LIMIT', 0, BATCH)
  local requeued, dead = 0, 0
  for _, id in ipairs(ids) do
    redis.call('ZREM', K_ACTIVE, id)
    redis.call('HSET', K_JOBS, f(id, 'e'), 'lease expired')
    redis.call('HDEL', K_JOBS, f(id, 'l'))
    local v = redis.call('HMGET', K_JOBS, f(id, 'a'), f(id, 'm'), f(id, 'p'))
    if (tonumber(v[1]) or 0) >= (tonumber(v[2]) or 1) then
      bury(id)
      dead = dead + 1
    else
      push_wait(id, tonumber(v[3]) or 0)
      requeued = requeued + 1
    end
  end
  return requeued, dead
end

-- Stores a new job (already validated) due at `due`, its state in the same write; returns 1 if
-- it waits now.
local function add_job(id, jtype, data, p, m, b, w, j, due)
  local delayed = due > now
  redis.call('HSET', K_JOBS, f(id, 't'), jtype, f(id, 'd'), data, f(id, 'p'), p, f(id, 'm'), m,
    f(id, 'b'), b, f(id, 'w'), w, f(id, 'j'), j, f(id, 'a'), 0, f(id, 'c'), now,
    f(id, 's'), delayed and 'delayed' or 'waiting')
  if delayed then
    redis.call('ZADD', K_DELAYED, due, id)
    return 0
  end
  local seq = redis.call('INCR', K_SEQ)
  redis.call('ZADD', K_WAIT, (MAX_PRIORITY - (tonumber(p) or 0)) * PRIORITY_SPAN + seq, id)
  return 1
end

-- Checks one job's options (ARGV strings): priority, max attempts, backoff kind and ms, jitter.
local function check_options(p, m, b, w, j)
  int_arg(p, 'priority', 0, MAX_PRIORITY)
  int_arg(m, 'max_attempts', 1, 1000000)
  if b ~= 'fixed' and b ~= 'exponential' then
    fail_arg('backoff must be fixed or exponential')
  end
  int_arg(w, 'backoff_ms', 0, MAX_DELAY_MS)
  local jn = tonumber(j)
  if jn == nil or jn < 0 or jn > 1 then
    fail_arg('jitter must be a number in 0..1')
  end
end
