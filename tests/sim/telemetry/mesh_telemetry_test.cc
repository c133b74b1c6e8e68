// Istio metrics and access logs as the real proxies record them in an assembled mesh: the label
// values per reporter for the reference's worked examples (200 through gateway and sidecar,
// 404 NR and 503 UH at the gateway), the byte histograms and the access log fields.

#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/driver/scrape_clock.h"
#include "sim/mesh.h"
#include "sim/telemetry/access_logs.h"
#include "sim/telemetry/metric_query.h"
#include "sim/telemetry/scrape.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::telemetry {
namespace {

using ::meshsim::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// A Service without pods behind nobody.com, for 503 UH.
constexpr const char* kNobody = R"(
apiVersion: v1
kind: Service
metadata:
  name: nobody
  namespace: default
spec:
  selector:
    app: nobody
  ports:
  - name: http
    port: 80
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: nobody-gateway
  namespace: default
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["nobody.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: nobody
  namespace: default
spec:
  hosts: ["nobody.com"]
  gateways: [nobody-gateway]
  http:
  - route:
    - destination:
        host: nobody.default.svc.cluster.local
        port: {number: 80}
)";

class MeshTelemetryTest : public ::testing::Test {
protected:
  void SetUp() override {
    Manifests m;
    const std::string root = MESHSIM_SOURCE_DIR;
    ASSERT_THAT(addPath(root + "/fixtures/istio/ingressgateway.yaml", m), IsOk());
    ASSERT_THAT(addPath(root + "/fixtures/hello", m), IsOk());
    ASSERT_THAT(addText(kNobody, "nobody.yaml", 1, m), IsOk());
    auto mesh = Mesh::create(std::move(m), {});
    ASSERT_THAT(mesh, IsOk());
    mesh_ = std::move(mesh).value();
  }

  int get(const std::string& host, const std::string& path = "/") {
    auto req = std::make_unique<proxy::http::Request>();
    req->authority = host;
    req->path = path;
    req->headers.add("user-agent", "meshsim-test");
    auto to = mesh_->ingressAddress("", 80);
    EXPECT_THAT(to, IsOk());
    int status = -1;
    mesh_->sendFromOutside(*to, std::move(req),
                           [&](proxy::http::ResponsePtr r, proxy::ResetReason) {
                             status = r == nullptr ? 0 : r->status;
                           });
    mesh_->loop().runUntilIdle();
    return status;
  }

  // The labels (and value) of the only sample of `metric` with these reporter and code.
  std::map<std::string, std::string> series(const std::string& metric, const std::string& reporter,
                                            const std::string& code, double* value = nullptr) {
    std::map<std::string, std::string> found;
    int n = 0;
    for (const auto& s : scrapeMesh(mesh_->proxies())) {
      if (s.name != metric) {
        continue;
      }
      std::map<std::string, std::string> m(s.labels.begin(), s.labels.end());
      if (m["reporter"] == reporter && m["response_code"] == code) {
        found = m;
        ++n;
        if (value != nullptr) {
          *value = s.value;
        }
      }
    }
    EXPECT_LE(n, 1) << metric;
    return found;
  }

  std::unique_ptr<Mesh> mesh_;
};

TEST_F(MeshTelemetryTest, Ok200ThroughGatewayAndSidecar) {
  ASSERT_EQ(get("hello.com"), 200);
  ASSERT_EQ(get("hello.com"), 200);
  double count = 0;
  auto gw = series("istio_requests_total", "source", "200", &count);
  EXPECT_EQ(count, 2);
  EXPECT_EQ(gw["source_workload"], "istio-ingressgateway");
  EXPECT_EQ(gw["source_version"], "");
  EXPECT_EQ(gw["destination_workload"], "hello");
  EXPECT_EQ(gw["destination_principal"], "spiffe://cluster.local/ns/default/sa/hello");
  EXPECT_EQ(gw["destination_service"], "hello.default.svc.cluster.local");
  EXPECT_EQ(gw["response_flags"], "-");
  EXPECT_EQ(gw["connection_security_policy"], "unknown");
  EXPECT_EQ(gw["namespace"], "istio-system");
  EXPECT_EQ(gw["pod"], "istio-ingressgateway-0");

  auto sc = series("istio_requests_total", "destination", "200", &count);
  EXPECT_EQ(count, 2);
  EXPECT_EQ(sc["source_workload"], "istio-ingressgateway");
  EXPECT_EQ(sc["source_version"], "unknown");
  EXPECT_EQ(sc["source_principal"],
            "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account");
  EXPECT_EQ(sc["destination_workload"], "hello");
  EXPECT_EQ(sc["connection_security_policy"], "mutual_tls");
  EXPECT_EQ(sc["namespace"], "default");
  EXPECT_EQ(sc["pod"], "hello-0");
}

TEST_F(MeshTelemetryTest, EveryProxyRecordsAllFourFamilies) {
  ASSERT_EQ(get("hello.com"), 200);
  for (const std::string reporter : {"source", "destination"}) {
    double n = 0;
    EXPECT_FALSE(series("istio_request_duration_milliseconds_count", reporter, "200", &n).empty());
    EXPECT_EQ(n, 1);
    double request_bytes = 0;
    double response_bytes = 0;
    series("istio_request_bytes_sum", reporter, "200", &request_bytes);
    series("istio_response_bytes_sum", reporter, "200", &response_bytes);
    // "GET / HTTP/1.1\r\nhost: hello.com\r\nuser-agent: meshsim-test\r\n\r\n" at the gateway;
    // the sidecar receives the gateway's additions (x-forwarded-for, x-request-id, ...) too.
    if (reporter == "source") {
      EXPECT_EQ(request_bytes, 61);
    } else {
      EXPECT_GT(request_bytes, 61);
    }
    EXPECT_GT(response_bytes, 100);  // the echo document
  }
}

TEST_F(MeshTelemetryTest, NoRouteAtTheGateway) {
  ASSERT_EQ(get("goodbye.com"), 404);
  auto gw = series("istio_requests_total", "source", "404");
  EXPECT_EQ(gw["response_flags"], "NR");
  EXPECT_EQ(gw["destination_service"], "unknown");
  EXPECT_EQ(gw["destination_service_name"], "unknown");
  EXPECT_EQ(gw["destination_service_namespace"], "unknown");
  EXPECT_EQ(gw["destination_workload"], "unknown");
  EXPECT_TRUE(series("istio_requests_total", "destination", "404").empty());
}

TEST_F(MeshTelemetryTest, NoHealthyUpstreamAtTheGateway) {
  ASSERT_EQ(get("nobody.com"), 503);
  auto gw = series("istio_requests_total", "source", "503");
  EXPECT_EQ(gw["response_flags"], "UH");
  EXPECT_EQ(gw["destination_service"], "nobody.default.svc.cluster.local");
  EXPECT_EQ(gw["destination_service_name"], "nobody");
  EXPECT_EQ(gw["destination_service_namespace"], "default");
  EXPECT_EQ(gw["destination_workload"], "unknown");
  EXPECT_TRUE(series("istio_requests_total", "destination", "503").empty());
}

TEST_F(MeshTelemetryTest, AccessLogLinesPerProxy) {
  std::vector<std::string> lines;
  enableAccessLogs(mesh_->proxies(), 100, [&](const std::string& line) { lines.push_back(line); });
  ASSERT_EQ(get("hello.com", "/api?x=1"), 200);
  ASSERT_EQ(get("goodbye.com"), 404);
  ASSERT_EQ(get("nobody.com"), 503);
  // Completion order: the sidecar finishes before the gateway.
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(lines[0],
              MatchesRegex(R"(\[default/hello-0\] \[1970-01-01T00:00:00\.[0-9]{3}Z\] )"
                           R"("GET /api\?x=1 HTTP/1\.1" 200 - via_upstream - "-" 0 [0-9]+ )"
                           R"([0-9]+ [0-9]+ "198\.51\.100\.1" "meshsim-test" )"
                           R"("[0-9a-f-]{36}" "hello\.com" "127\.0\.0\.1:8080" )"
                           R"(inbound\|8080\|\| .*)"));
  EXPECT_THAT(lines[1], HasSubstr("[istio-system/istio-ingressgateway-0] "));
  EXPECT_THAT(lines[1], HasSubstr("\"GET /api?x=1 HTTP/1.1\" 200 - via_upstream - \"-\" 0 "));
  EXPECT_THAT(lines[1], HasSubstr("\"meshsim-test\""));
  EXPECT_THAT(lines[1], HasSubstr(" outbound|80||hello.default.svc.cluster.local "));
  EXPECT_THAT(lines[2], HasSubstr("\"GET / HTTP/1.1\" 404 NR route_not_found - \"-\" 0 0 "));
  EXPECT_THAT(lines[2], HasSubstr("\"goodbye.com\" \"-\" - "));  // no upstream host or cluster
  EXPECT_THAT(lines[3], HasSubstr("503 UH no_healthy_upstream - \"-\" 0 19 "));
  EXPECT_THAT(lines[3],
              HasSubstr("\"nobody.com\" \"-\" outbound|80||nobody.default.svc.cluster.local "));

  // The same entries, read back for expectations: by completion time, ties (this network has
  // no latency) in proxy order, the gateway first.
  const auto entries = accessLogEntries(mesh_->proxies());
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].pod, "istio-ingressgateway-0");
  EXPECT_EQ(entries[0].entry->response_code, 200);
  EXPECT_EQ(entries[1].entry->response_code, 404);
  EXPECT_EQ(entries[2].entry->response_code, 503);
  EXPECT_EQ(entries[3].pod, "hello-0");
  EXPECT_EQ(entries[3].namespace_name, "default");
  EXPECT_EQ(formatMeshAccessLogLine(entries[2]), lines[3]);
  EXPECT_EQ(formatMeshAccessLogLine(entries[3]), lines[0]);
}

TEST_F(MeshTelemetryTest, ScrapeClockScrapesOnVirtualTime) {
  // Three requests at 0 s, 20 s and 40 s: scrapes at 0, 15, 30 and at the last event.
  auto to = mesh_->ingressAddress("", 80);
  ASSERT_THAT(to, IsOk());
  for (int i = 0; i < 3; ++i) {
    mesh_->loop().postAfter(std::chrono::seconds(20 * i), [this, to = *to] {
      auto req = std::make_unique<proxy::http::Request>();
      req->authority = "hello.com";
      mesh_->sendFromOutside(to, std::move(req),
                             [](proxy::http::ResponsePtr, proxy::ResetReason) {});
    });
  }
  Tsdb tsdb;
  driver::ScrapeClock(*mesh_, tsdb, std::chrono::seconds(15)).runUntilIdle();
  const auto end = mesh_->loop().elapsed();
  EXPECT_GE(end, std::chrono::seconds(40));
  EXPECT_LT(end, std::chrono::seconds(41));  // the clock stops at the last event
  ASSERT_EQ(tsdb.scrapeTimes().size(), 4u);
  EXPECT_EQ(tsdb.scrapeTimes()[0], VirtualTime{0});
  EXPECT_EQ(tsdb.scrapeTimes()[1], std::chrono::seconds(15));
  EXPECT_EQ(tsdb.scrapeTimes()[2], std::chrono::seconds(30));
  EXPECT_EQ(tsdb.scrapeTimes()[3], end);  // no scrape at 45 s: nothing was left to run
  auto q = MetricQuery::parse(R"(sum(istio_requests_total{reporter="source"}))");
  ASSERT_THAT(q, IsOk());
  EXPECT_EQ(*q->evaluateScalar(tsdb, std::chrono::seconds(15)), 1);
  EXPECT_EQ(*q->evaluateScalar(tsdb, std::chrono::seconds(30)), 2);
  EXPECT_EQ(*q->evaluateScalar(tsdb, end), 3);
  auto inc = MetricQuery::parse(R"(sum(increase(istio_requests_total{reporter="source"}[30s])))");
  ASSERT_THAT(inc, IsOk());
  EXPECT_EQ(*inc->evaluateScalar(tsdb, std::chrono::seconds(30)), 2);
}

}  // namespace
}  // namespace meshsim::sim::telemetry
