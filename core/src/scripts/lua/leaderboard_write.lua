-- A leaderboard write that renews the board's TTL only when the write succeeded (a MULTI
-- would expire a key of the wrong type even though the write failed). KEYS[1] the board;
-- ARGV[1] the TTL in ms ('0': none), ARGV[2] 'ZADD' or 'ZINCRBY', ARGV[3..] its arguments
-- after the key. Returns the command's reply.
local command = ARGV[2]
if command ~= 'ZADD' and command ~= 'ZINCRBY' then
  return redis.error_reply('ERR leaderboard_write runs ZADD or ZINCRBY')
end
if #ARGV < 4 then
  return redis.error_reply('ERR leaderboard_write needs a score and a member')
end
local reply = redis.call(command, KEYS[1], unpack(ARGV, 3))
local ttl = tonumber(ARGV[1])
if ttl and ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return reply
