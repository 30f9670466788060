-- A plain GET for wrk (scripts/bench.py), optionally with a Cookie header:
--   wrk ... -s get.lua URL [-- "name=value; name2=value2"]
function init(args)
  if args[1] and args[1] ~= "" then wrk.headers["Cookie"] = args[1] end
  req = wrk.format() -- what wrk's default request() sends (it stays a static request)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_us=%d p99_us=%d requests=%d non2xx3xx=%d sock_errors=%d wrapped=0\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
