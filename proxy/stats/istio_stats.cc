#include "proxy/stats/istio_stats.h"

#include <algorithm>
#include <string_view>

#include "proxy/http/codec.h"

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
    {ResponseFlag::DownstreamConnectionTermination, "DC"},
    {ResponseFlag::UpstreamRetryLimitExceeded, "URX"},
    {ResponseFlag::NoClusterFound, "NC"},
};

const std::string kUnknown = "unknown";

// Digits of `n` in decimal.
uint64_t decimalDigits(uint64_t n) {
  uint64_t digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

bool isFramingField(std::string_view name) {
  return name == "content-length" || name == "transfer-encoding";
}

// "name: value\r\n" per entry, as the codec writes them (it lower-cases names; ours already are).
uint64_t headerBytes(const http::HeaderMap& headers, bool skip_host) {
  uint64_t n = 0;
  for (const auto& [name, value] : headers) {
    if (name.empty() || isFramingField(name) || (skip_host && name == "host")) {
      continue;
    }
    n += name.size() + 2 + value.size() + 2;
  }
  return n;
}

constexpr std::string_view kContentLength = "content-length: ";
constexpr std::string_view kHttp11 = "HTTP/1.1";

}  // namespace

uint64_t wireSize(const http::Request& request) {
  return http::requestHeaderBytes(request) + request.body.size();
}

uint64_t wireSize(const http::Response& response) {
  const int status = response.status >= 100 && response.status <= 999 ? response.status : 500;
  // "HTTP/1.1 SP 200 SP reason CRLF"
  uint64_t n = kHttp11.size() + 1 + 3 + 1 + http::reasonPhrase(status).size() + 2;
  n += headerBytes(response.headers, /*skip_host=*/false);
  const bool no_body = status / 100 == 1 || status == 204 || status == 304;
  if (!no_body) {
    const uint64_t body = response.bodyBytes();
    n += kContentLength.size() + decimalDigits(body) + 2 + body;
  }
  return n + 2;
}

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

void IstioStats::Buckets::add(uint64_t value) {
  // The bounds as whole numbers: a whole value is within a bound exactly when it is within the
  // bound's integer part (0 is within 0.5, 1 is not). Compared as integers, with no conversion
  // per step of the search (three histograms per request at every proxy).
  static constexpr auto kWholeBounds = [] {
    std::array<uint64_t, kDurationBuckets.size()> bounds{};
    for (size_t i = 0; i < bounds.size(); ++i) {
      bounds[i] = static_cast<uint64_t>(kDurationBuckets[i]);
    }
    return bounds;
  }();
  // The bucket of every value up to 1000 (durations in ms and most sizes in bytes), looked up.
  static constexpr size_t kSmall = 1000;
  static constexpr auto kSmallBuckets = [] {
    std::array<uint8_t, kSmall + 1> index{};
    size_t b = 0;
    for (size_t v = 0; v <= kSmall; ++v) {
      while (kWholeBounds[b] < v) {
        ++b;
      }
      index[v] = static_cast<uint8_t>(b);
    }
    return index;
  }();
  sum += value;
  if (value <= kSmall) {
    ++counts[kSmallBuckets[value]];
    return;
  }
  // Prometheus buckets are upper-inclusive (le): 0.5 ms and 0 ms both land in le="0.5".
  const auto bucket = std::lower_bound(kWholeBounds.begin(), kWholeBounds.end(), value);
  if (bucket != kWholeBounds.end()) {
    ++counts[bucket - kWholeBounds.begin()];
  }
}

void IstioStats::record(const RequestRecord& r) {
  const Key key{r.peer.get(), r.service.get(), r.response_code, r.flags, r.reporter, r.mtls};
  // Consecutive requests usually share their labels: the last series is checked first.
  if (last_ == kNoEntry || !(key == last_key_)) {
    auto [it, inserted] = index_.try_emplace(key, entries_.size());
    if (inserted) {
      entries_.emplace_back();
      entries_.back().exemplar = r;
    }
    last_key_ = key;
    last_ = it->second;
  }
  Entry& e = entries_[last_];
  ++e.count;
  ++total_;
  e.duration_ms.add(r.duration_ms);
  e.request_bytes.add(r.request_bytes);
  e.response_bytes.add(r.response_bytes);
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

std::vector<IstioStats::Series> IstioStats::series() const {
  // Entries are keyed by interned objects, and several of them can carry the same label values
  // (the replicas of one Deployment are different peers with one workload name). Envoy keys its
  // stats by the label values, so they are one series: merge them, in first-recorded order.
  std::vector<Series> out;
  std::unordered_map<std::string, size_t> index;
  for (const auto& e : entries_) {
    Labels labels = labelsFor(e.exemplar);
    std::string key;
    for (const auto& [k, v] : labels) {
      key += v;
      key += '\0';
    }
    auto [it, inserted] = index.try_emplace(std::move(key), out.size());
    if (inserted) {
      out.push_back(Series{std::move(labels), {}});
    }
    out[it->second].entries.push_back(&e);
  }
  return out;
}

std::vector<CounterSample> IstioStats::requestsTotal() const {
  std::vector<CounterSample> out;
  for (auto& s : series()) {
    uint64_t count = 0;
    for (const Entry* e : s.entries) {
      count += e->count;
    }
    out.push_back({std::move(s.labels), count});
  }
  return out;
}

std::vector<HistogramSample> IstioStats::histogram(Buckets Entry::*which) const {
  std::vector<HistogramSample> out;
  for (auto& s : series()) {
    HistogramSample h{std::move(s.labels), {}, 0, 0};
    std::array<uint64_t, kDurationBuckets.size()> counts{};
    uint64_t sum = 0;
    for (const Entry* e : s.entries) {
      const Buckets& b = e->*which;
      for (size_t i = 0; i < counts.size(); ++i) {
        counts[i] += b.counts[i];
      }
      sum += b.sum;
      h.count += e->count;
    }
    h.sum = static_cast<double>(sum);
    uint64_t running = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      running += counts[i];
      h.cumulative[i] = running;
    }
    h.cumulative.back() = h.count;
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<HistogramSample> IstioStats::requestDuration() const {
  return histogram(&Entry::duration_ms);
}

std::vector<HistogramSample> IstioStats::requestBytes() const {
  return histogram(&Entry::request_bytes);
}

std::vector<HistogramSample> IstioStats::responseBytes() const {
  return histogram(&Entry::response_bytes);
}

}  // namespace meshsim::proxy::stats
