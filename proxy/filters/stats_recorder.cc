#include "proxy/filters/stats_recorder.h"

#include <chrono>
#include <utility>

namespace meshsim::proxy::filters {

void StatsRecorder::record(StreamInfo& info, const http::Response& response,
                           stats::ResponseFlags flags, MonotonicTime now) {
  record(info, &response, response.status, flags, now);
}

void StatsRecorder::recordCancelled(StreamInfo& info, stats::ResponseFlags flags,
                                    MonotonicTime now) {
  record(info, nullptr, 0, flags, now);
}

void StatsRecorder::record(StreamInfo& info, const http::Response* response, int code,
                           stats::ResponseFlags flags, MonotonicTime now) {
  stats::RequestRecord record;
  record.reporter = info.outbound ? stats::Reporter::Source : stats::Reporter::Destination;
  record.peer = info.outbound ? std::move(info.upstream_workload) : info.downstream.peer;
  record.service = std::move(info.service);
  record.response_code = code;
  record.flags = flags;
  // The hop whose peer identity the labels describe: upstream for a client-side proxy.
  record.mtls = info.outbound ? info.upstream_mtls : info.downstream.mtls;
  record.duration_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now - info.start).count());
  record.request_bytes = info.request_bytes;
  // As sent, with our header changes.
  record.response_bytes = response == nullptr ? 0 : stats::wireSize(*response);
  stats_.record(record);
  if (info.log != nullptr) {
    if (response != nullptr) {
      stats::completeAccessLogEntry(*info.log, *response, flags, record.duration_ms);
    } else {
      http::Response none;
      none.status = 0;
      stats::completeAccessLogEntry(*info.log, none, flags, record.duration_ms);
    }
    access_log_.log(std::move(*info.log));
  }
}

}  // namespace meshsim::proxy::filters
