-- cache_set: store one cache entry (value or cached absence) stamped with the namespace
-- version, add it to its tag sets, release the load lock and hand the value to the waiters,
-- publish an invalidation and append to the write-behind stream — all in one step.
-- KEYS: entry, version, lock, waiters, notify, write-behind stream, tag sets...
-- ARGV: kind (1 value, 2 absent), payload, fresh_ms, stale_ms, started_ms (0: no load timed),
--       token ('' none), channel ('' none), message, write-behind key ('' none).
-- Returns {delta_ms, waiters woken}.
if #KEYS < 6 then
  return redis.error_reply('ERR cache_set needs 6 keys')
end
local kind = tonumber(ARGV[1])
if kind ~= 1 and kind ~= 2 then
  return redis.error_reply('ERR cache_set kind must be 1 or 2')
end
local fresh = tonumber(ARGV[3])
if fresh == nil or fresh < 1 or fresh > 1e12 or fresh ~= math.floor(fresh) then
  return redis.error_reply('ERR cache_set ttl must be an integer of ms in 1..1e12')
end
local stale = tonumber(ARGV[4])
if stale == nil or stale < 0 or stale > 1e12 or stale ~= math.floor(stale) then
  return redis.error_reply('ERR cache_set stale must be an integer of ms in 0..1e12')
end
local started = tonumber(ARGV[5])
if started == nil or started < 0 or started ~= math.floor(started) then
  return redis.error_reply('ERR cache_set started must be an integer of ms >= 0')
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local delta = 0
if started > 0 and started < now then
  delta = now - started
end
local tag = '1'
if kind == 2 then tag = '2' end
local ver = redis.call('GET', KEYS[2]) or '0'
local total = fresh + stale
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'k', tag, 'v', ARGV[2], 'd', delta, 'f', now + fresh, 'g', ver)
redis.call('PEXPIRE', KEYS[1], total)
for i = 7, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  if redis.call('PTTL', KEYS[i]) < total then
    redis.call('PEXPIRE', KEYS[i], total)
  end
end
local woken = 0
if ARGV[6] ~= '' and redis.call('GET', KEYS[3]) == ARGV[6] then
  local keep = redis.call('PTTL', KEYS[3])
  if keep < 1000 then keep = 1000 end
  redis.call('DEL', KEYS[3])
  woken = tonumber(redis.call('GET', KEYS[4]) or '0') or 0
  redis.call('DEL', KEYS[4])
  for i = 1, woken do
    redis.call('RPUSH', KEYS[5], tag .. ARGV[2])
  end
  if woken > 0 then
    redis.call('PEXPIRE', KEYS[5], keep)
  end
end
if ARGV[7] ~= '' then
  redis.call('PUBLISH', ARGV[7], ARGV[8])
end
if ARGV[9] ~= '' then
  redis.call('XADD', KEYS[6], '*', 'key', ARGV[9], 'kind', tag, 'value', ARGV[2])
end
return {delta, woken}
