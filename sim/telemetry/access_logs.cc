#include "sim/telemetry/access_logs.h"

#include <algorithm>
#include <chrono>
#include <memory>

namespace meshsim::sim::telemetry {

namespace {

std::string prefixOf(const proxy::Proxy& p) {
  const auto& w = p.config().workload;
  return w == nullptr ? std::string("[") + p.config().node_id + "] "
                      : "[" + w->namespace_name + "/" + w->pod + "] ";
}

}  // namespace

void enableAccessLogs(ProxyList proxies, size_t capacity,
                      std::function<void(const std::string& line)> on_line) {
  auto sink = on_line
                  ? std::make_shared<std::function<void(const std::string&)>>(std::move(on_line))
                  : nullptr;
  for (const auto& p : proxies) {
    p->accessLog().enable(capacity);
    if (sink != nullptr) {
      p->accessLog().setCallback(
          [sink, prefix = prefixOf(*p)](const proxy::stats::AccessLogEntry& e) {
            (*sink)(prefix + proxy::stats::formatAccessLogLine(e));
          });
    }
  }
}

std::vector<MeshAccessLogEntry> accessLogEntries(ProxyList proxies) {
  std::vector<MeshAccessLogEntry> out;
  for (const auto& p : proxies) {
    const auto& w = p->config().workload;
    for (const auto& e : p->accessLog().entries()) {
      out.push_back(MeshAccessLogEntry{w == nullptr ? std::string() : w->namespace_name,
                                       w == nullptr ? p->config().node_id : w->pod, &e});
    }
  }
  const auto end = [](const MeshAccessLogEntry& e) {
    return e.entry->start_time + std::chrono::milliseconds(e.entry->duration_ms);
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const auto& a, const auto& b) { return end(a) < end(b); });
  return out;
}

std::string formatMeshAccessLogLine(const MeshAccessLogEntry& entry) {
  return "[" + entry.namespace_name + "/" + entry.pod + "] " +
         proxy::stats::formatAccessLogLine(*entry.entry);
}

}  // namespace meshsim::sim::telemetry
