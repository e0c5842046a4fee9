-- Shared by every scenario: headers, thread numbering, the ids file and the JSON summary that
-- bench/run collects. Environment: WRK_THREADS (threads wrk runs), BENCH_IDS (an ids file:
-- "sessionId phoneNumber" per line), BENCH_MAX_IDS (how many of its lines to use).

base = "/quality-on-demand/v1"
json_headers = {
  ["Authorization"] = "Bearer mock_sandbox_access_token",
  ["Content-Type"] = "application/json",
}
plain_headers = { ["Authorization"] = "Bearer mock_sandbox_access_token" }
nthreads = tonumber(os.getenv("WRK_THREADS") or "2")

local all_threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(all_threads, thread)
end

-- Every line of the ids file, at most BENCH_MAX_IDS, as { id = ..., phone = ... }.
function load_ids()
  local path = os.getenv("BENCH_IDS")
  local max = tonumber(os.getenv("BENCH_MAX_IDS") or "200000")
  local list = {}
  local file = assert(io.open(path, "r"), "cannot open the ids file " .. tostring(path))
  for line in file:lines() do
    local id, phone = line:match("^(%S+) (%S+)")
    if id then
      list[#list + 1] = { id = id, phone = phone }
      if #list >= max then break end
    end
  end
  file:close()
  assert(#list > 0, "no ids in " .. path)
  return list
end

-- Writes what each thread kept in its global `lines` to the file BENCH_LINES_OUT.
local function write_lines()
  local path = os.getenv("BENCH_LINES_OUT")
  if not path then return end
  local out = assert(io.open(path, "w"))
  for _, thread in ipairs(all_threads) do
    local lines = thread:get("lines")
    if lines then
      for _, line in ipairs(lines) do out:write(line, "\n") end
    end
  end
  out:close()
end

function done(summary, latency, requests)
  write_lines()
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
