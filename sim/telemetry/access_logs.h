#pragma once

// File: sim/telemetry/access_logs.h
//
// The access logs of every proxy of a mesh (see proxy/stats/access_log.h for the line format):
// switching them on, streaming their lines to one sink, and reading the entries back for
// expectations. In a merged stream each line is prefixed with its proxy's pod, "[namespace/pod] ",
// like `kubectl logs --prefix`; without the prefix it is exactly Istio's default text format.
//
// Example:
//   enableAccessLogs(mesh.proxies(), AccessLog::kDefaultCapacity,
//                    [&](const std::string& line) { file << line << '\n'; });
//   ... run ...
//   for (const auto& e : accessLogEntries(mesh.proxies())) if (e.entry->response_code == 503) ...

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "proxy/stats/access_log.h"
#include "sim/telemetry/proxies.h"

namespace meshsim::sim::telemetry {

// Turns on the access log of every proxy of a mesh, keeping the last `capacity` entries of
// each. `on_line`, when set, receives every line as its request completes, prefixed with
// "[namespace/pod] ", in completion order across the whole mesh. It is called synchronously on
// the mesh's loop and must not outlive the proxies' use of it.
void enableAccessLogs(ProxyList proxies, size_t capacity,
                      std::function<void(const std::string& line)> on_line = {});

struct MeshAccessLogEntry {
  std::string namespace_name;  // of the proxy's pod
  std::string pod;
  const proxy::stats::AccessLogEntry* entry = nullptr;  // owned by the proxy's log
};

// The kept entries of every proxy, ordered by completion time (start time plus the duration in
// whole milliseconds); ties in the mesh's proxy order, then each proxy's logging order. For the
// exact order in which requests completed across the mesh, stream the lines with
// enableAccessLogs() instead. The pointers stay valid until the proxies log again.
std::vector<MeshAccessLogEntry> accessLogEntries(ProxyList proxies);

// "[namespace/pod] " + the entry's line.
std::string formatMeshAccessLogLine(const MeshAccessLogEntry& entry);

}  // namespace meshsim::sim::telemetry
