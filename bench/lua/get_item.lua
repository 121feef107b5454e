-- GET /items/{id} with ids drawn at random from the file (one id per line) given as the first script argument.
local ids = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  local path = args[1]
  if path == nil then error("get_item.lua: pass the ids file after --") end
  for line in io.lines(path) do
    if line ~= "" then ids[#ids + 1] = line end
  end
  if #ids == 0 then error("get_item.lua: no ids in " .. path) end
  math.randomseed(os.time() * 1000 + (tid or 0))
end

function request()
  return wrk.format("GET", "/items/" .. ids[math.random(#ids)])
end
