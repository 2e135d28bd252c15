-- Completes job ARGV[1] as queue_ack does (token ARGV[2], result ARGV[3] kept ARGV[4] ms), then
-- reserves up to ARGV[5] jobs with a lease of ARGV[6] ms as queue_reserve does, whether or not
-- the ack found its lease: a busy worker pays one round trip per job, not two (BullMQ's
-- moveToFinished with fetchNext). Returns {ack status, now, wait_hint_ms, jobs, crons}: the
-- status as queue_ack returns it, the rest as queue_reserve.
local ttl = int_arg(ARGV[4], 'result_ttl_ms', 0, MAX_DELAY_MS)
local count = int_arg(ARGV[5], 'count', 1, 1000)
local lease = int_arg(ARGV[6], 'lease_ms', 1, MAX_DELAY_MS)
local status = complete(ARGV[1], ARGV[2], ARGV[3], ttl)
local reply = take(count, lease)
table.insert(reply, 1, status)
return reply
