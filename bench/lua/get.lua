-- GET /sessions/{id} over the sessions of the ids file, round robin.
dofile("bench/lua/common.lua")

local list, i

function init(args)
  list = load_ids()
  i = (tid * 7919) % list.count
end

function request()
  i = i % list.count + 1
  return wrk.format("GET", base .. "/sessions/" .. list.id(i), plain_headers)
end
