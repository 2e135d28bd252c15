-- Reserves up to ARGV[1] jobs with a lease of ARGV[2] ms, after the due work (see `take`).
-- Returns {now, wait_hint_ms, jobs, crons} as `take` does.
local count = int_arg(ARGV[1], 'count', 1, 1000)
local lease = int_arg(ARGV[2], 'lease_ms', 1, MAX_DELAY_MS)
return take(count, lease)
