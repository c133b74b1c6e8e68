#include "proxy/stats/access_log.h"

#include <chrono>
#include <cstdio>

namespace meshsim::proxy::stats {

namespace {

// Appends `value`, or "-" when it is empty (Envoy's rule for unset operators).
void appendOrDash(std::string& out, std::string_view value) {
  if (value.empty()) {
    out += '-';
  } else {
    out += value;
  }
}

void appendQuoted(std::string& out, std::string_view value) {
  out += '"';
  appendOrDash(out, value);
  out += '"';
}

// The civil date of `days` after 1970-01-01 (Howard Hinnant's days_from_civil, inverted), so
// that long virtual runs print correct dates without the C library's time zone machinery.
void civilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2 ? 1 : 0);
}

}  // namespace

std::string_view responseCodeDetailsFor(ResponseFlags flags) {
  // The first flag that names the cause, in Envoy's enum order; URX and DI only qualify one.
  struct Detail {
    ResponseFlag flag;
    std::string_view details;
  };
  static constexpr Detail kDetails[] = {
      {ResponseFlag::NoHealthyUpstream, "no_healthy_upstream"},
      {ResponseFlag::UpstreamRequestTimeout, "upstream_response_timeout"},
      {ResponseFlag::LocalReset, "upstream_reset_before_response_started{local_reset}"},
      {ResponseFlag::UpstreamRemoteReset, "upstream_reset_before_response_started{remote_reset}"},
      {ResponseFlag::UpstreamConnectionFailure,
       "upstream_reset_before_response_started{connection_failure}"},
      {ResponseFlag::UpstreamConnectionTermination,
       "upstream_reset_before_response_started{connection_termination}"},
      {ResponseFlag::UpstreamOverflow, "upstream_reset_before_response_started{overflow}"},
      {ResponseFlag::NoRouteFound, "route_not_found"},
      {ResponseFlag::FaultInjected, "fault_filter_abort"},
      {ResponseFlag::RateLimited, "local_rate_limited"},
      {ResponseFlag::DownstreamConnectionTermination, "downstream_remote_disconnect"},
      {ResponseFlag::NoClusterFound, "cluster_not_found"},
  };
  for (const auto& d : kDetails) {
    if (hasFlag(flags, d.flag)) {
      return d.details;
    }
  }
  return "via_upstream";
}

std::string formatStartTime(MonotonicTime t) {
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  constexpr int64_t kMsPerDay = int64_t{86400} * 1000;
  int64_t days = ms / kMsPerDay;
  int64_t rest = ms % kMsPerDay;
  if (rest < 0) {
    rest += kMsPerDay;
    --days;
  }
  int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  civilFromDays(days, &year, &month, &day);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(year), month, day, static_cast<int>(rest / 3600000),
                static_cast<int>(rest / 60000 % 60), static_cast<int>(rest / 1000 % 60),
                static_cast<int>(rest % 1000));
  return buf;
}

std::string formatAccessLogLine(const AccessLogEntry& e) {
  std::string out;
  out.reserve(256 + e.path.size() + e.user_agent.size() + e.x_forwarded_for.size());
  out += '[';
  out += formatStartTime(e.start_time);
  out += "] \"";
  appendOrDash(out, e.method);
  out += ' ';
  appendOrDash(out, e.path);
  out += ' ';
  appendOrDash(out, e.protocol);
  out += "\" ";
  out += std::to_string(e.response_code);
  out += ' ';
  out += responseFlagsToString(e.response_flags);
  out += ' ';
  appendOrDash(out, e.response_code_details);
  out += ' ';
  appendOrDash(out, e.connection_termination_details);
  out += ' ';
  appendQuoted(out, e.upstream_transport_failure_reason);
  out += ' ';
  out += std::to_string(e.bytes_received);
  out += ' ';
  out += std::to_string(e.bytes_sent);
  out += ' ';
  out += std::to_string(e.duration_ms);
  out += ' ';
  appendOrDash(out, e.upstream_service_time);
  out += ' ';
  appendQuoted(out, e.x_forwarded_for);
  out += ' ';
  appendQuoted(out, e.user_agent);
  out += ' ';
  appendQuoted(out, e.request_id);
  out += ' ';
  appendQuoted(out, e.authority);
  out += ' ';
  appendQuoted(out, e.upstream_host);
  out += ' ';
  appendOrDash(out, e.upstream_cluster);
  out += ' ';
  appendOrDash(out, e.upstream_local_address);
  out += ' ';
  appendOrDash(out, e.downstream_local_address);
  out += ' ';
  appendOrDash(out, e.downstream_remote_address);
  out += ' ';
  appendOrDash(out, e.requested_server_name);
  out += ' ';
  appendOrDash(out, e.route_name);
  return out;
}

AccessLogEntry beginAccessLogEntry(MonotonicTime start, const http::Request& request,
                                   std::string downstream_local, std::string downstream_remote) {
  AccessLogEntry e;
  e.start_time = start;
  e.method = request.method;
  e.protocol = http::protocolName(request.protocol);
  const std::string* original_path = request.headers.get("x-envoy-original-path");
  e.path = original_path != nullptr ? *original_path : request.path;
  e.bytes_received = request.body.size();
  const auto header = [&](std::string_view name) {
    const std::string* v = request.headers.get(name);
    return v != nullptr ? *v : std::string();
  };
  e.x_forwarded_for = header("x-forwarded-for");
  e.user_agent = header("user-agent");
  e.request_id = header("x-request-id");
  e.authority = request.authority;
  e.downstream_local_address = std::move(downstream_local);
  e.downstream_remote_address = std::move(downstream_remote);
  return e;
}

void completeAccessLogEntry(AccessLogEntry& entry, const http::Response& response,
                            ResponseFlags flags, uint64_t duration_ms) {
  entry.response_code = response.status;
  entry.response_flags = flags;
  if (entry.response_code_details.empty()) {
    entry.response_code_details = std::string(responseCodeDetailsFor(flags));
  }
  entry.bytes_sent = response.bodyBytes();
  entry.duration_ms = duration_ms;
  const std::string* service_time = response.headers.get("x-envoy-upstream-service-time");
  entry.upstream_service_time = service_time != nullptr ? *service_time : std::string();
}

void AccessLog::enable(size_t capacity) {
  enabled_ = true;
  capacity_ = capacity;
  while (entries_.size() > capacity_) {
    entries_.pop_front();
    ++dropped_;
  }
}

void AccessLog::setCallback(Callback callback) {
  callback_ = std::move(callback);
  enabled_ = true;
}

void AccessLog::log(AccessLogEntry entry) {
  if (!enabled_) {
    return;
  }
  ++logged_;
  if (callback_) {
    callback_(entry);
  }
  if (capacity_ == 0) {
    return;
  }
  if (entries_.size() == capacity_) {
    entries_.pop_front();
    ++dropped_;
  }
  entries_.push_back(std::move(entry));
}

}  // namespace meshsim::proxy::stats
