-- The wrk side of bench/lib/load.ts (see loadWithWrk there). Run as
--   wrk -t C -c C -s bench/lib/wrk.lua http://127.0.0.1:PORT -- DIR
-- with as many threads as connections: wrk's request() and response() are not told which
-- connection they serve, so one connection per thread is what lets a connection stand for one
-- client (its own template: a judge's token) and lets a response be paired with its request.
--
-- DIR/c<i>.lua (written by load.ts for thread i, 1-based) returns
--   { base = <µs, CLOCK_MONOTONIC>, out = DIR, bodies = <bool>,
--     template = { method, path, headers = {...}, body, pick = { name = { ... } } } }
-- In path and body, `{{n}}` is the connection's
-- request counter (0, 1, …) and `{{name}}` a value of pick[name] drawn at random per request.
--
-- Each thread writes one line per response to OUT/t<i>.tsv:
--   <sent µs>\t<completed µs>\t<status>
-- or, when its connection wants the bodies, the body's length in bytes and the body on the next line:
--   <sent µs>\t<completed µs>\t<status>\t<length>\n<body>
-- times relative to `base`, read with clock_gettime(CLOCK_MONOTONIC) through LuaJIT's FFI (the
-- clock of Node's process.hrtime, so load.ts places the window itself). Lua's own clocks will not
-- do: os.time() counts whole seconds and os.clock() is the CPU time of the whole process. The
-- lines are buffered and flushed when wrk exits; done() prints wrk's error counts as one line.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

-- setup/done: the main state
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_WRK {"requests":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"durationUs":%d}\n',
    summary.requests, e.connect, e.read, e.write, e.status, e.timeout, summary.duration))
  io.flush()
end

-- init/request/response: each thread's own state
local base, out, keep_bodies
local method, path, headers, body, pick, dynamic, static
local n = -1
local sent = 0

function init(args)
  local config = dofile(args[1] .. "/c" .. id .. ".lua")
  base = config.base
  keep_bodies = config.bodies
  local t = config.template
  method, path, headers, body, pick = t.method, t.path, t.headers or {}, t.body, t.pick or {}
  dynamic = (path:find("{{", 1, true) ~= nil) or (body ~= nil and body:find("{{", 1, true) ~= nil)
  if not dynamic then static = wrk.format(method, path, headers, body) end
  math.randomseed(id * 7919 + config.base % 100003)
  out = assert(io.open(config.out .. "/t" .. id .. ".tsv", "w"))
  out:setvbuf("full", 1048576)
end

local function fill(k)
  if k == "n" then return tostring(n) end
  local list = pick[k]
  if not list then error("no values to pick for {{" .. k .. "}}") end
  return list[math.random(#list)]
end

function request()
  n = n + 1
  local req = static
  if dynamic then
    local p = path:gsub("{{([%w_]+)}}", fill)
    local b = body and (body:gsub("{{([%w_]+)}}", fill))
    req = wrk.format(method, p, headers, b)
  end
  sent = now_us()
  return req
end

function response(status, hdrs, resbody)
  local t = now_us()
  if keep_bodies then
    out:write(sent - base, "\t", t - base, "\t", status, "\t", #resbody, "\n", resbody, "\n")
  else
    out:write(sent - base, "\t", t - base, "\t", status, "\n")
  end
end
