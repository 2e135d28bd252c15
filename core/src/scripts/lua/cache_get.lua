-- cache_get: read one cache entry, honouring the namespace version, and optionally take the
-- short load lock. KEYS: entry, version, lock, waiters, notify.
-- ARGV: mode (0 read, 1 lock when the caller must load), token, lock_ms, xfetch factor.
-- Returns {kind (0 miss, 1 value, 2 absent), payload, delta_ms, fresh_left_ms, now_ms,
--          lock (-1 not asked, 0 held by another, 1 taken), early (1 = XFetch says recompute)}.
if #KEYS < 5 then
  return redis.error_reply('ERR cache_get needs 5 keys')
end
local mode = tonumber(ARGV[1])
if mode ~= 0 and mode ~= 1 then
  return redis.error_reply('ERR cache_get mode must be 0 or 1')
end
local factor = tonumber(ARGV[4])
if factor == nil or factor < 0 then
  return redis.error_reply('ERR cache_get xfetch factor must be a number >= 0')
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ver = redis.call('GET', KEYS[2]) or '0'
local e = redis.call('HMGET', KEYS[1], 'k', 'v', 'd', 'f', 'g')
local kind, payload, delta, left = 0, '', 0, 0
if e[1] then
  if e[5] == ver then
    kind = tonumber(e[1]) or 0
    payload = e[2] or ''
    delta = tonumber(e[3]) or 0
    left = (tonumber(e[4]) or 0) - now
  else
    redis.call('UNLINK', KEYS[1])
  end
end
local early = 0
if kind == 1 and left > 0 and delta * factor >= left then
  early = 1
end
local lock = -1
if mode == 1 and (kind == 0 or left <= 0 or early == 1) then
  local ms = tonumber(ARGV[3])
  if ms == nil or ms < 1 or ms ~= math.floor(ms) then
    return redis.error_reply('ERR cache_get lock_ms must be a positive integer')
  end
  if redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[3]) then
    redis.call('DEL', KEYS[4], KEYS[5])
    lock = 1
  else
    lock = 0
    -- A caller with nothing to serve (a miss, or a cached absence at its last ms) waits.
    if kind ~= 1 then
      redis.call('INCR', KEYS[4])
      redis.call('PEXPIRE', KEYS[4], ARGV[3])
    end
  end
end
return {kind, payload, delta, left, now, lock, early}
