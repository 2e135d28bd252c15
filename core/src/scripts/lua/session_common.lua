-- Shared by every session script (prepended to each): argument checks, the server's time, and
-- the liveness check that enforces the absolute lifetime and slides the idle TTL.
local function need(nkeys, nargs)
  if #KEYS < nkeys or #ARGV < nargs then
    return redis.error_reply('ERR this script needs ' .. nkeys .. ' keys and ' .. nargs .. ' arguments')
  end
end

local function ms_arg(v, lo)
  local n = tonumber(v)
  if not n or n ~= math.floor(n) or n < lo or n > 1e12 then return nil end
  return n
end

local function now_ms()
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end

-- The session's new TTL after sliding it, or nil when there is no live session at key (one past
-- its absolute deadline is deleted and dropped from its user's index). A session saved with its
-- own idle TTL (`m:idle`) slides by that instead of the store's `idle`.
local function touch(key, id, idle, user_prefix)
  local meta = redis.call('HMGET', key, 'm:deadline', 'm:user', 'm:idle')
  idle = ms_arg(meta[3], 1) or idle
  local deadline = tonumber(meta[1])
  if not deadline or deadline ~= math.floor(deadline) then return nil end
  local now = now_ms()
  if now >= deadline then
    redis.call('DEL', key)
    if meta[2] and meta[2] ~= '' then redis.call('ZREM', user_prefix .. meta[2], id) end
    return nil
  end
  local ttl = math.min(idle, deadline - now)
  redis.call('PEXPIRE', key, ttl)
  return ttl
end


-- Keeps an index key alive at least `ms` more (never shortens it: other sessions need it).
local function extend(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
