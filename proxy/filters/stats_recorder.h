#pragma once

// File: proxy/filters/stats_recorder.h
//
// What a proxy records when a stream ends: one request in its Istio standard metrics (what
// Istio's istio.stats filter reports) and, when enabled, one access log entry. Istio places
// istio.stats after CORS and before the router, but it records at the end of every stream,
// whichever filter answered; so the connection manager calls the recorder for every request,
// local replies included.

#include "proxy/filters/filter.h"

namespace meshsim::proxy::filters {

class StatsRecorder {
public:
  StatsRecorder(stats::IstioStats& stats, stats::AccessLog& access_log)
      : stats_(stats), access_log_(access_log) {}

  // A stream answered with `response` (as sent downstream) and `flags`, at `now`. Moves the
  // service, peer and log entry out of `info`.
  void record(StreamInfo& info, const http::Response& response, stats::ResponseFlags flags,
              MonotonicTime now);
  // A stream whose client went away before the answer: response code 0, no response bytes.
  void recordCancelled(StreamInfo& info, stats::ResponseFlags flags, MonotonicTime now);

private:
  void record(StreamInfo& info, const http::Response* response, int code,
              stats::ResponseFlags flags, MonotonicTime now);

  stats::IstioStats& stats_;
  stats::AccessLog& access_log_;
};

}  // namespace meshsim::proxy::filters
