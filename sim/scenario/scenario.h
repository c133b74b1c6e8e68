#pragma once

// File: sim/scenario/scenario.h
//
// Scenario files (../shared/SCENARIO-FORMAT.md): the mesh to build, the traffic to send and the
// expectations to judge. Loading checks every field: unknown fields, wrong types and bad values
// are errors naming file:line and the field path.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/core/status.h"
#include "proxy/http/message.h"
#include "sim/duration.h"
#include "sim/manifests.h"
#include "sim/mesh.h"
#include "sim/yaml/document.h"

namespace meshsim::sim::scenario {

// "< 10", ">= 99%", "== 0": a comparison against a number (percentages as fractions).
struct Comparison {
  enum class Op { Lt, Le, Gt, Ge, Eq };
  Op op = Op::Eq;
  double value = 0;
  std::string text;  // as written
  bool holds(double x) const;
};
// Parses a comparison; a bare number means "==". With `percent`, "99%" means 0.99.
StatusOr<Comparison> parseComparison(const std::string& text, bool percent);
// Parses "< 10ms" into a comparison of milliseconds.
StatusOr<Comparison> parseLatencyComparison(const std::string& text);
// Parses "90%" or "0.9" into a fraction in [0, 1].
StatusOr<double> parseShare(const std::string& text);
// Durations ("250ms", "1.5s", "2m", "1h30m") have one syntax everywhere: sim/duration.h.
using sim::parseDuration;

struct RequestSpec {
  std::string url;
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  proxy::http::Protocol protocol = proxy::http::Protocol::Http11;
};

struct TrafficSpec {
  std::string name;
  // "ingress", "ingress/NAMESPACE/SERVICE", "pod/NAME" or "deployment/NAME".
  std::string from = "ingress";
  std::string namespace_name = "default";  // of the pod or deployment
  RequestSpec request;
  int64_t count = 1;
  // Requests per second; 0: back to back (closed loop with `concurrency` in flight).
  double rate = 0;
  int64_t concurrency = 1;
  std::chrono::nanoseconds start{0};
  // followRedirects: how many redirects a client follows (curl -L); true is curl's default, 50.
  // 0: a redirect is the answer.
  int max_redirects = 0;
  yaml::Location location;
};

struct ServedByShare {
  std::string key;  // a deployment name, or a label selector "version=v2[,app=x]"
  double share = 0;
};

// A response body check: exact text, a substring, or an RE2 regex (full match).
struct BodyMatch {
  enum class Kind { Exact, Contains, Regex };
  Kind kind = Kind::Exact;
  std::string value;
};

// Header checks: a value that must be present (exact), or nullopt for "must be absent".
using HeaderExpectations = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Latency percentiles: {0.99: "< 50ms"}, comparisons in milliseconds.
using LatencyExpectations = std::vector<std::pair<double, Comparison>>;

// A service level objective judged from the run's Istio metrics (telemetry::measureSlo()).
struct SloExpectation {
  std::string service;  // FQDN, or a short name (destination_service_name)
  std::string reporter = "source";
  std::optional<Comparison> error_rate;  // a fraction: "< 1%" is < 0.01
  LatencyExpectations latency;
  // Measure over the last `window` of the run; default: the whole run.
  std::optional<std::chrono::nanoseconds> window;
};

struct Expectation {
  yaml::Location location;
  std::string path;  // "spec.expect[2]"
  // Traffic expectations
  std::string traffic;
  std::optional<int> status;
  std::vector<std::pair<int, Comparison>> status_distribution;
  std::vector<ServedByShare> served_by;
  std::optional<double> tolerance;  // absolute, as a fraction
  // What every app request of the stream looked like on arrival.
  std::optional<std::string> upstream_host;
  std::optional<std::string> upstream_path;
  std::optional<proxy::http::Protocol> upstream_protocol;
  HeaderExpectations upstream_headers;
  bool has_upstream = false;
  // What every response looked like.
  HeaderExpectations response_headers;
  std::optional<BodyMatch> response_body;
  bool has_response = false;
  // Every request ended without a response: "refused", "reset" or "timeout".
  std::string error;
  // Every request took this many upstream attempts, as the apps saw them.
  std::optional<int> attempts;
  // Every response carried these Envoy flags at the proxy the client talked to ("-": none).
  std::optional<std::string> response_flags;
  // Latency percentiles of the stream (virtual time): {0.5: "< 10ms"}, values in ms.
  LatencyExpectations latency;
  // Metric expectations
  std::string metric;
  std::optional<Comparison> value;
  // SLO expectations
  std::optional<SloExpectation> slo;
};

// An event on the virtual timeline (spec.events).
struct EventSpec {
  enum class Kind { Kill, Restart, Scale, Apply, Delete, Partition, Heal };
  Kind kind = Kind::Kill;
  yaml::Location location;
  std::string path;  // "spec.events[0].kill"
  std::chrono::nanoseconds at{0};
  // kill, scale, apply, delete: how long the proxies and kube-proxy take to see the change (the
  // xDS push; Istio debounces pushes by 100 ms by default).
  std::chrono::nanoseconds propagation = std::chrono::milliseconds(100);
  std::string namespace_name = "default";
  std::string pod;                       // kill, restart
  bool replace = true;                   // kill: the Deployment replaces the pod
  std::chrono::nanoseconds downtime{0};  // restart
  std::string deployment;                // scale
  int replicas = 0;                      // scale
  Manifests manifests;                   // apply
  std::string kind_name;                 // delete: Deployment, Service, VirtualService, ...
  std::string name;                      // delete
  // partition, heal: pod sets as "ingress", "pod/NAME", "deployment/NAME" or a label selector
  // "app=reviews,version=v2" (in namespace_name; "ingress": the default ingress gateway pods).
  // heal with both empty heals every partition.
  std::string from;
  std::string to;
  bool drop = true;  // partition: drop packets (connect timeout) or reject them (refused)
  std::string describe() const;  // "kill default/hello-v1-0"
};

// What a conformance scenario checks (spec.conformance), for `meshsim conformance`: the profile
// it belongs to, its support level, the features it covers (names from istio::features()) and
// the Istio documentation or Envoy behaviour it checks.
struct ConformanceMeta {
  std::string profile;    // one of conformanceProfiles()
  bool extended = false;  // support: core (false) or extended (true)
  std::vector<std::string> features;
  std::vector<std::string> references;
  yaml::Location location;
};

// The conformance profiles a scenario may belong to, in report order.
std::span<const std::string_view> conformanceProfiles();

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  uint64_t seed = 1;
  std::string istio_version;
  Manifests manifests;
  std::vector<WorkloadBehavior> workloads;
  std::vector<TrafficSpec> traffic;
  std::vector<EventSpec> events;  // in time order (stable for equal times)
  std::vector<Expectation> expect;
  // spec.conformance; required for the scenarios of a conformance suite, optional elsewhere.
  std::optional<ConformanceMeta> conformance;
};

// How a scenario and its manifests are loaded.
struct LoadOptions {
  // Leave out kinds that are not modelled (AuthorizationPolicy, HTTPRoute, ...) with a warning in
  // the scenario's manifests (and so in every report) instead of refusing them.
  bool allow_unmodelled = false;
};

// Loads a scenario file and the manifests it includes.
StatusOr<Scenario> loadScenario(const std::string& path, const LoadOptions& options = {});

// Reads the manifests of one `include` entry (`path`: resolved against the scenario's folder)
// into `out`. NotFound means nothing is at the path; the scenario's error then names the entry.
using IncludeReader = std::function<Status(const std::string& path, Manifests& out)>;

// Parses the scenario `text` as loadScenario() parses a file `file` holding it, with the same
// result or error: `file` names it in messages and is the base of relative includes.
// `read_include`, when set, stands in for the filesystem for includes, so that tests and
// fuzzers can parse a scenario without touching the disk.
StatusOr<Scenario> parseScenario(const std::string& text, const std::string& file,
                                 const IncludeReader& read_include = nullptr,
                                 const LoadOptions& options = {});

// Whether a YAML file is a scenario (kind: Scenario) rather than manifests.
bool isScenarioFile(const std::string& path);
// Why the YAML file at `path` is not a scenario ("kind: Deployment", "no YAML document"), or
// nullopt when it is one, and also when it cannot be read or parsed: loading it then says why,
// so that `meshsim run FOLDER` reports a broken file instead of leaving it out.
std::optional<std::string> whyNotAScenario(const std::string& path);

// Warnings the loaded scenario carries into every report, also when its run fails: kinds left
// out by LoadOptions::allow_unmodelled, in its manifests and in its apply events.
std::vector<std::string> loadWarnings(const Scenario& scenario);

}  // namespace meshsim::sim::scenario
