-- POST /sessions, a new phone number each time; keeps "sessionId phoneNumber" of every 201.
-- Environment: BENCH_PREFIX (two digits that keep phone numbers apart between scenarios),
-- BENCH_DURATION (seconds, default 86400).
dofile("bench/lua/common.lua")

local prefix = os.getenv("BENCH_PREFIX") or "10"
local duration = os.getenv("BENCH_DURATION") or "86400"
local n = 0

function request()
  n = n + 1
  local phone = string.format("+1%s%d%08d", prefix, tid, n)
  local body = '{"device":{"phoneNumber":"' .. phone .. '"},' ..
    '"applicationServer":{"ipv4Address":"198.51.100.0/24"},' ..
    '"qosProfile":"QOS_E","duration":' .. duration .. '}'
  return wrk.format("POST", base .. "/sessions", json_headers, body)
end

function response(status, headers, body)
  if status == 201 then
    local id = body:match('"sessionId":"([^"]+)"')
    local phone = body:match('"phoneNumber":"([^"]+)"')
    if id and phone then keep_line(id .. " " .. phone) end
  end
end
