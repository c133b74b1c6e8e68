#include "proxy/stats/access_log.h"

#include <chrono>

#include <gtest/gtest.h>

namespace meshsim::proxy::stats {
namespace {

using std::chrono::milliseconds;

MonotonicTime at(Duration d) {
  return MonotonicTime(d);
}

TEST(AccessLogFormatTest, StartTimeIsTheEpochPlusVirtualTime) {
  EXPECT_EQ(formatStartTime(at(Duration{0})), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatStartTime(at(milliseconds(1500))), "1970-01-01T00:00:01.500Z");
  EXPECT_EQ(formatStartTime(at(std::chrono::microseconds(1999))), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(formatStartTime(at(std::chrono::hours(25) + std::chrono::minutes(61))),
            "1970-01-02T02:01:00.000Z");
  // 2000-02-29 is day 11016 after the epoch: leap years come out right.
  EXPECT_EQ(formatStartTime(at(std::chrono::hours(24 * 11016))), "2000-02-29T00:00:00.000Z");
}

TEST(AccessLogFormatTest, FullLineInIstiosDefaultFormat) {
  AccessLogEntry e;
  e.start_time = at(milliseconds(1234));
  e.method = "GET";
  e.path = "/productpage?u=1";
  e.response_code = 200;
  e.response_code_details = "via_upstream";
  e.bytes_received = 0;
  e.bytes_sent = 5293;
  e.duration_ms = 14;
  e.upstream_service_time = "13";
  e.x_forwarded_for = "198.51.100.1";
  e.user_agent = "curl/8.0.1";
  e.request_id = "0b4a3b1e-3e5f-4c2a-9a5e-1f8f0a1f2b3c";
  e.authority = "bookinfo.com";
  e.upstream_host = "10.1.0.7:9080";
  e.upstream_cluster = "outbound|9080||productpage.default.svc.cluster.local";
  e.upstream_local_address = "10.1.0.2:0";
  e.downstream_local_address = "10.1.0.2:8080";
  e.downstream_remote_address = "198.51.100.1:0";
  EXPECT_EQ(formatAccessLogLine(e),
            "[1970-01-01T00:00:01.234Z] \"GET /productpage?u=1 HTTP/1.1\" 200 - via_upstream - "
            "\"-\" 0 5293 14 13 \"198.51.100.1\" \"curl/8.0.1\" "
            "\"0b4a3b1e-3e5f-4c2a-9a5e-1f8f0a1f2b3c\" \"bookinfo.com\" \"10.1.0.7:9080\" "
            "outbound|9080||productpage.default.svc.cluster.local 10.1.0.2:0 10.1.0.2:8080 "
            "198.51.100.1:0 - -");
}

TEST(AccessLogFormatTest, UnsetValuesPrintAsDashes) {
  AccessLogEntry e;
  e.method = "GET";
  e.path = "/";
  e.response_code = 404;
  e.response_flags = ResponseFlags{} | ResponseFlag::NoRouteFound;
  e.response_code_details = std::string(responseCodeDetailsFor(e.response_flags));
  EXPECT_EQ(formatAccessLogLine(e),
            "[1970-01-01T00:00:00.000Z] \"GET / HTTP/1.1\" 404 NR route_not_found - \"-\" 0 0 0 "
            "- \"-\" \"-\" \"-\" \"-\" \"-\" - - - - - -");
}

TEST(AccessLogFormatTest, ResponseCodeDetailsFollowTheFlags) {
  EXPECT_EQ(responseCodeDetailsFor(0), "via_upstream");
  EXPECT_EQ(responseCodeDetailsFor(ResponseFlags{} | ResponseFlag::NoHealthyUpstream),
            "no_healthy_upstream");
  EXPECT_EQ(responseCodeDetailsFor(ResponseFlags{} | ResponseFlag::NoClusterFound),
            "cluster_not_found");
  EXPECT_EQ(responseCodeDetailsFor(ResponseFlags{} | ResponseFlag::UpstreamRequestTimeout),
            "upstream_response_timeout");
  EXPECT_EQ(responseCodeDetailsFor(ResponseFlags{} | ResponseFlag::UpstreamConnectionFailure |
                                   ResponseFlag::UpstreamRetryLimitExceeded),
            "upstream_reset_before_response_started{connection_failure}");
  // Retries exhausted on an upstream 503: the response still came from upstream.
  EXPECT_EQ(responseCodeDetailsFor(ResponseFlags{} | ResponseFlag::UpstreamRetryLimitExceeded),
            "via_upstream");
  EXPECT_EQ(responseCodeDetailsFor(ResponseFlags{} | ResponseFlag::DelayInjected |
                                   ResponseFlag::FaultInjected),
            "fault_filter_abort");
}

TEST(AccessLogFormatTest, EntryFromRequestAndResponse) {
  http::Request req;
  req.method = "POST";
  req.authority = "hello.com";
  req.path = "/v2/api";
  req.body = "abc";
  req.headers.add("x-envoy-original-path", "/api");
  req.headers.add("user-agent", "meshsim");
  req.headers.add("x-request-id", "id-1");
  req.headers.add("x-forwarded-for", "198.51.100.1");
  AccessLogEntry e =
      beginAccessLogEntry(at(milliseconds(5)), req, "10.1.0.2:8080", "198.51.100.1:0");
  EXPECT_EQ(e.path, "/api");  // X-ENVOY-ORIGINAL-PATH?:PATH
  EXPECT_EQ(e.bytes_received, 3u);
  EXPECT_EQ(e.user_agent, "meshsim");
  EXPECT_EQ(e.request_id, "id-1");
  EXPECT_EQ(e.x_forwarded_for, "198.51.100.1");
  EXPECT_EQ(e.authority, "hello.com");
  http::Response resp;
  resp.status = 201;
  resp.body = "created";
  resp.headers.add("x-envoy-upstream-service-time", "4");
  completeAccessLogEntry(e, resp, 0, 6);
  EXPECT_EQ(e.response_code, 201);
  EXPECT_EQ(e.response_code_details, "via_upstream");
  EXPECT_EQ(e.bytes_sent, 7u);
  EXPECT_EQ(e.duration_ms, 6u);
  EXPECT_EQ(e.upstream_service_time, "4");
}

TEST(AccessLogTest, DisabledUntilEnabled) {
  AccessLog log;
  EXPECT_FALSE(log.enabled());
  log.log(AccessLogEntry{});
  EXPECT_EQ(log.logged(), 0u);
  EXPECT_TRUE(log.entries().empty());
}

TEST(AccessLogTest, KeepsTheMostRecentEntries) {
  AccessLog log;
  log.enable(2);
  for (int code : {200, 404, 503}) {
    AccessLogEntry e;
    e.response_code = code;
    log.log(std::move(e));
  }
  ASSERT_EQ(log.entries().size(), 2u);
  EXPECT_EQ(log.entries()[0].response_code, 404);
  EXPECT_EQ(log.entries()[1].response_code, 503);
  EXPECT_EQ(log.logged(), 3u);
  EXPECT_EQ(log.dropped(), 1u);
  log.disable();
  log.log(AccessLogEntry{});
  EXPECT_EQ(log.logged(), 3u);
}

TEST(AccessLogTest, CallbackSeesEveryEntryInOrder) {
  AccessLog log;
  std::vector<int> seen;
  log.setCallback([&](const AccessLogEntry& e) { seen.push_back(e.response_code); });
  EXPECT_TRUE(log.enabled());
  for (int code : {200, 503}) {
    AccessLogEntry e;
    e.response_code = code;
    log.log(std::move(e));
  }
  EXPECT_EQ(seen, (std::vector<int>{200, 503}));
  EXPECT_TRUE(log.entries().empty());  // keeps none unless enable() asked for it
}

}  // namespace
}  // namespace meshsim::proxy::stats
