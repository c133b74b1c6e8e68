#pragma once

// File: proxy/stats/access_log.h
//
// Envoy access logging as Istio configures it (meshConfig.accessLogFile, or the Telemetry API's
// envoy provider, with the default TEXT encoding): one line per completed request per proxy, in
// Istio's default format:
//
//   [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
//   %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
//   "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
//   %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
//   "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER%
//   %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
//   %REQUESTED_SERVER_NAME% %ROUTE_NAME%
//
// (one line; istio/istio pilot/pkg/model/telemetry_logging.go, EnvoyTextLogFormat). As in
// Envoy, a value that is not set prints as "-".
//
// Example:
//   proxy.accessLog().enable();                       // off by default: costs nothing until then
//   ... run traffic ...
//   for (const auto& e : proxy.accessLog().entries()) std::cout << formatAccessLogLine(e) << "\n";

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "proxy/event/dispatcher.h"
#include "proxy/http/message.h"
#include "proxy/stats/response_flags.h"

namespace meshsim::proxy::stats {

// One completed request as one proxy saw it. Strings left empty print as "-".
struct AccessLogEntry {
  // %START_TIME%: when the proxy received the request, on its dispatcher's clock. Printed as the
  // UTC time that long after 1970-01-01T00:00:00Z: virtual time 1.5 s is 1970-01-01T00:00:01.500Z.
  MonotonicTime start_time{};
  std::string method;                 // %REQ(:METHOD)%
  std::string path;                   // %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%: before any rewrite
  std::string protocol = "HTTP/1.1";  // %PROTOCOL%
  int response_code = 0;              // %RESPONSE_CODE%; 0: no response was sent
  ResponseFlags response_flags = 0;   // %RESPONSE_FLAGS%
  // %RESPONSE_CODE_DETAILS%: "via_upstream", or why the proxy answered itself; see
  // responseCodeDetailsFor().
  std::string response_code_details;
  std::string connection_termination_details;     // %CONNECTION_TERMINATION_DETAILS%
  std::string upstream_transport_failure_reason;  // %UPSTREAM_TRANSPORT_FAILURE_REASON%
  uint64_t bytes_received = 0;                    // %BYTES_RECEIVED%: request body bytes
  uint64_t bytes_sent = 0;                        // %BYTES_SENT%: response body bytes
  uint64_t duration_ms = 0;                       // %DURATION%: start to last byte sent, in ms
  // %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%: empty for local replies.
  std::string upstream_service_time;
  std::string x_forwarded_for;  // %REQ(X-FORWARDED-FOR)%, as the proxy forwarded it
  std::string user_agent;       // %REQ(USER-AGENT)%
  std::string request_id;       // %REQ(X-REQUEST-ID)%, as the proxy forwarded it
  std::string authority;        // %REQ(:AUTHORITY)%
  // %UPSTREAM_HOST%: the endpoint picked, "10.1.0.7:8080"; empty when none was.
  std::string upstream_host;
  // %UPSTREAM_CLUSTER%: "outbound|80||hello.default.svc.cluster.local", "inbound|8080||".
  std::string upstream_cluster;
  std::string upstream_local_address;     // %UPSTREAM_LOCAL_ADDRESS%
  std::string downstream_local_address;   // %DOWNSTREAM_LOCAL_ADDRESS%: the listener's address
  std::string downstream_remote_address;  // %DOWNSTREAM_REMOTE_ADDRESS%: the peer's address
  // %REQUESTED_SERVER_NAME%: the TLS SNI; Istio mTLS uses "outbound_.80_._.<service FQDN>".
  std::string requested_server_name;
  std::string route_name;  // %ROUTE_NAME%: the matched route's name ("default" for inbound)
};

// Envoy's %RESPONSE_CODE_DETAILS% for a response the proxy produced with `flags`, or
// "via_upstream" when `flags` is 0 (a response from upstream). Local replies without a flag
// (direct responses, redirects) must set their own details ("direct_response").
std::string_view responseCodeDetailsFor(ResponseFlags flags);

// %START_TIME%: "1970-01-01T00:00:01.500Z" for a time 1.5 s after the clock's epoch.
std::string formatStartTime(MonotonicTime t);

// The entry in Istio's default text format, without the trailing newline.
std::string formatAccessLogLine(const AccessLogEntry& entry);

// Starts the entry of a request that a listener at `downstream_local` received from
// `downstream_remote` at `start`. Reads the request as the proxy forwards it (after its own
// x-forwarded-for and x-request-id changes, before any rewrite of the path), as Envoy's
// %REQ(...)% operators read the downstream headers at log time.
AccessLogEntry beginAccessLogEntry(MonotonicTime start, const http::Request& request,
                                   std::string downstream_local, std::string downstream_remote);
// Completes `entry` with the response sent downstream: code, flags, details (from
// responseCodeDetailsFor() unless already set), body bytes sent, duration and the
// x-envoy-upstream-service-time header.
void completeAccessLogEntry(AccessLogEntry& entry, const http::Response& response,
                            ResponseFlags flags, uint64_t duration_ms);

// The access log of one proxy: off until enabled, then either kept in memory (the most recent
// `capacity` entries) or handed to a callback as each request completes, or both.
class AccessLog {
public:
  // The default number of entries kept; older ones are dropped (and counted).
  static constexpr size_t kDefaultCapacity = 10000;
  using Callback = std::function<void(const AccessLogEntry&)>;

  // Starts logging; keeps the most recent `capacity` entries (0: keeps none, for a log that only
  // feeds a callback).
  void enable(size_t capacity = kDefaultCapacity);
  // Starts logging and calls `callback` with every entry, synchronously, when its request
  // completes, in completion order. Keeps entries as enable() set (none if it was not called).
  void setCallback(Callback callback);
  // Stops logging; keeps what was recorded.
  void disable() { enabled_ = false; }
  // Whether log() records anything. The proxy builds entries only when this is true, so a
  // disabled log costs one branch per request.
  bool enabled() const { return enabled_; }

  // Records a completed request. A no-op when disabled.
  void log(AccessLogEntry entry);

  // The kept entries, oldest first.
  const std::deque<AccessLogEntry>& entries() const { return entries_; }
  // Entries logged since the log was created, kept or not.
  uint64_t logged() const { return logged_; }
  // Entries dropped because the buffer was full.
  uint64_t dropped() const { return dropped_; }
  void clear() { entries_.clear(); }

private:
  bool enabled_ = false;
  size_t capacity_ = 0;
  Callback callback_;
  std::deque<AccessLogEntry> entries_;
  uint64_t logged_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace meshsim::proxy::stats
