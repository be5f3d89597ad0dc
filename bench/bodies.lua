-- wrk script for bench/tail.py: POST one fresh body per request (a .jsonl, one body a line),
-- then print one line "TAIL {json}" with requests/s, p50/p99/max latency and non-2xx count.
--   wrk ... -s bench/bodies.lua <url>/returns -- <bodies.jsonl> <auth header>
local threads = {}
local bodies, next_body = {}, 1
non2xx = 0 -- global: done() reads it from each thread
local headers = { ["Content-Type"] = "application/json" }

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(bodies, line) end
  end
  local k, v = string.match(args[2], "^([^:]+):%s*(.*)$")
  headers[k] = v
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, headers, body)
end

function response(status)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("non2xx") end
  io.write(string.format(
    'TAIL {"requests": %d, "rps": %.0f, "p50_ms": %.1f, "p99_ms": %.1f, "max_ms": %.1f, "non2xx": %d}\n',
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, failed))
end
