-- Extends the lease of job ARGV[1] held with token ARGV[2] to ARGV[3] ms from now. Returns the
-- new deadline (ms), -1 (no such job) or -2 (lease not held).
local lease = int_arg(ARGV[3], 'lease_ms', 1, MAX_DELAY_MS)
local status = held(ARGV[1], ARGV[2])
if status ~= 0 then
  return status
end
redis.call('ZADD', K_ACTIVE, now + lease, ARGV[1])
return now + lease
