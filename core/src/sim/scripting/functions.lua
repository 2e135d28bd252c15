-- redkit's setup of the functions VM (chunk "=redkit"), as Redis 7.0 does it: library code and
-- the functions it registers see globals through one environment table; while FUNCTION LOAD
-- runs a library, that environment offers only the load API (`redis` with register_function,
-- log and the constants), and when a function runs, the regular globals. Both ways, reading an
-- unknown global is an error and writing any is refused.
local redis = redis
local rawget, error, tostring, setmetatable = rawget, error, tostring, setmetatable
local getmetatable = getmetatable
local globals = getmetatable(_G).__index -- the table behind the empty _G (prelude.lua)
local loading = false

local function readonly() error('Attempt to modify a readonly table', 2) end

local load_redis = {
  log = redis.log,
  LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE,
  LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
}
-- Raised from an __index function: level 3 is the code that read the name.
local function missing(name)
  error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 3)
end
setmetatable(load_redis, {__index = function(_, name) missing(name) end, __newindex = readonly})
local load_api = {redis = load_redis}

local env = setmetatable({}, {
  __index = function(_, name)
    local v
    if loading then v = rawget(load_api, name) else v = rawget(globals, name) end
    if v == nil then missing(name) end
    return v
  end,
  __newindex = readonly,
})

return env, load_redis, function(on) loading = on end
