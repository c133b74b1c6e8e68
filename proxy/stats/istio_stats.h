#pragma once

// File: proxy/stats/istio_stats.h
//
// Istio's standard HTTP metrics as one proxy records them: istio_requests_total and the
// histograms istio_request_duration_milliseconds, istio_request_bytes and istio_response_bytes,
// with the standard label set. Recording a request is one hash lookup on a small key of interned
// pointers and integers; label strings are produced only when the metrics are read (exposition,
// queries). prometheus.h renders them; wireSize() estimates the byte sizes the histograms take.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/http/message.h"
#include "proxy/stats/response_flags.h"

namespace meshsim::proxy::stats {

enum class Reporter : uint8_t { Source, Destination };

// Istio's default histogram buckets (Envoy defaults); +Inf is implicit. All three histograms use
// them: milliseconds for the duration, bytes for the sizes.
inline constexpr std::array<double, 19> kDurationBuckets = {
    0.5,  1,    5,     10,    25,    50,     100,    250,     500,    1000,
    2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000};

// One completed downstream request, as the stats filter sees it at access-log time.
struct RequestRecord {
  Reporter reporter = Reporter::Source;
  // The other workload: the destination for reporter=source (from endpoint metadata), the
  // source for reporter=destination (from the peer's metadata). Null: "unknown".
  config::WorkloadInfoConstSharedPtr peer;
  // The selected cluster's service; null when no cluster was selected ("unknown").
  config::ServiceInfoConstSharedPtr service;
  int response_code = 0;
  ResponseFlags flags = 0;
  bool mtls = false;
  // Request start to last byte sent downstream, in whole milliseconds (Istio truncates).
  uint64_t duration_ms = 0;
  // Downstream wire bytes of the request as received and of the response as sent (headers and
  // body, as HTTP/1.1 frames them; see wireSize()).
  uint64_t request_bytes = 0;
  uint64_t response_bytes = 0;
};

// The size of `request` on the wire as HTTP/1.1 frames it, the same number of bytes
// http::serializeRequest() writes: request line, a host field from `authority`, every header
// entry as "name: value\r\n" (host, content-length and transfer-encoding entries are replaced
// by the framing the serializer writes), a content-length field when the body is non-empty or
// the method is POST, PUT or PATCH, the empty line and the body. Allocates nothing.
uint64_t wireSize(const http::Request& request);
// As wireSize(const http::Request&), for a response: the status line with its reason phrase,
// the header entries, a content-length field (not for 1xx, 204 and 304, which have no body)
// and the body; what http::serializeResponse() writes.
uint64_t wireSize(const http::Response& response);

using Labels = std::vector<std::pair<std::string, std::string>>;

struct CounterSample {
  Labels labels;
  uint64_t value = 0;
};
struct HistogramSample {
  Labels labels;
  // Cumulative counts per bucket of kDurationBuckets, then +Inf (== count). The same bounds
  // serve every histogram (see kDurationBuckets).
  std::array<uint64_t, kDurationBuckets.size() + 1> cumulative{};
  double sum = 0;
  uint64_t count = 0;
};

class IstioStats {
public:
  // `local` is the workload this proxy belongs to.
  explicit IstioStats(config::WorkloadInfoConstSharedPtr local) : local_(std::move(local)) {}

  void record(const RequestRecord& r);

  // Every istio_requests_total series, in first-recorded order (deterministic for a
  // deterministic run), with labels in Istio's emission order. Each label set appears once:
  // requests of different peers with the same label values (replicas of one Deployment) are
  // one series, as in Envoy.
  std::vector<CounterSample> requestsTotal() const;
  // The histograms, series for series in the same order as requestsTotal().
  std::vector<HistogramSample> requestDuration() const;
  std::vector<HistogramSample> requestBytes() const;
  std::vector<HistogramSample> responseBytes() const;

  // Total of all istio_requests_total series; cheap.
  uint64_t totalRequests() const { return total_; }

  // The standard label set for `r` as this proxy reports it.
  Labels labelsFor(const RequestRecord& r) const;

private:
  struct Key {
    const config::WorkloadInfo* peer;
    const config::ServiceInfo* service;
    int response_code;
    ResponseFlags flags;
    Reporter reporter;
    bool mtls;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  // One histogram's observations: counts per bucket (non-cumulative; values above the last
  // bound are only in the entry's count) and the sum.
  struct Buckets {
    std::array<uint64_t, kDurationBuckets.size()> counts{};
    uint64_t sum = 0;
    void add(uint64_t value);
  };
  struct Entry {
    RequestRecord exemplar;  // keeps the interned peer/service alive
    uint64_t count = 0;
    Buckets duration_ms;
    Buckets request_bytes;
    Buckets response_bytes;
  };

  // Entries with the same label values, which are one series.
  struct Series {
    Labels labels;
    std::vector<const Entry*> entries;
  };
  std::vector<Series> series() const;
  std::vector<HistogramSample> histogram(Buckets Entry::*which) const;

  config::WorkloadInfoConstSharedPtr local_;
  std::unordered_map<Key, size_t, KeyHash> index_;
  // The entry of the last record() and its key (entries are never removed).
  static constexpr size_t kNoEntry = ~size_t{0};
  Key last_key_{};
  size_t last_ = kNoEntry;
  std::vector<Entry> entries_;
  uint64_t total_ = 0;
};

}  // namespace meshsim::proxy::stats
