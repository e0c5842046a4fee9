-- GET /sessions/{id} over the sessions of the ids file, round robin.
dofile("bench/lua/common.lua")

local requests, count, i

function init(args)
  local list = load_ids()
  count = list.count
  requests = prebuild(count, function(n)
    return wrk.format("GET", base .. "/sessions/" .. list.id(n), plain_headers)
  end)
  i = (tid * 7919) % count
end

function request()
  i = i % count + 1
  return requests[i]
end
