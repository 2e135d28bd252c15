-- Completes job ARGV[1] held with token ARGV[2], keeping result ARGV[3] for ARGV[4] ms (0: the
-- job is deleted at once). Returns the completion time (ms), -1 (no such job) or -2 (lease not
-- held). Also drops up to 100 completed jobs whose result expired.
local ttl = int_arg(ARGV[4], 'result_ttl_ms', 0, MAX_DELAY_MS)
return complete(ARGV[1], ARGV[2], ARGV[3], ttl)
