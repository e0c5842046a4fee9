-- A realistic mix: each flow creates a session, reads it 10 times, then deletes it. Every
-- fifth flow keeps its session instead, created with a short duration (BENCH_SHORT_DURATION,
-- default 2 s) so that it expires while the load goes on. Requests carry an x-correlator
-- ("c:k", "c:d", "g:<id>", "d:<id>") that the server echoes, which maps each response to its
-- request. Every thread keeps a trace for the correctness check:
--   C <id> k|d      a 201 (k: kept to expire, d: to be deleted)
--   D <id> <status> a delete's answer
--   c <status> / g <status> <id>   a failed create / read
dofile("bench/lua/common.lua")

local prefix = os.getenv("BENCH_PREFIX") or "20"
local short = os.getenv("BENCH_SHORT_DURATION") or "2"
local keep_every = 5
local reads = 10
local n = 0
local queue = {}   -- flows with reads left to send
local flows = {}   -- id -> flow, until its reads are all answered
local deletes = {} -- ids whose reads are all answered

local json = {}
local plain = {}
for k, v in pairs(json_headers) do json[k] = v end
for k, v in pairs(plain_headers) do plain[k] = v end

function request()
  local d = table.remove(deletes)
  if d then
    plain["x-correlator"] = "d:" .. d
    return wrk.format("DELETE", base .. "/sessions/" .. d, plain)
  end
  local flow = queue[#queue]
  if flow then
    flow.to_send = flow.to_send - 1
    flow.pending = flow.pending + 1
    if flow.to_send == 0 then queue[#queue] = nil end
    plain["x-correlator"] = "g:" .. flow.id
    return wrk.format("GET", base .. "/sessions/" .. flow.id, plain)
  end
  n = n + 1
  local keep = n % keep_every == 0
  local phone = string.format("+1%s%d%08d", prefix, tid, n)
  local body = '{"device":{"phoneNumber":"' .. phone .. '"},' ..
    '"applicationServer":{"ipv4Address":"198.51.100.0/24"},' ..
    '"qosProfile":"QOS_E","duration":' .. (keep and short or "3600") .. '}'
  json["x-correlator"] = keep and "c:k" or "c:d"
  return wrk.format("POST", base .. "/sessions", json, body)
end

function response(status, headers, body)
  local c = headers["x-correlator"] or headers["X-Correlator"]
  if not c then
    keep_line("x " .. status)
    return
  end
  local kind = c:sub(1, 1)
  if kind == "g" then
    local id = c:sub(3)
    if status ~= 200 then keep_line("g " .. status .. " " .. id) end
    local flow = flows[id]
    if flow then
      flow.pending = flow.pending - 1
      if flow.to_send == 0 and flow.pending == 0 then
        flows[id] = nil
        if not flow.keep then deletes[#deletes + 1] = id end
      end
    end
  elseif kind == "c" then
    if status == 201 then
      local id = body:match('"sessionId":"([^"]+)"')
      local keep = c:sub(3, 3) == "k"
      local flow = { id = id, to_send = reads, pending = 0, keep = keep }
      flows[id] = flow
      queue[#queue + 1] = flow
      keep_line("C " .. id .. (keep and " k" or " d"))
    else
      keep_line("c " .. status)
    end
  elseif kind == "d" then
    keep_line("D " .. c:sub(3) .. " " .. status)
  end
end
