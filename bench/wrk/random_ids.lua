-- GET one record per request, its id drawn at random from a file of ids:
--   wrk ... -s random_ids.lua http://host:port -- <ids file> <path with {id}>
-- Kept apart from report.lua because defining request() makes every request go through Lua.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local ids = {}
local template = "/"

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  template = args[2]
  -- Each thread its own sequence, so threads do not read the same ids in step.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  local path = template:gsub("{id}", ids[math.random(#ids)])
  return wrk.format(nil, path)
end
