-- Explicit stalled-job recovery (reserve does the same on every call): moves due delayed jobs to
-- wait, returns jobs whose lease expired and fires due repeats. Returns {requeued, dead, promoted}.
local promoted = promote()
local requeued, dead = recover()
local _, created = fire_repeats()
wake(promoted + requeued + created)
return {requeued, dead, promoted}
