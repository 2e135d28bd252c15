-- Enqueues ARGV[1] jobs, each given by 10 ARGV values: id ('' = next auto id), type, data,
-- priority, delay_ms, run_at_ms (0 = none; wins over the delay), max_attempts, backoff kind,
-- backoff_ms, jitter. A job whose id already exists is not added. All jobs are checked before
-- any is written. Wakes idle workers. Returns {id1, added1, id2, added2, ...}.
local n = int_arg(ARGV[1], 'count', 0, 100000)
if #ARGV ~= 1 + n * 10 then
  fail_arg('expected 10 values per job')
end
for i = 0, n - 1 do
  local a = 1 + i * 10
  check_options(ARGV[a + 4], ARGV[a + 7], ARGV[a + 8], ARGV[a + 9], ARGV[a + 10])
  int_arg(ARGV[a + 5], 'delay_ms', 0, MAX_DELAY_MS)
  int_arg(ARGV[a + 6], 'run_at_ms', 0, 99999999999999)
end
local out, waiting, delayed = {}, 0, 0
for i = 0, n - 1 do
  local a = 1 + i * 10
  local id = ARGV[a + 1]
  local added = 0
  if id == '' then
    id = tostring(redis.call('INCR', K_IDS))
  end
  if live_state(id) == nil then
    local run_at = tonumber(ARGV[a + 6])
    local due = now + tonumber(ARGV[a + 5])
    if run_at > 0 then
      due = run_at
    end
    local now_waiting = add_job(id, ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 7], ARGV[a + 8],
      ARGV[a + 9], ARGV[a + 10], due)
    waiting = waiting + now_waiting
    delayed = math.max(delayed, 1 - now_waiting)
    added = 1
  end
  out[#out + 1] = id
  out[#out + 1] = added
end
-- One more token when a job was delayed: an idle worker wakes to re-arm its wait for it.
wake(waiting + delayed)
return out
