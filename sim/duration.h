#pragma once

// File: sim/duration.h
//
// The one duration syntax of meshsim: scenario fields (at:, start:, latency, timeouts), Istio
// manifest fields (timeout, perTryTimeout, fixedDelay, ...) and command-line options (--at,
// --window, --scrape-interval) all read durations with parseDuration(), so the same text means
// the same everywhere. The syntax is Go's time.ParseDuration, which Istio uses for its duration
// fields and whose units PromQL's durations share: a decimal number and a unit, "250ms", "1.5s",
// "30m", "1h", optionally several in a row ("1h30m", "1m30.5s"). Units: ns, us (or µs), ms, s, m,
// h. A bare "0" is zero. Negative durations are refused.

#include <chrono>
#include <string_view>

#include "proxy/core/status.h"

namespace meshsim::sim {

// Parses `text` (surrounding spaces allowed). The error reads "expected a duration like 250ms,
// 1.5s or 2m, got "TEXT"" or names a duration too long to hold (over about 292 years).
StatusOr<std::chrono::nanoseconds> parseDuration(std::string_view text);

}  // namespace meshsim::sim
