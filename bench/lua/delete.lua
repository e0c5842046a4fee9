-- DELETE /sessions/{id}, each session of the ids file once (threads take disjoint ones). A
-- thread stops when its sessions are used up, so the run may end before its duration.
dofile("bench/lua/common.lua")

local requests, count, i

function init(args)
  local list = load_ids()
  count = list.count
  requests = prebuild(count, function(n)
    return wrk.format("DELETE", base .. "/sessions/" .. list.id(n), plain_headers)
  end)
  i = tid + 1
end

function request()
  if i > count then
    wrk.thread:stop()
    return wrk.format("GET", "/health")
  end
  local request = requests[i]
  i = i + nthreads
  return request
end
