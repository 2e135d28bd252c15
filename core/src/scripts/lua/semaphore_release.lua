-- Returns a permit: KEYS[1] the holders, KEYS[2] the release-signal list. ARGV[1] the holder's
-- token, ARGV[2] how long (ms) a signal waits for a waiter, ARGV[3] the number of permits (the
-- signal list never holds more). A lease that already expired is removed but not reported as
-- released: its permit was free from the moment it expired.
-- Returns 1 when released (one waiter signalled), 0 when ARGV[1] held no live permit.
local signal_ttl = string.match(ARGV[2] or '', '^[1-9]%d*$')
if not signal_ttl or #signal_ttl > 15 then
  return redis.error_reply('ERR signal ttl must be a positive integer of milliseconds')
end
local permits = string.match(ARGV[3] or '', '^[1-9]%d*$')
if not permits or #permits > 9 then
  return redis.error_reply('ERR permits must be a positive integer')
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiry then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
if tonumber(expiry) <= now then
  return 0
end
redis.call('RPUSH', KEYS[2], 1)
redis.call('LTRIM', KEYS[2], 0, tonumber(permits) - 1)
redis.call('PEXPIRE', KEYS[2], signal_ttl)
return 1
