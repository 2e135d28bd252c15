-- session_scan: KEYS = all-sessions index; ARGV = session key prefix, offset, count (1..1000),
-- with data ('1' or '0'). One batch of a walk over the store's sessions in deadline order: the
-- first batch (offset 0) drops entries past their deadline; every batch drops the ids whose
-- session has ended. Returns {next offset (0 when the walk is done), rows}, a row being the id,
-- or {id, ttl_ms, HGETALL} with data. Reads slide nothing.
local short = need(1, 4)
if short then return short end
local offset, count = tonumber(ARGV[2]), tonumber(ARGV[3])
if not offset or offset ~= math.floor(offset) or offset < 0 or offset > 1e12
    or not count or count ~= math.floor(count) or count < 1 or count > 1000 then
  return redis.error_reply('ERR offset must be a whole number >= 0 and count one in 1..1000')
end
if offset == 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms()) end
local items = redis.call('ZRANGE', KEYS[1], offset, offset + count - 1)
local out, gone = {}, 0
for _, id in ipairs(items) do
  local key = ARGV[1] .. id
  local ttl = redis.call('PTTL', key)
  if ttl == -2 then
    redis.call('ZREM', KEYS[1], id)
    gone = gone + 1
  elseif ARGV[4] == '1' then
    out[#out + 1] = {id, ttl, redis.call('HGETALL', key)}
  else
    out[#out + 1] = id
  end
end
local next = offset + #items - gone
if #items < count then next = 0 end
return {next, out}
