-- POST /retrieve-sessions for the devices of the ids file, round robin.
dofile("bench/lua/common.lua")

local requests, count, i

function init(args)
  local list = load_ids()
  count = list.count
  requests = prebuild(count, function(n)
    local body = '{"device":{"phoneNumber":"' .. list.phone(n) .. '"}}'
    return wrk.format("POST", base .. "/retrieve-sessions", json_headers, body)
  end)
  i = (tid * 7919) % count
end

function request()
  i = i % count + 1
  return requests[i]
end
