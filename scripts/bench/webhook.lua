-- Distinct webhook deliveries for wrk (scripts/bench.py).
--   wrk ... -s webhook.lua URL -- POOL_FILE THREADS
-- POOL_FILE holds one pre-signed delivery a line: "signature<TAB>timestamp<TAB>body".
-- Thread k takes lines k, k+THREADS, k+2*THREADS, ... and formats them once in init(), so
-- every request carries an execution_id no other request had. A thread that runs out of
-- lines starts over (the bodies are then duplicates); done() reports how often that happened.
local threads, count = {}, 0

function setup(thread)
  thread:set("tid", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  reqs, n, i, wrapped = {}, 0, 0, 0
  local k = 0
  for line in io.lines(path) do
    if k % nthreads == tid then
      local sig, ts, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      n = n + 1
      reqs[n] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/json",
        ["x-webhook-signature"] = sig,
        ["x-webhook-timestamp"] = ts,
      }, body)
    end
    k = k + 1
  end
end

function request()
  i = i + 1
  if i > n then
    i = 1
    wrapped = wrapped + 1
  end
  return reqs[i]
end

function done(summary, latency, requests)
  local wraps = 0
  for _, t in ipairs(threads) do wraps = wraps + t:get("wrapped") end
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_us=%d p99_us=%d requests=%d non2xx3xx=%d sock_errors=%d wrapped=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, wraps))
end
