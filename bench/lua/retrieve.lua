-- POST /retrieve-sessions for the devices of the ids file, round robin.
dofile("bench/lua/common.lua")

local list, i

function init(args)
  list = load_ids()
  i = (tid * 7919) % list.count
end

function request()
  i = i % list.count + 1
  local body = '{"device":{"phoneNumber":"' .. list.phone(i) .. '"}}'
  return wrk.format("POST", base .. "/retrieve-sessions", json_headers, body)
end
