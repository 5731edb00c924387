-- wrk script (the URL is on the command line): POSTs one body (BODY_FILE) with the headers of
-- MODE: json, the JSON API with a bearer token; soap, what @adobe/acc-js-sdk 1.2.0 sends for
-- nms:rtEvent#PushEvent. Prints one machine-readable line at the end (latencies in
-- microseconds, from wrk's own histogram of every request).
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
local token = os.getenv("TOKEN")
if os.getenv("MODE") == "soap" then
  wrk.headers["Content-Type"] = "application/soap+xml;charset=UTF-8"
  wrk.headers["SoapAction"] = "nms:rtEvent#PushEvent"
  wrk.headers["X-Session-Token"] = token
  wrk.headers["X-Security-Token"] = ""
  wrk.headers["Cookie"] = "__sessiontoken=" .. token
  wrk.headers["User-Agent"] = "@adobe/acc-js-sdk/1.2.0 ACC Javascript SDK"
else
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK requests=%d duration_us=%d non2xx=%d sockerr=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
