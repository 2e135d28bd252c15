-- A member's neighbours on a leaderboard, read atomically: its rank, then the entries from k
-- places above to k places below it. KEYS[1] the board (a sorted set); ARGV[1] the member,
-- ARGV[2] k, ARGV[3] '1' when the board ranks the lowest score first.
-- Returns {first_index, {member, score, ...}}, or nil when the member is not on the board.
local k = tonumber(ARGV[2])
if not k or k < 0 or k > 1000000 or k ~= math.floor(k) then
  return redis.error_reply('ERR k must be an integer from 0 to 1000000')
end
local ascending = ARGV[3] == '1'
local rank
if ascending then
  rank = redis.call('ZRANK', KEYS[1], ARGV[1])
else
  rank = redis.call('ZREVRANK', KEYS[1], ARGV[1])
end
if not rank then
  return false
end
local first = rank - k
if first < 0 then
  first = 0
end
local entries
if ascending then
  entries = redis.call('ZRANGE', KEYS[1], first, rank + k, 'WITHSCORES')
else
  entries = redis.call('ZRANGE', KEYS[1], first, rank + k, 'REV', 'WITHSCORES')
end
return {first, entries}
