-- GET /sessions/{id} over the sessions of the ids file, round robin.
dofile("bench/lua/common.lua")

local list, i

function init(args)
  list = load_ids()
  i = (tid * 7919) % #list
end

function request()
  i = i % #list + 1
  return wrk.format("GET", base .. "/sessions/" .. list[i].id, plain_headers)
end
