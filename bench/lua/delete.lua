-- DELETE /sessions/{id}, each session of the ids file once (threads take disjoint ones). A
-- thread stops when its sessions are used up, so the run may end before its duration.
dofile("bench/lua/common.lua")

local list, i

function init(args)
  list = load_ids()
  i = tid + 1
end

function request()
  if i > list.count then
    wrk.thread:stop()
    return wrk.format("GET", "/health")
  end
  local id = list.id(i)
  i = i + nthreads
  return wrk.format("DELETE", base .. "/sessions/" .. id, plain_headers)
end
