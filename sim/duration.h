#pragma once

// File: sim/duration.h
//
// The duration syntax of meshsim: scenario fields (at:, start:, latency, timeouts) and
// command-line options (--at, --window, --scrape-interval) read durations with parseDuration(),
// so the same text means the same everywhere. The syntax is Go's time.ParseDuration, which Istio
// uses for its duration fields and whose units PromQL's durations share: a decimal number and a
// unit, "250ms", "1.5s", "30m", "1h", optionally several in a row ("1h30m", "1m30.5s"). Units: ns,
// us (or µs), ms, s, m, h. A bare "0" is zero. A sign is refused (negative durations make no
// sense there). Istio manifest fields (timeout, perTryTimeout, fixedDelay, MeshConfig
// connectTimeout, ...) read exactly what Istio reads, with parseGoDuration().

#include <chrono>
#include <cstdint>
#include <string_view>

#include "proxy/core/status.h"

namespace meshsim::sim {

// Parses `text` (surrounding spaces allowed). The error reads "expected a duration like 250ms,
// 1.5s or 2m, got "TEXT"" or names a duration too long to hold (over about 292 years).
StatusOr<std::chrono::nanoseconds> parseDuration(std::string_view text);

// Go's time.ParseDuration exactly, as Istio reads its duration fields (the legacy jsonpb
// unmarshal of google.protobuf.Duration, and the CEL duration() of its CRD rules): an optional
// sign ("+1s", "-1s"), then numbers with units as above; no spaces; "0" alone is zero; a duration
// over about 292 years is an error. Returns signed nanoseconds. The error reads
// "time: invalid duration "TEXT"" (or "missing unit", "unknown unit "d""), as Go's does.
StatusOr<int64_t> parseGoDuration(std::string_view text);

}  // namespace meshsim::sim
