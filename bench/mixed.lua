-- wrk script for the memory run: requests that do not grow the world, in turn
--   GET <return path> (200), POST <duplicate body> (409), POST <invalid body> (422);
-- prints one line "MIXED {json}" when wrk ends (serve_load.py memory stops it with SIGINT).
--   wrk ... -s bench/mixed.lua <url> -- <return path> <dup.json> <invalid.json> <auth header>
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

function init(args)
  local k, v = string.match(args[4], "^([^:]+):%s*(.*)$")
  local get_headers = { [k] = v }
  local post_headers = { [k] = v, ["Content-Type"] = "application/json" }
  turns = {
    wrk.format("GET", args[1], get_headers),
    wrk.format("POST", "/returns", post_headers, read_file(args[2])),
    wrk.format("POST", "/returns", post_headers, read_file(args[3])),
  }
  turn, unexpected = 0, 0
end

function request()
  turn = turn + 1
  return turns[(turn % 3) + 1]
end

function response(status)
  if status ~= 200 and status ~= 409 and status ~= 422 then unexpected = unexpected + 1 end
end

function done(summary, latency)
  local unexpected_total = 0
  for _, t in ipairs(threads) do unexpected_total = unexpected_total + (t:get("unexpected") or 0) end
  io.write(string.format('MIXED {"requests":%d,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"unexpected":%d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, unexpected_total))
end
