-- POST /sessions/{id}/extend by one second, over the sessions of the ids file. Threads take
-- disjoint sessions, so two extensions of one session rarely race.
dofile("bench/lua/common.lua")

local requests, count, i
local body = '{"requestedAdditionalDuration":1}'

function init(args)
  local list = load_ids()
  count = list.count
  requests = prebuild(count, function(n)
    return wrk.format("POST", base .. "/sessions/" .. list.id(n) .. "/extend", json_headers, body)
  end)
  i = tid
end

function request()
  i = i + nthreads
  if i > count then i = tid + 1 end
  return requests[i]
end
