-- redkit's prelude for a script VM, run once when the VM is created (chunk "=redkit": the error
-- handler skips its frames when it looks for the script line that failed).
-- Redis 7.0's pcall: an error table caught by pcall becomes its `err` text; an error raised by
-- a Rust function (redis.call, cjson…) arrives as userdata and becomes its text as well.
local errtext = ...
local raw_pcall, type, rawget, rawset, next, error, tostring, setmetatable =
  pcall, type, rawget, rawset, next, error, tostring, setmetatable

local function settle(ok, ...)
  if ok then return true, ... end
  local e = ...
  if type(e) == 'table' then
    local m = rawget(e, 'err')
    if type(m) == 'string' or type(m) == 'number' then e = m end
  elseif type(e) == 'userdata' then
    e = errtext(e)
  end
  return false, e
end

pcall = function(...) return settle(raw_pcall(...)) end

-- What Redis removes from the base library.
dofile, loadfile, print, getfenv, setfenv, newproxy, module, require = nil, nil, nil, nil, nil, nil, nil, nil

-- Protected globals and library tables (Redis makes them read-only).
local function readonly() error('Attempt to modify a readonly table', 2) end
for _, lib in pairs({string, math, table, coroutine, redis, bit, cjson, struct, cmsgpack}) do
  setmetatable(lib, {__newindex = readonly})
end
-- The globals move to a hidden table and _G stays empty: reading a global goes through to the
-- hidden table (an unknown name is an error), and every assignment to one is refused, as in
-- Redis's read-only globals table. (So `pairs(_G)` sees nothing.)
local G, globals = _G, {}
for k, v in next, G do globals[k] = v end
for k in next, globals do rawset(G, k, nil) end
setmetatable(globals, {
  __index = function(_, name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
  end,
})
setmetatable(G, {__index = globals, __newindex = readonly})

-- Runs a script function under the error handler: EVAL scripts take no arguments, FCALL
-- functions get KEYS and ARGV.
local function run(f, handler, keys, args)
  if keys then return xpcall(function() return f(keys, args) end, handler) end
  return xpcall(f, handler)
end

return run, globals
