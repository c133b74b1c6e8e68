#include "proxy/stats/istio_stats.h"

#include <map>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/http/codec.h"

namespace meshsim::proxy::stats {
namespace {

config::WorkloadInfoConstSharedPtr gateway() {
  auto w = std::make_shared<config::WorkloadInfo>();
  w->workload = "istio-ingressgateway";
  w->namespace_name = "istio-system";
  w->pod = "istio-ingressgateway-0";
  w->app = "istio-ingressgateway";
  w->canonical_service = "istio-ingressgateway";
  w->canonical_revision = "latest";
  w->principal = "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";
  return w;  // no version label
}

config::WorkloadInfoConstSharedPtr hello() {
  auto w = std::make_shared<config::WorkloadInfo>();
  w->workload = "hello-v1";
  w->namespace_name = "default";
  w->pod = "hello-v1-0";
  w->app = "hello";
  w->version = "v1";
  w->canonical_service = "hello";
  w->canonical_revision = "v1";
  w->principal = "spiffe://cluster.local/ns/default/sa/hello";
  return w;
}

config::ServiceInfoConstSharedPtr helloService() {
  return std::make_shared<config::ServiceInfo>(
      config::ServiceInfo{"hello.default.svc.cluster.local", "hello", "default"});
}

std::map<std::string, std::string> asMap(const Labels& labels) {
  return {labels.begin(), labels.end()};
}

std::vector<std::string> names(const Labels& labels) {
  std::vector<std::string> out;
  for (const auto& [k, v] : labels) {
    out.push_back(k);
  }
  return out;
}

TEST(IstioStatsTest, LabelsComeInIstiosEmissionOrder) {
  IstioStats stats(gateway());
  RequestRecord r;
  r.peer = hello();
  r.service = helloService();
  r.response_code = 200;
  EXPECT_EQ(names(stats.labelsFor(r)), (std::vector<std::string>{
                                           "reporter",
                                           "source_workload",
                                           "source_canonical_service",
                                           "source_canonical_revision",
                                           "source_workload_namespace",
                                           "source_principal",
                                           "source_app",
                                           "source_version",
                                           "source_cluster",
                                           "destination_workload",
                                           "destination_workload_namespace",
                                           "destination_principal",
                                           "destination_app",
                                           "destination_version",
                                           "destination_service",
                                           "destination_canonical_service",
                                           "destination_canonical_revision",
                                           "destination_service_name",
                                           "destination_service_namespace",
                                           "destination_cluster",
                                           "request_protocol",
                                           "response_code",
                                           "grpc_response_status",
                                           "response_flags",
                                           "connection_security_policy",
                                       }));
}

// The reference's worked example (section 5.3): the gateway's sample of a 200.
TEST(IstioStatsTest, GatewayReportsSourceFor200) {
  IstioStats stats(gateway());
  RequestRecord r;
  r.reporter = Reporter::Source;
  r.peer = hello();
  r.service = helloService();
  r.response_code = 200;
  r.mtls = true;
  auto l = asMap(stats.labelsFor(r));
  EXPECT_EQ(l["reporter"], "source");
  EXPECT_EQ(l["source_workload"], "istio-ingressgateway");
  EXPECT_EQ(l["source_canonical_service"], "istio-ingressgateway");
  EXPECT_EQ(l["source_canonical_revision"], "latest");
  EXPECT_EQ(l["source_workload_namespace"], "istio-system");
  EXPECT_EQ(l["source_principal"],
            "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account");
  EXPECT_EQ(l["source_app"], "istio-ingressgateway");
  EXPECT_EQ(l["source_version"], "");  // the local workload lacks the label
  EXPECT_EQ(l["source_cluster"], "Kubernetes");
  EXPECT_EQ(l["destination_workload"], "hello-v1");
  EXPECT_EQ(l["destination_workload_namespace"], "default");
  EXPECT_EQ(l["destination_principal"], "spiffe://cluster.local/ns/default/sa/hello");
  EXPECT_EQ(l["destination_app"], "hello");
  EXPECT_EQ(l["destination_version"], "v1");
  EXPECT_EQ(l["destination_service"], "hello.default.svc.cluster.local");
  EXPECT_EQ(l["destination_canonical_service"], "hello");
  EXPECT_EQ(l["destination_canonical_revision"], "v1");
  EXPECT_EQ(l["destination_service_name"], "hello");
  EXPECT_EQ(l["destination_service_namespace"], "default");
  EXPECT_EQ(l["destination_cluster"], "Kubernetes");
  EXPECT_EQ(l["request_protocol"], "http");
  EXPECT_EQ(l["response_code"], "200");
  EXPECT_EQ(l["grpc_response_status"], "");
  EXPECT_EQ(l["response_flags"], "-");
  EXPECT_EQ(l["connection_security_policy"], "unknown");  // always, at the source
}

// The same request at the server sidecar: the peer is the gateway, learnt over mTLS.
TEST(IstioStatsTest, SidecarReportsDestinationFor200) {
  IstioStats stats(hello());
  RequestRecord r;
  r.reporter = Reporter::Destination;
  r.peer = gateway();
  r.service = helloService();
  r.response_code = 200;
  r.mtls = true;
  auto l = asMap(stats.labelsFor(r));
  EXPECT_EQ(l["reporter"], "destination");
  EXPECT_EQ(l["source_workload"], "istio-ingressgateway");
  EXPECT_EQ(l["source_version"], "unknown");  // a peer's missing label
  EXPECT_EQ(l["source_principal"],
            "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account");
  EXPECT_EQ(l["destination_workload"], "hello-v1");
  EXPECT_EQ(l["destination_version"], "v1");
  EXPECT_EQ(l["destination_service"], "hello.default.svc.cluster.local");
  EXPECT_EQ(l["connection_security_policy"], "mutual_tls");
}

TEST(IstioStatsTest, PlaintextHopHidesThePeerPrincipal) {
  IstioStats stats(hello());
  RequestRecord r;
  r.reporter = Reporter::Destination;
  r.peer = gateway();
  r.service = helloService();
  r.response_code = 200;
  r.mtls = false;
  auto l = asMap(stats.labelsFor(r));
  EXPECT_EQ(l["source_principal"], "unknown");
  EXPECT_EQ(l["destination_principal"], "spiffe://cluster.local/ns/default/sa/hello");
  EXPECT_EQ(l["connection_security_policy"], "none");
}

TEST(IstioStatsTest, UnknownCallerAtTheDestination) {
  IstioStats stats(hello());
  RequestRecord r;
  r.reporter = Reporter::Destination;
  r.service = helloService();
  r.response_code = 200;
  auto l = asMap(stats.labelsFor(r));
  for (const char* name : {"source_workload", "source_canonical_service",
                           "source_canonical_revision", "source_workload_namespace",
                           "source_principal", "source_app", "source_version", "source_cluster"}) {
    EXPECT_EQ(l[name], "unknown") << name;
  }
}

// Section 5.4: 404 NR at the gateway names no destination at all.
TEST(IstioStatsTest, NoRouteAtTheGatewayIsUnknownEverywhere) {
  IstioStats stats(gateway());
  RequestRecord r;
  r.response_code = 404;
  r.flags = ResponseFlags{} | ResponseFlag::NoRouteFound;
  auto l = asMap(stats.labelsFor(r));
  EXPECT_EQ(l["response_code"], "404");
  EXPECT_EQ(l["response_flags"], "NR");
  for (const char* name :
       {"destination_workload", "destination_workload_namespace", "destination_principal",
        "destination_app", "destination_version", "destination_service",
        "destination_canonical_service", "destination_canonical_revision",
        "destination_service_name", "destination_service_namespace", "destination_cluster"}) {
    EXPECT_EQ(l[name], "unknown") << name;
  }
}

// Section 5.4: 503 UH knows the service (the cluster was selected) but no workload.
TEST(IstioStatsTest, NoHealthyUpstreamKnowsTheServiceOnly) {
  IstioStats stats(gateway());
  RequestRecord r;
  r.service = helloService();
  r.response_code = 503;
  r.flags = ResponseFlags{} | ResponseFlag::NoHealthyUpstream;
  auto l = asMap(stats.labelsFor(r));
  EXPECT_EQ(l["response_flags"], "UH");
  EXPECT_EQ(l["destination_service"], "hello.default.svc.cluster.local");
  EXPECT_EQ(l["destination_service_name"], "hello");
  EXPECT_EQ(l["destination_service_namespace"], "default");
  EXPECT_EQ(l["destination_workload"], "unknown");
  EXPECT_EQ(l["destination_principal"], "unknown");
}

TEST(IstioStatsTest, FlagsJoinInEnvoyOrder) {
  IstioStats stats(gateway());
  RequestRecord r;
  r.service = helloService();
  r.response_code = 503;
  r.flags = ResponseFlags{} | ResponseFlag::UpstreamRetryLimitExceeded |
            ResponseFlag::UpstreamConnectionFailure;
  EXPECT_EQ(asMap(stats.labelsFor(r))["response_flags"], "UF,URX");
}

TEST(IstioStatsTest, HistogramsUseUpperInclusiveBuckets) {
  IstioStats stats(gateway());
  RequestRecord r;
  r.peer = hello();
  r.service = helloService();
  r.response_code = 200;
  for (uint64_t ms : {0, 1, 5, 7, 3600000, 3600001}) {
    r.duration_ms = ms;
    r.request_bytes = 100;
    r.response_bytes = 600;
    stats.record(r);
  }
  ASSERT_EQ(stats.requestsTotal().size(), 1u);
  EXPECT_EQ(stats.requestsTotal()[0].value, 6u);
  const auto d = stats.requestDuration();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].count, 6u);
  EXPECT_EQ(d[0].sum, 0 + 1 + 5 + 7 + 3600000 + 3600001);
  EXPECT_EQ(d[0].cumulative[0], 1u);   // le=0.5: the 0 ms request
  EXPECT_EQ(d[0].cumulative[1], 2u);   // le=1
  EXPECT_EQ(d[0].cumulative[2], 3u);   // le=5
  EXPECT_EQ(d[0].cumulative[3], 4u);   // le=10
  EXPECT_EQ(d[0].cumulative[18], 5u);  // le=3600000
  EXPECT_EQ(d[0].cumulative[19], 6u);  // +Inf == count
  const auto req = stats.requestBytes();
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0].sum, 600);
  EXPECT_EQ(req[0].cumulative[5], 0u);  // le=50
  EXPECT_EQ(req[0].cumulative[6], 6u);  // le=100
  const auto resp = stats.responseBytes();
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_EQ(resp[0].sum, 3600);
  EXPECT_EQ(resp[0].cumulative[7], 0u);  // le=250
  EXPECT_EQ(resp[0].cumulative[9], 6u);  // le=1000
}

TEST(IstioStatsTest, EveryValueAroundTheBoundsLandsInItsBucket) {
  // Small values are looked up in a table, larger ones searched: both must agree with the
  // definition (a bucket counts the values at or below its bound) for every value near them.
  IstioStats stats(gateway());
  RequestRecord r;
  r.peer = hello();
  r.service = helloService();
  r.response_code = 200;
  std::vector<uint64_t> values;
  for (uint64_t v = 0; v <= 1100; ++v) {
    values.push_back(v);
  }
  for (double bound : kDurationBuckets) {
    const auto b = static_cast<uint64_t>(bound);
    for (uint64_t v = b == 0 ? 0 : b - 1; v <= b + 1; ++v) {
      values.push_back(v);
    }
  }
  for (uint64_t v : values) {
    r.response_bytes = v;
    stats.record(r);
  }
  const auto resp = stats.responseBytes();
  ASSERT_EQ(resp.size(), 1u);
  for (size_t i = 0; i < kDurationBuckets.size(); ++i) {
    uint64_t expected = 0;
    for (uint64_t v : values) {
      expected += static_cast<double>(v) <= kDurationBuckets[i] ? 1 : 0;
    }
    EXPECT_EQ(resp[0].cumulative[i], expected) << "le=" << kDurationBuckets[i];
  }
  EXPECT_EQ(resp[0].cumulative[kDurationBuckets.size()], values.size());
}

TEST(IstioStatsTest, SeriesKeepFirstRecordedOrderAcrossHistograms) {
  IstioStats stats(gateway());
  RequestRecord ok;
  ok.peer = hello();
  ok.service = helloService();
  ok.response_code = 200;
  RequestRecord nr;
  nr.response_code = 404;
  nr.flags = ResponseFlags{} | ResponseFlag::NoRouteFound;
  stats.record(nr);
  stats.record(ok);
  stats.record(nr);
  const auto total = stats.requestsTotal();
  ASSERT_EQ(total.size(), 2u);
  EXPECT_EQ(asMap(total[0].labels)["response_code"], "404");
  EXPECT_EQ(total[0].value, 2u);
  EXPECT_EQ(asMap(total[1].labels)["response_code"], "200");
  for (const auto& h : {stats.requestDuration(), stats.requestBytes(), stats.responseBytes()}) {
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].labels, total[0].labels);
    EXPECT_EQ(h[1].labels, total[1].labels);
  }
  EXPECT_EQ(stats.totalRequests(), 3u);
}

// Two replicas of one Deployment are different peers with the same labels: one series, as the
// label values are the series' identity in Envoy and Prometheus.
TEST(IstioStatsTest, PeersWithTheSameLabelsAreOneSeries) {
  IstioStats stats(gateway());
  auto replica = std::make_shared<config::WorkloadInfo>(*hello());
  replica->pod = "hello-v1-1";
  RequestRecord r;
  r.peer = hello();
  r.service = helloService();
  r.response_code = 200;
  r.duration_ms = 2;
  stats.record(r);
  r.peer = replica;
  r.duration_ms = 20;
  stats.record(r);
  stats.record(r);
  const auto total = stats.requestsTotal();
  ASSERT_EQ(total.size(), 1u);
  EXPECT_EQ(total[0].value, 3u);
  const auto d = stats.requestDuration();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].count, 3u);
  EXPECT_EQ(d[0].sum, 42);
  EXPECT_EQ(d[0].cumulative[2], 1u);   // le=5
  EXPECT_EQ(d[0].cumulative[4], 3u);   // le=25
  EXPECT_EQ(d[0].cumulative[19], 3u);  // +Inf
  EXPECT_EQ(stats.requestBytes().size(), 1u);
}

// wireSize() counts exactly the bytes the HTTP/1.1 codec writes.
TEST(WireSizeTest, MatchesTheSerializedRequest) {
  std::vector<http::Request> requests(4);
  requests[0].authority = "hello.com";
  requests[1].authority = "hello.com:8080";
  requests[1].path = "/api?x=1";
  requests[1].headers.add("user-agent", "curl/8.0");
  requests[1].headers.add("x-forwarded-for", "198.51.100.1");
  requests[2].method = "POST";  // an empty body is announced
  requests[2].authority = "a";
  requests[3].method = "PUT";
  requests[3].authority = "a";
  requests[3].body = std::string(1234, 'x');
  requests[3].headers.add("content-length", "1234");  // framing fields are the codec's
  requests[3].headers.add("host", "ignored");
  for (const auto& r : requests) {
    EXPECT_EQ(wireSize(r), http::serializeRequest(r).size()) << http::serializeRequest(r);
  }
  EXPECT_EQ(wireSize(requests[0]), std::string("GET / HTTP/1.1\r\nhost: hello.com\r\n\r\n").size());
}

TEST(WireSizeTest, MatchesTheSerializedResponse) {
  std::vector<http::Response> responses(5);
  responses[0].body = "hello";
  responses[0].headers.add("server", "istio-envoy");
  responses[1].status = 404;
  responses[2].status = 204;
  responses[3].status = 304;
  responses[3].headers.add("etag", "\"x\"");
  responses[4].status = 503;
  responses[4].body = "no healthy upstream";
  responses[4].headers.add("content-type", "text/plain");
  for (const auto& r : responses) {
    EXPECT_EQ(wireSize(r), http::serializeResponse(r).size()) << http::serializeResponse(r);
  }
  EXPECT_EQ(wireSize(responses[1]),
            std::string("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").size());
}

}  // namespace
}  // namespace meshsim::proxy::stats
