-- wrk script of the benchmark: one request, repeated; latency percentiles as JSON.
-- Arguments (after --): method, body ("" for none), then headers as "Name: value".
-- With WRK_POOL set to a file of "path<TAB>cookie" lines, request n (counted from
-- WRK_POOL_OFFSET, over all threads) is line n's path with line n's cookie: each
-- request is another user's (the offer acceptance: one customer admin each).

local threads = {}
local pool = nil
local index = 0
local stride = 1

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = args[1]
  if args[2] ~= nil and args[2] ~= "" then
    wrk.body = args[2]
  end
  for i = 3, #args do
    local name, value = string.match(args[i], "^([^:]+):%s*(.*)$")
    if name then
      wrk.headers[name] = value
    end
  end
  local file = os.getenv("WRK_POOL")
  if file ~= nil and file ~= "" then
    pool = {}
    for line in io.lines(file) do
      local path, cookie = string.match(line, "^([^\t]+)\t(.*)$")
      if path then
        table.insert(pool, {path = path, cookie = cookie})
      end
    end
    stride = tonumber(os.getenv("WRK_THREADS") or "1")
    index = tonumber(os.getenv("WRK_POOL_OFFSET") or "0") + (thread_index or 0)
  end
end

function request()
  if pool == nil then
    return wrk.format()
  end
  local entry = pool[(index % #pool) + 1]
  index = index + stride
  wrk.headers["Cookie"] = entry.cookie
  return wrk.format(nil, entry.path)
end

function done(summary, latency, requests)
  local e = summary.errors
  -- The latency at the middle of each percent of requests (0.5th, 1.5th, ... 99.5th
  -- percentile): runs are pooled from these (bench/run.py, pooled).
  local quantiles = {}
  for i = 0, 99 do
    table.insert(quantiles, string.format("%d", latency:percentile(i + 0.5)))
  end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"mean":%.1f,"max":%d},' ..
    '"quantiles_us":[%s]}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max, table.concat(quantiles, ",")))
end
