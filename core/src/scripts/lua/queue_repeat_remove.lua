-- Removes repeat ARGV[1] (jobs it already created stay). Returns 1 if it existed, else 0.
local name = ARGV[1]
local fields = {}
for i, field in ipairs(RFIELDS) do
  fields[i] = rf(name, field)
end
redis.call('HDEL', K_REPEATS, unpack(fields))
return redis.call('ZREM', K_REPEAT, name)
