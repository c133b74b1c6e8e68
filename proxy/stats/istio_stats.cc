#include "proxy/stats/istio_stats.h"

#include <algorithm>

namespace meshsim::proxy::stats {

namespace {

struct FlagName {
  ResponseFlag flag;
  const char* name;
};
constexpr FlagName kFlagNames[] = {
    {ResponseFlag::FailedLocalHealthCheck, "LH"},
    {ResponseFlag::NoHealthyUpstream, "UH"},
    {ResponseFlag::UpstreamRequestTimeout, "UT"},
    {ResponseFlag::LocalReset, "LR"},
    {ResponseFlag::UpstreamRemoteReset, "UR"},
    {ResponseFlag::UpstreamConnectionFailure, "UF"},
    {ResponseFlag::UpstreamConnectionTermination, "UC"},
    {ResponseFlag::UpstreamOverflow, "UO"},
    {ResponseFlag::NoRouteFound, "NR"},
    {ResponseFlag::DelayInjected, "DI"},
    {ResponseFlag::FaultInjected, "FI"},
    {ResponseFlag::RateLimited, "RL"},
    {ResponseFlag::UpstreamRetryLimitExceeded, "URX"},
    {ResponseFlag::NoClusterFound, "NC"},
};

const std::string kUnknown = "unknown";

}  // namespace

std::string responseFlagsToString(ResponseFlags flags) {
  std::string out;
  for (const auto& f : kFlagNames) {
    if (hasFlag(flags, f.flag)) {
      if (!out.empty()) {
        out += ',';
      }
      out += f.name;
    }
  }
  return out.empty() ? "-" : out;
}

bool parseResponseFlags(std::string_view text, ResponseFlags* out) {
  *out = 0;
  if (text == "-") {
    return true;
  }
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view name = text.substr(0, comma);
    const auto* it = std::find_if(std::begin(kFlagNames), std::end(kFlagNames),
                                  [&](const FlagName& f) { return name == f.name; });
    if (it == std::end(kFlagNames)) {
      return false;
    }
    *out = *out | it->flag;
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return true;
}

size_t IstioStats::KeyHash::operator()(const Key& k) const {
  size_t h = std::hash<const void*>{}(k.peer);
  h = h * 31 + std::hash<const void*>{}(k.service);
  h = h * 31 + static_cast<size_t>(k.response_code);
  h = h * 31 + k.flags;
  h = h * 31 + static_cast<size_t>(k.reporter) * 2 + (k.mtls ? 1 : 0);
  return h;
}

void IstioStats::record(const RequestRecord& r) {
  const Key key{r.peer.get(), r.service.get(), r.response_code, r.flags, r.reporter, r.mtls};
  auto [it, inserted] = index_.try_emplace(key, entries_.size());
  if (inserted) {
    entries_.push_back(Entry{r});
  }
  Entry& e = entries_[it->second];
  ++e.count;
  ++total_;
  e.sum_ms += r.duration_ms;
  const auto bucket = std::lower_bound(kDurationBuckets.begin(), kDurationBuckets.end(),
                                       static_cast<double>(r.duration_ms));
  if (bucket != kDurationBuckets.end()) {
    ++e.buckets[bucket - kDurationBuckets.begin()];
  }
}

Labels IstioStats::labelsFor(const RequestRecord& r) const {
  // Which side is local depends on the reporter: a source reporter is the client side.
  const config::WorkloadInfo* local = local_.get();
  const config::WorkloadInfo* peer = r.peer.get();
  const bool source_is_local = r.reporter == Reporter::Source;
  const config::WorkloadInfo* src = source_is_local ? local : peer;
  const config::WorkloadInfo* dst = source_is_local ? peer : local;

  // Local workloads missing a label report "" (current Istio); unknown peers report "unknown".
  const auto field = [&](const config::WorkloadInfo* w, bool is_local,
                         std::string config::WorkloadInfo::*member) -> std::string {
    if (w == nullptr) {
      return kUnknown;
    }
    const std::string& v = w->*member;
    if (v.empty()) {
      return is_local ? std::string() : kUnknown;
    }
    return v;
  };
  const bool src_local = source_is_local;
  const bool dst_local = !source_is_local;
  // A peer's principal is known only over mTLS.
  const auto principal = [&](const config::WorkloadInfo* w, bool is_local) -> std::string {
    if (w == nullptr || (!is_local && !r.mtls) || w->principal.empty()) {
      return kUnknown;
    }
    return w->principal;
  };

  const config::ServiceInfo* svc = r.service.get();
  std::string service_namespace = kUnknown;
  if (svc != nullptr) {
    service_namespace = svc->namespace_name;
  } else if (r.reporter == Reporter::Source && peer != nullptr) {
    service_namespace = peer->namespace_name;
  }

  Labels l;
  l.reserve(25);
  l.emplace_back("reporter", source_is_local ? "source" : "destination");
  l.emplace_back("source_workload", field(src, src_local, &config::WorkloadInfo::workload));
  l.emplace_back("source_canonical_service",
                 field(src, src_local, &config::WorkloadInfo::canonical_service));
  l.emplace_back("source_canonical_revision",
                 field(src, src_local, &config::WorkloadInfo::canonical_revision));
  l.emplace_back("source_workload_namespace",
                 field(src, src_local, &config::WorkloadInfo::namespace_name));
  l.emplace_back("source_principal", principal(src, src_local));
  l.emplace_back("source_app", field(src, src_local, &config::WorkloadInfo::app));
  l.emplace_back("source_version", field(src, src_local, &config::WorkloadInfo::version));
  l.emplace_back("source_cluster", field(src, src_local, &config::WorkloadInfo::cluster_id));
  l.emplace_back("destination_workload", field(dst, dst_local, &config::WorkloadInfo::workload));
  l.emplace_back("destination_workload_namespace",
                 field(dst, dst_local, &config::WorkloadInfo::namespace_name));
  l.emplace_back("destination_principal", principal(dst, dst_local));
  l.emplace_back("destination_app", field(dst, dst_local, &config::WorkloadInfo::app));
  l.emplace_back("destination_version", field(dst, dst_local, &config::WorkloadInfo::version));
  l.emplace_back("destination_service", svc != nullptr ? svc->host : kUnknown);
  l.emplace_back("destination_canonical_service",
                 field(dst, dst_local, &config::WorkloadInfo::canonical_service));
  l.emplace_back("destination_canonical_revision",
                 field(dst, dst_local, &config::WorkloadInfo::canonical_revision));
  l.emplace_back("destination_service_name", svc != nullptr ? svc->name : kUnknown);
  l.emplace_back("destination_service_namespace", service_namespace);
  l.emplace_back("destination_cluster", field(dst, dst_local, &config::WorkloadInfo::cluster_id));
  l.emplace_back("request_protocol", "http");
  l.emplace_back("response_code", std::to_string(r.response_code));
  l.emplace_back("grpc_response_status", "");
  l.emplace_back("response_flags", responseFlagsToString(r.flags));
  l.emplace_back("connection_security_policy",
                 source_is_local ? "unknown" : (r.mtls ? "mutual_tls" : "none"));
  return l;
}

std::vector<CounterSample> IstioStats::requestsTotal() const {
  std::vector<CounterSample> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) {
    out.push_back({labelsFor(e.exemplar), e.count});
  }
  return out;
}

std::vector<HistogramSample> IstioStats::requestDuration() const {
  std::vector<HistogramSample> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) {
    HistogramSample h{labelsFor(e.exemplar), {}, static_cast<double>(e.sum_ms), e.count};
    uint64_t running = 0;
    for (size_t i = 0; i < e.buckets.size(); ++i) {
      running += e.buckets[i];
      h.cumulative[i] = running;
    }
    h.cumulative.back() = e.count;
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace meshsim::proxy::stats
