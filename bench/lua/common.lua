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

-- The ids file ("sessionId phoneNumber" per line, at most BENCH_MAX_IDS lines) as
-- { count = n, id = function(i), phone = function(i) }. The lines are kept packed in two
-- strings, with an array of end offsets each, not as a table per line: a heap of hundreds of
-- thousands of small objects made LuaJIT's collector stop a wrk thread for 100 to 180 ms at a
-- time, which wrk counts as latency of the server.
function load_ids()
  local path = os.getenv("BENCH_IDS")
  local max = tonumber(os.getenv("BENCH_MAX_IDS") or "200000")
  local ids, phones, id_end, phone_end = {}, {}, {}, {}
  local id_len, phone_len = 0, 0
  local file = assert(io.open(path, "r"), "cannot open the ids file " .. tostring(path))
  for line in file:lines() do
    local id, phone = line:match("^(%S+) (%S+)")
    if id then
      local n = #ids + 1
      ids[n], phones[n] = id, phone
      id_len, phone_len = id_len + #id, phone_len + #phone
      id_end[n], phone_end[n] = id_len, phone_len
      if n >= max then break end
    end
  end
  file:close()
  local count = #ids
  assert(count > 0, "no ids in " .. path)
  local packed_ids, packed_phones = table.concat(ids), table.concat(phones)
  ids, phones = nil, nil
  collectgarbage() -- the lines read are garbage now: collected before the load starts
  local function slice(packed, ends, i)
    return packed:sub(i > 1 and ends[i - 1] + 1 or 1, ends[i])
  end
  return {
    count = count,
    id = function(i) return slice(packed_ids, id_end, i) end,
    phone = function(i) return slice(packed_phones, phone_end, i) end,
  }
end

-- The requests of a scenario, `build(i)` for every i from 1 to `count`, built once in init.
-- Built at each call from one of hundreds of thousands of distinct ids, every request is a
-- new string that LuaJIT interns and later collects, and those collections stopped a wrk
-- thread for up to 20 ms at a time, counted as latency of the server (asking as often for ids
-- of sessions that do not exist, which costs the server little, gave the same tails). Handed
-- out as they are, prebuilt requests allocate nothing while the load runs.
function prebuild(count, build)
  local built = {}
  for i = 1, count do built[i] = build(i) end
  collectgarbage()
  return built
end

-- What a thread keeps for BENCH_LINES_OUT: `keep_line` gathers lines in `line_chunk` and
-- joins every thousand into one string of `lines`, so that the heap stays a few large
-- strings however long the run (see load_ids).
lines = {}
line_chunk = {}
function keep_line(line)
  line_chunk[#line_chunk + 1] = line
  if #line_chunk >= 1000 then
    lines[#lines + 1] = table.concat(line_chunk, "\n")
    line_chunk = {}
  end
end

-- Writes what each thread kept (its globals `lines` and `line_chunk`) to BENCH_LINES_OUT.
local function write_lines()
  local path = os.getenv("BENCH_LINES_OUT")
  if not path then return end
  local out = assert(io.open(path, "w"))
  for _, thread in ipairs(all_threads) do
    for _, name in ipairs({ "lines", "line_chunk" }) do
      local kept = thread:get(name)
      if kept then
        for _, text in ipairs(kept) do out:write(text, "\n") end
      end
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
