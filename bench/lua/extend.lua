-- POST /sessions/{id}/extend by one second, over the sessions of the ids file. Threads take
-- disjoint sessions, so two extensions of one session rarely race.
dofile("bench/lua/common.lua")

local list, i
local body = '{"requestedAdditionalDuration":1}'

function init(args)
  list = load_ids()
  i = tid
end

function request()
  i = i + nthreads
  if i > list.count then i = tid + 1 end
  return wrk.format("POST", base .. "/sessions/" .. list.id(i) .. "/extend", json_headers, body)
end
