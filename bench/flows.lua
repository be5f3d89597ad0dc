-- wrk script of bench/flows_wrk.py: a two-step flow per fresh body (create, then act on what it made),
-- with the virtual clock advanced every N requests so no rate-limit window fills. Run with -t1:
--   wrk -t1 ... -s bench/flows.lua <base url> -- <flow> <bodies> <first method> <first path>
--       <follow method> <follow path> <follow body> <advance every> <advance seconds> <counted> <header>
-- <bodies>: one line per fresh first request: its body, then (tab) keys and (tab) the follow-up's id
--   when the answer names the created thing by another key (Rye: an Amazon order id -> Rye's order id).
-- <follow path>/<follow body>: "%ID%" is replaced by the id read from the first request's answer.
-- <counted>: "all" requests, or only the "first" ones, count toward <advance every>.
-- wrk calls response() with no link to the request it answers, so each answer is recognised by
-- its body; a recognised first answer queues its follow-up, which request() sends before the next
-- first request. Out of bodies, the thread stops (done() reports it).

local ADVANCE_BODY = '{"seconds": %s}'
local threads = {}

-- What each flow's answers look like: kind ("first", "follow", "clock" or nil), whether the flow
-- succeeded, and (first answers) the id its follow-up needs.
local function clock_answer(body)
  return body:find('"elapsed_seconds"', 1, true) ~= nil
end

local RECOGNISE = {
  kibo = function(body)
    if body:find('"startIndex"', 1, true) then -- the collection an action answers with
      return "follow", body:find('"status"%s*:%s*"Authorized"') ~= nil
    end
    local id = body:match('^%s*{%s*"id"%s*:%s*"([^"]+)"')
    if id then return "first", true, id end
  end,
  rye = function(body)
    if body:find('"returnOrder"', 1, true) then
      local key = body:match('"orderId"%s*:%s*"([^"]+)"') or body:match('"amazonOrderId"%s*:%s*"([^"]+)"')
      return "first", body:find('"error"%s*:%s*null') ~= nil and key ~= nil, key
    end
    if body:find('"orderByID"', 1, true) then
      return "follow", body:find('"returns"%s*:%s*%[%s*{') ~= nil
    end
  end,
  aboutyou = function(body)
    local id = body:match('"batchRequestId"%s*:%s*"([^"]+)"')
    if not id then return nil end
    if body:find('"status"', 1, true) then return "follow", true end -- a batch's results
    return "first", true, id
  end,
}

-- Counters: globals, so done() can read them from the thread (thread:get).
non2xx, failed, unknown, clocks, firsts, follows, advances, exhausted = 0, 0, 0, 0, 0, 0, 0, 0

local recognise, bodies, follow_of = nil, {}, {}
local next_body, queue, head, tail = 1, {}, 1, 0
local first_method, first_path, follow_method, follow_path, follow_body
local advance_every, advance_request, counted_all, counted = 0, nil, true, 0
local headers = { ["Content-Type"] = "application/json" }

function setup(thread)
  table.insert(threads, thread)
end

local function read_bodies(path)
  for line in io.lines(path) do
    local body, keys, id = line:match("^([^\t]*)\t?([^\t]*)\t?([^\t]*)$")
    if #body > 0 then
      table.insert(bodies, body)
      for key in keys:gmatch("%S+") do follow_of[key] = id end
    end
  end
end

function init(args)
  recognise = assert(RECOGNISE[args[1]], "unknown flow " .. tostring(args[1]))
  read_bodies(args[2])
  first_method, first_path = args[3], args[4]
  follow_method, follow_path, follow_body = args[5], args[6], args[7]
  advance_every = tonumber(args[8])
  advance_request = wrk.format("POST", "/__admin/clock/advance", headers, ADVANCE_BODY:format(args[9]))
  counted_all = args[10] == "all"
  for i = 11, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
end

local function with_id(template, id)
  if template == "" then return nil end
  return (template:gsub("%%ID%%", function() return id end))
end

local function count_toward_advance(is_first)
  if counted_all or is_first then counted = counted + 1 end
end

function request()
  if advance_every > 0 and counted >= advance_every then
    counted = 0
    advances = advances + 1
    return advance_request
  end
  if head <= tail then
    local id = queue[head]
    queue[head], head = nil, head + 1
    count_toward_advance(false)
    follows = follows + 1
    return wrk.format(follow_method, with_id(follow_path, id), headers, with_id(follow_body, id))
  end
  if next_body > #bodies then
    exhausted = 1
    wrk.thread:stop()
    return advance_request -- the thread is stopping; should it still go out, it only moves the clock
  end
  local body = bodies[next_body]
  next_body = next_body + 1
  count_toward_advance(true)
  firsts = firsts + 1
  return wrk.format(first_method, first_path, headers, body)
end

function response(status, _, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    return
  end
  local kind, ok, id = recognise(body)
  if kind == nil then
    if clock_answer(body) then clocks = clocks + 1 else unknown = unknown + 1 end
    return
  end
  if not ok then
    failed = failed + 1
  elseif kind == "first" then
    tail = tail + 1
    queue[tail] = follow_of[id] or id
  end
end

function done(summary, latency, _)
  local total = { non2xx = 0, failed = 0, unknown = 0, clocks = 0, firsts = 0, follows = 0, advances = 0, exhausted = 0 }
  for _, thread in ipairs(threads) do
    for name in pairs(total) do total[name] = total[name] + thread:get(name) end
  end
  local errors = summary.errors
  io.write(string.format(
    'FLOWS {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "max_ms": %.1f,'
      .. ' "non2xx": %d, "failed": %d, "unknown": %d, "clock_answers": %d, "socket_errors": %d, "timeouts": %d,'
      .. ' "firsts_sent": %d, "follows_sent": %d, "advances_sent": %d, "exhausted": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, total.non2xx, total.failed, total.unknown, total.clocks,
    errors.connect + errors.read + errors.write, errors.timeout,
    total.firsts, total.follows, total.advances, total.exhausted))
end
