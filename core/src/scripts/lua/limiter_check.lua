-- limiter_check: one rate-limit decision over one or more limits, all or nothing.
-- KEYS, 3 per limit: state, aux (sliding_log: hash of sum, seq, heavy, last; concurrency: sum),
-- block.
-- ARGV: cost, mode ('consume' | 'peek'), lease id (concurrency; unique, chosen by the caller),
-- then 6 per limit:
--   algorithm, limit, window_ms, p1, p2, block_ms
--   (token_bucket: p1 = tokens per refill, p2 = refill interval ms; gcra: p1 = burst).
-- Reply, per limit: {allowed, remaining, limit, reset_after_ms, retry_after_ms, lease}
-- (retry_after_ms is -1 when the cost can never fit).
local function int(v)
  local n = tonumber(v)
  if n and n == math.floor(n) and n >= 0 and n <= 1e12 then return n end
  return nil
end
-- A number read back from Redis, or nil when it is not one or out of the exact-integer range.
local function num(v)
  local n = tonumber(v)
  if n and n >= 0 and n < 9e15 then return n end
  return nil
end
local function s(n) return string.format('%d', n) end
local function weight(member)
  return num(string.match(member, ':(%d+)$')) or 1
end

local n = #KEYS / 3
if n < 1 or n ~= math.floor(n) or #ARGV ~= 3 + 6 * n then
  return redis.error_reply('ERR limiter_check needs 3 keys per limit and 3 + 6 per limit arguments')
end
local cost = int(ARGV[1])
if not cost then return redis.error_reply('ERR limiter cost must be an integer from 0 to 1e12') end
local peek = ARGV[2] == 'peek'
if not peek and ARGV[2] ~= 'consume' then return redis.error_reply('ERR limiter mode must be consume or peek') end
local lease_id = ARGV[3]

local limits = {}
for i = 1, n do
  local a = 3 + (i - 1) * 6
  local l = {algo = ARGV[a + 1], limit = int(ARGV[a + 2]), window = int(ARGV[a + 3]), p1 = int(ARGV[a + 4]),
    p2 = int(ARGV[a + 5]), block = int(ARGV[a + 6]), key = KEYS[3 * i - 2], aux = KEYS[3 * i - 1], bkey = KEYS[3 * i]}
  if not (l.limit and l.window and l.p1 and l.p2 and l.block) or l.limit < 1 or l.window < 1 then
    return redis.error_reply('ERR limiter limit and window must be integers from 1 to 1e12, p1, p2 and block from 0')
  end
  l.cap = l.limit
  if l.algo == 'token_bucket' then
    if l.p1 < 1 or l.p2 < 1 then return redis.error_reply('ERR token bucket refill and interval must be at least 1') end
  elseif l.algo == 'gcra' then
    l.emission = math.ceil(l.window * 1000 / l.limit)
    l.cap = l.p1
    if l.p1 < 1 or l.emission * l.p1 > 1e15 then
      return redis.error_reply('ERR gcra burst must be at least 1 and burst * emission interval at most 1e15 us')
    end
  elseif l.algo == 'concurrency' then
    if lease_id == '' and not peek then return redis.error_reply('ERR a concurrency limiter needs a lease id') end
  elseif l.algo ~= 'fixed_window' and l.algo ~= 'sliding_log' and l.algo ~= 'sliding_window' then
    return redis.error_reply('ERR unknown limiter algorithm')
  end
  limits[i] = l
end

local t = redis.call('TIME')
local now_us = t[1] * 1000000 + t[2]
local now = t[1] * 1000 + math.floor(t[2] / 1000)

-- Each algorithm: x.avail (what fits now), x.retry (wait until cost fits), x.reset (until the
-- state is empty, without this call), x.reset_c (the same, if this call is committed).
local function fixed_window(l, x)
  local used = num(redis.call('GET', l.key)) or 0
  x.ttl = redis.call('PTTL', l.key)
  -- A key in its last millisecond (PTTL 0) is a window that has ended.
  if x.ttl == 0 then used = 0 end
  local left = x.ttl > 0 and x.ttl or l.window
  x.avail = math.max(l.limit - used, 0)
  x.retry = left
  x.reset = used > 0 and left or 0
  x.reset_c = left
end

-- sliding_log: a log of entries "seq:weight" scored by when they were recorded. aux keeps the
-- weights' running sum, the sequence, how many entries weigh more than 1 ('heavy'), the latest
-- score ('last') and the expiry both keys were last given ('exp'), all read in one HMGET: while
-- every entry weighs 1, the trim's count is what it freed, so a call costs O(log n + expired)
-- and no read of the log itself, and calls within one millisecond set the TTLs once. Without
-- them (state from elsewhere) the log is counted once.
local function sliding_log(l, x)
  local cut = s(now - l.window)
  local a = redis.call('HMGET', l.aux, 'sum', 'seq', 'heavy', 'last', 'exp')
  local used, heavy, last = num(a[1]), num(a[3]), num(a[4])
  x.seq, x.exp = a[2], num(a[5])
  if used and heavy == 0 and last then
    local gone = redis.call('ZREMRANGEBYSCORE', l.key, '-inf', cut)
    used = math.max(used - gone, 0)
    x.dirty = gone > 0
  elseif used and heavy and last then
    local gone = redis.call('ZRANGEBYSCORE', l.key, '-inf', cut)
    if #gone > 0 then redis.call('ZREMRANGEBYSCORE', l.key, '-inf', cut) end
    for j = 1, #gone do
      local w = weight(gone[j])
      used = used - w
      if w > 1 then heavy = heavy - 1 end
    end
    used, heavy = math.max(used, 0), math.max(heavy, 0)
    x.dirty = #gone > 0
  else
    redis.call('ZREMRANGEBYSCORE', l.key, '-inf', cut)
    local all = redis.call('ZRANGE', l.key, 0, -1)
    used, heavy = 0, 0
    for j = 1, #all do
      local w = weight(all[j])
      used = used + w
      if w > 1 then heavy = heavy + 1 end
    end
    local newest = redis.call('ZRANGE', l.key, -1, -1, 'WITHSCORES')
    last = #newest > 0 and (num(newest[2]) or now) or nil
    x.exp = nil
  end
  x.used, x.heavy, x.last = used, heavy, last
  x.avail = math.max(l.limit - used, 0)
  x.retry = 0
  local need, freed = used + cost - l.limit, 0
  if need > 0 then
    -- Every weight is at least 1: the oldest `need` entries free enough.
    local first = redis.call('ZRANGE', l.key, 0, s(need - 1), 'WITHSCORES')
    for j = 1, #first, 2 do
      freed = freed + weight(first[j])
      x.retry = (num(first[j + 1]) or now) + l.window - now
      if freed >= need then break end
    end
  end
  -- A log emptied by the trim has its last entry at or before the cut: reset is 0.
  x.reset = last and math.max(last + l.window - now, 0) or 0
  x.reset_c = math.max(x.reset, l.window)
end

-- concurrency: a log of leases "id:weight" scored by their expiry; aux keeps the weights' sum.
local function log(l, x, offset)
  -- The weights' running sum lives in aux.sum: a call costs O(expired + what it must wait
  -- for), not O(log). Without a sum (state from elsewhere) the log is counted once.
  local cut = s(now - offset)
  local gone = redis.call('ZRANGEBYSCORE', l.key, '-inf', cut)
  if #gone > 0 then redis.call('ZREMRANGEBYSCORE', l.key, '-inf', cut) end
  local used = num(redis.call('HGET', l.aux, 'sum'))
  if used then
    for j = 1, #gone do used = used - weight(gone[j]) end
    used = math.max(used, 0)
    if #gone > 0 then redis.call('HSET', l.aux, 'sum', s(used)) end
  else
    used = 0
    local all = redis.call('ZRANGE', l.key, 0, -1)
    for j = 1, #all do used = used + weight(all[j]) end
  end
  x.used = used
  x.avail = math.max(l.limit - used, 0)
  x.retry = 0
  local need, freed = used + cost - l.limit, 0
  if need > 0 then
    -- Every weight is at least 1: the oldest `need` entries free enough.
    local first = redis.call('ZRANGE', l.key, 0, s(need - 1), 'WITHSCORES')
    for j = 1, #first, 2 do
      freed = freed + weight(first[j])
      x.retry = (num(first[j + 1]) or now) + offset - now
      if freed >= need then break end
    end
  end
  local last = redis.call('ZRANGE', l.key, -1, -1, 'WITHSCORES')
  x.reset = #last > 0 and math.max((num(last[2]) or now) + offset - now, 0) or 0
  x.reset_c = math.max(x.reset, l.window)
end

-- The first elapsed time within a window at which floor(p * (W - e) / W) <= room, or nil.
local function fit(p, room, w)
  if room < 0 then return nil end
  if p <= room then return 0 end
  local e = math.floor(w - (room + 1) * w / p) + 1
  if e < w and math.floor(p * (w - e) / w) > room then e = e + 1 end
  if e >= w then return nil end
  return e
end

local function sliding_window(l, x)
  local v = redis.call('HMGET', l.key, 'w', 'cur', 'prev')
  local w = l.window
  x.id = math.floor(now / w)
  x.e = now - x.id * w
  local win, cur, prev = num(v[1]) or -1, num(v[2]) or 0, num(v[3]) or 0
  -- A clock that stepped back keeps counting into the stored window, from its start.
  if win > x.id then x.id = win; x.e = 0 end
  if win == x.id - 1 then prev = cur; cur = 0 elseif win ~= x.id then prev = 0; cur = 0 end
  x.cur, x.prev = cur, prev
  x.avail = math.max(l.limit - (math.floor(prev * (w - x.e) / w) + cur), 0)
  local here = fit(prev, l.limit - cost - cur, w)
  local later = fit(cur, l.limit - cost, w)
  if here then x.retry = here - x.e elseif later then x.retry = w - x.e + later else x.retry = 2 * w - x.e end
  x.reset = cur > 0 and 2 * w - x.e or (prev > 0 and w - x.e or 0)
  x.reset_c = (cur + cost > 0) and 2 * w - x.e or x.reset
end

local function token_bucket(l, x)
  local v = redis.call('HMGET', l.key, 'tokens', 'ts')
  local tokens, ts = num(v[1]), num(v[2])
  if not tokens or not ts then tokens = l.limit; ts = now end
  if now > ts then
    local k = math.floor((now - ts) / l.p2)
    tokens = tokens + k * l.p1
    ts = ts + k * l.p2
  end
  if tokens >= l.limit then tokens = l.limit; ts = now end
  x.tokens, x.ts = tokens, ts
  local function full_in(have)
    if have >= l.limit then return 0 end
    return ts + math.ceil((l.limit - have) / l.p1) * l.p2 - now
  end
  x.avail = math.max(tokens, 0)
  x.retry = ts + math.ceil((cost - tokens) / l.p1) * l.p2 - now
  x.reset = full_in(tokens)
  x.reset_c = full_in(tokens - cost)
end

local function gcra(l, x)
  local dvt = l.emission * l.p1
  local tat = num(redis.call('GET', l.key)) or now_us
  if tat < now_us then tat = now_us end
  if tat > now_us + dvt then tat = now_us + dvt end
  x.new_tat = tat + l.emission * cost
  x.avail = math.max(math.floor((dvt - (tat - now_us)) / l.emission), 0)
  x.retry = math.ceil((x.new_tat - dvt - now_us) / 1000)
  x.reset = math.ceil((tat - now_us) / 1000)
  x.reset_c = math.ceil((x.new_tat - now_us) / 1000)
end

local function evaluate(l)
  local x = {}
  local blocked = redis.call('PTTL', l.bkey)
  if blocked > 0 then
    x.blocked = true
    x.avail, x.retry, x.reset, x.reset_c = 0, blocked, blocked, blocked
  elseif l.algo == 'fixed_window' then fixed_window(l, x)
  elseif l.algo == 'sliding_log' then sliding_log(l, x)
  elseif l.algo == 'concurrency' then log(l, x, 0)
  elseif l.algo == 'sliding_window' then sliding_window(l, x)
  elseif l.algo == 'token_bucket' then token_bucket(l, x)
  else gcra(l, x) end
  x.ok = not x.blocked and cost <= x.avail
  if cost > l.cap then x.retry = -1 end
  return x
end

-- Records the call; returns the lease (concurrency) or ''.
local function commit(l, x)
  if l.algo == 'fixed_window' then
    if x.ttl == 0 or x.ttl == -2 then
      redis.call('SET', l.key, s(cost), 'PX', s(l.window))
    else
      redis.call('INCRBY', l.key, s(cost))
      if x.ttl < 0 then redis.call('PEXPIRE', l.key, s(l.window)) end
    end
  elseif l.algo == 'sliding_log' then
    -- The sequence lives exactly as long as the log, so ids never repeat within it. A stored
    -- sequence that is no plain count goes through HINCRBY, which rejects a corrupted one.
    local seq = num(x.seq or '0')
    if seq and seq == math.floor(seq) then seq = seq + 1 else seq = redis.call('HINCRBY', l.aux, 'seq', 1) end
    redis.call('ZADD', l.key, s(now), s(seq) .. ':' .. s(cost))
    local exp = now + l.window
    redis.call('HSET', l.aux, 'sum', s(x.used + cost), 'seq', s(seq), 'heavy', s(x.heavy + (cost > 1 and 1 or 0)),
      'last', s(math.max(x.last or now, now)), 'exp', s(exp))
    -- Both keys already expire at `exp` when an earlier call in this millisecond set it (and
    -- recorded an entry, so the log was not emptied by this call's trim).
    if x.exp ~= exp or x.used == 0 then
      redis.call('PEXPIRE', l.key, s(l.window))
      redis.call('PEXPIRE', l.aux, s(l.window))
    end
  elseif l.algo == 'concurrency' then
    local member = lease_id .. ':' .. s(cost)
    redis.call('ZADD', l.key, s(now + l.window), member)
    redis.call('HSET', l.aux, 'sum', s(x.used + cost))
    redis.call('PEXPIRE', l.key, s(l.window))
    redis.call('PEXPIRE', l.aux, s(l.window))
    return member
  elseif l.algo == 'sliding_window' then
    redis.call('HSET', l.key, 'w', s(x.id), 'cur', s(x.cur + cost), 'prev', s(x.prev))
    redis.call('PEXPIRE', l.key, s(2 * l.window - x.e))
  elseif l.algo == 'token_bucket' then
    redis.call('HSET', l.key, 'tokens', s(x.tokens - cost), 'ts', s(x.ts))
    redis.call('PEXPIRE', l.key, s(x.reset_c))
  else
    redis.call('SET', l.key, s(x.new_tat), 'PX', s(x.reset_c))
  end
  return ''
end

local d, all = {}, true
for i = 1, n do
  d[i] = evaluate(limits[i])
  all = all and d[i].ok
end
local record = all and not peek and cost > 0
local out = {}
for i = 1, n do
  local l, x = limits[i], d[i]
  local remaining, reset, retry, lease = x.avail, x.reset, 0, ''
  if record then
    remaining = x.avail - cost
    reset = x.reset_c
    lease = commit(l, x)
  elseif x.dirty then
    -- A sliding log trimmed without recording: its aux follows.
    redis.call('HSET', l.aux, 'sum', s(x.used), 'heavy', s(x.heavy))
  end
  if not record and not x.ok then
    retry = x.retry
    if not peek and not x.blocked and l.block > 0 then
      redis.call('SET', l.bkey, '1', 'PX', s(l.block))
      if retry >= 0 and retry < l.block then retry = l.block end
      reset = math.max(reset, l.block)
    end
  end
  out[i] = {x.ok and 1 or 0, remaining, l.cap, reset, retry, lease}
end
return out
