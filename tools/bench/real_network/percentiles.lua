-- wrk hook: prints one machine-readable line with the request count and latency percentiles
-- (microseconds) for ./run to parse. Non-2xx/3xx answers count as errors.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d errors=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d\n",
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
