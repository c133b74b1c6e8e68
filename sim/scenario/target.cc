#include "sim/scenario/target.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include <httplib.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include "proxy/http/message.h"
#include "sim/mesh.h"

namespace meshsim::sim::scenario {

namespace {

struct Target {
  std::string host;
  int port = 80;
};

StatusOr<Target> parseTarget(const std::string& text) {
  constexpr std::string_view kScheme = "http://";
  if (!text.starts_with(kScheme)) {
    return invalidArgumentError("--target \"" + text + "\": expected http://HOST:PORT");
  }
  std::string rest = text.substr(kScheme.size());
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    if (rest.substr(slash) != "/") {
      return invalidArgumentError("--target \"" + text +
                                  "\": no path allowed, only http://HOST:PORT");
    }
    rest.resize(slash);
  }
  Target t;
  const size_t colon = rest.rfind(':');
  if (colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    int p = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) {
      return invalidArgumentError("--target \"" + text + "\": bad port \"" + port + "\"");
    }
    t.port = p;
    rest.resize(colon);
  }
  if (rest.empty()) {
    return invalidArgumentError("--target \"" + text + "\": no host");
  }
  t.host = rest;
  return t;
}

// Deployment pods are NAME-0.. in meshsim and NAME-<replicaset hash>-<suffix> in Kubernetes.
std::string workloadOfPod(const std::string& pod) {
  static const re2::RE2 kOrdinal("(.+)-[0-9]+");
  static const re2::RE2 kReplicaSet("(.+)-[a-z0-9]{5,10}-[a-z0-9]{5}");
  std::string workload;
  if (re2::RE2::FullMatch(pod, kOrdinal, &workload) ||
      re2::RE2::FullMatch(pod, kReplicaSet, &workload)) {
    return workload;
  }
  return pod;
}

// The scenario-wide reason traffic expectations cannot be judged from outside, or "".
std::string scenarioSkipReason(const Scenario& s) {
  if (!s.events.empty()) {
    return "the scenario's events (" + s.events.front().describe() +
           ", ...) cannot be applied to a --target";
  }
  if (!s.workloads.empty()) {
    return "the scenario's workload behaviours are meshsim's simulated apps; a --target's "
           "backends only echo";
  }
  return "";
}

std::string streamSkipReason(const TrafficSpec& spec, const Url& url) {
  if (spec.from != "ingress") {
    return "traffic from " + spec.from +
           " starts inside the mesh; a --target run sends only "
           "from: ingress traffic";
  }
  if (url.explicit_port && url.port != 80) {
    return "the stream picks gateway port " + std::to_string(url.port) +
           "; a --target is one address";
  }
  if (spec.rate > 0 || spec.concurrency > 1 || spec.start.count() != 0) {
    return "the stream's rate, concurrency or start need the virtual clock";
  }
  if (spec.request.protocol != proxy::http::Protocol::Http11) {
    return "a --target run sends HTTP/1.1 only";
  }
  if (spec.max_redirects > 0) {
    return "the stream follows redirects (followRedirects), which a --target run does not do";
  }
  return "";
}

ExpectationResult skipped(const Expectation& e, const std::string& what, std::string why) {
  ExpectationResult r;
  r.location = e.location;
  r.what = what;
  r.skipped = true;
  r.detail = "not judged: " + std::move(why);
  return r;
}

}  // namespace

StatusOr<RunResult> runAgainstTarget(const Scenario& scenario, const std::string& target_url) {
  MESHSIM_ASSIGN_OR_RETURN(const Target target, parseTarget(target_url));
  RunResult result;
  result.file = scenario.file;
  result.name = scenario.name;
  result.description = scenario.description;
  result.seed = scenario.seed;
  result.warnings.push_back("traffic sent to " + target_url + " (--target), not simulated");

  const std::string scenario_skip = scenarioSkipReason(scenario);
  std::vector<std::string> stream_skip(scenario.traffic.size());
  // Pods seen in echo documents, by "namespace/name", for servedBy.
  std::map<std::string, std::unique_ptr<k8s::PodState>> pods;
  // Per expectation with upstream or response checks: (checked, failed, first failure).
  struct Check {
    uint64_t checked = 0;
    uint64_t failed = 0;
    std::string first;
  };
  std::map<const Expectation*, Check> upstream_checks;
  std::map<const Expectation*, Check> response_checks;
  const auto record = [](Check& c, const std::string& failure) {
    ++c.checked;
    if (!failure.empty() && c.failed++ == 0) {
      c.first = failure;
    }
  };

  result.traffic.resize(scenario.traffic.size());
  for (size_t i = 0; i < scenario.traffic.size(); ++i) {
    const TrafficSpec& spec = scenario.traffic[i];
    TrafficResult& t = result.traffic[i];
    t.name = spec.name;
    t.from = spec.from;
    t.url = spec.request.url;
    MESHSIM_ASSIGN_OR_RETURN(Url url, parseUrl(spec.request.url));
    stream_skip[i] = scenario_skip.empty() ? streamSkipReason(spec, url) : scenario_skip;
    if (!stream_skip[i].empty()) {
      continue;
    }
    httplib::Client client(target.host, target.port);
    client.set_keep_alive(true);
    client.set_connection_timeout(5);
    client.set_read_timeout(30);
    httplib::Headers headers;
    std::string host = url.explicit_port ? url.host + ":" + std::to_string(url.port) : url.host;
    for (const auto& [k, v] : spec.request.headers) {
      if (k == "host") {
        host = v;
      } else {
        headers.emplace(k, v);
      }
    }
    headers.emplace("Host", host);
    for (int64_t n = 0; n < spec.count; ++n) {
      ++t.sent;
      httplib::Request req;
      req.method = spec.request.method;
      req.path = url.path;
      req.headers = headers;
      req.body = spec.request.body;
      httplib::Response res;
      httplib::Error error = httplib::Error::Success;
      const bool ok = client.send(req, res, error);
      std::unique_ptr<proxy::http::Response> response;
      if (!ok) {
        ++t.status_counts[0];
        ++t.errors[error == httplib::Error::Connection ? "refused"
                   : error == httplib::Error::ConnectionTimeout || error == httplib::Error::Read
                       ? "timeout"
                       : "reset"];
      } else {
        response = std::make_unique<proxy::http::Response>();
        response->status = res.status;
        for (const auto& [k, v] : res.headers) {
          response->headers.add(proxy::http::toLower(k), v);
        }
        response->body = res.body;
        ++t.status_counts[res.status];
        // The echo document: who served the request and what it received.
        std::string served;
        YAML::Node doc;
        try {
          doc = YAML::Load(res.body);
        } catch (const YAML::Exception&) {
          doc = YAML::Node();
        }
        if (doc.IsMap() && doc["pod"].IsScalar() && doc["namespace"].IsScalar()) {
          auto pod = std::make_unique<k8s::PodState>();
          pod->name = doc["pod"].Scalar();
          pod->namespace_name = doc["namespace"].Scalar();
          pod->workload = workloadOfPod(pod->name);
          if (doc["labels"].IsMap()) {
            for (const auto& kv : doc["labels"]) {
              pod->labels[kv.first.Scalar()] = kv.second.IsScalar() ? kv.second.Scalar() : "";
            }
          }
          served = pod->id();
          pods.try_emplace(served, std::move(pod));
          const YAML::Node r = doc["request"];
          if (r.IsMap()) {
            proxy::http::Request seen;
            seen.method = r["method"].IsScalar() ? r["method"].Scalar() : "";
            seen.authority = r["host"].IsScalar() ? r["host"].Scalar() : "";
            seen.path = r["path"].IsScalar() ? r["path"].Scalar() : "";
            // Older echo servers have no "protocol" (a missing key of a const node is invalid:
            // ask IsDefined() first).
            const YAML::Node protocol = r["protocol"];
            const bool has_protocol =
                protocol.IsDefined() && protocol.IsScalar() &&
                (protocol.Scalar() == "HTTP/1.1" || protocol.Scalar() == "HTTP/2");
            if (has_protocol && protocol.Scalar() == "HTTP/2") {
              seen.protocol = proxy::http::Protocol::Http2;
            }
            if (r["headers"].IsMap()) {
              for (const auto& kv : r["headers"]) {
                seen.headers.add(proxy::http::toLower(kv.first.Scalar()),
                                 kv.second.IsScalar() ? kv.second.Scalar() : "");
              }
            }
            for (const auto& e : scenario.expect) {
              if (e.has_upstream && e.traffic == spec.name) {
                record(upstream_checks[&e],
                       e.upstream_protocol && !has_protocol
                           ? "the echo document has no request.protocol (HTTP/1.1 or HTTP/2)"
                           : checkUpstreamRequest(e, seen));
              }
            }
          }
        }
        ++t.served_by[served];
      }
      for (const auto& e : scenario.expect) {
        if (e.has_response && e.traffic == spec.name) {
          record(response_checks[&e], checkResponseMessage(e, response.get()));
        }
      }
    }
  }

  const auto pod_ever = [&pods](const std::string& id) -> const k8s::PodState* {
    const auto it = pods.find(id);
    return it == pods.end() ? nullptr : it->second.get();
  };
  // A key observes when it selects a Deployment of the scenario or a pod that answered.
  const auto key_observes = [&](const std::string& key) {
    return deploymentMatchesServedByKey(scenario.manifests.k8s.deployments, key) ||
           std::any_of(pods.begin(), pods.end(),
                       [&](const auto& p) { return podMatchesServedByKey(*p.second, key); });
  };
  for (const auto& e : scenario.expect) {
    if (e.slo) {
      result.expectations.push_back(
          skipped(e, "slo " + e.slo->service,
                  "needs the mesh's metrics; a --target run sees only responses"));
      continue;
    }
    if (!e.metric.empty()) {
      result.expectations.push_back(skipped(
          e, "metric " + e.metric, "needs the mesh's metrics; a --target run sees only responses"));
      continue;
    }
    for (size_t i = 0; i < scenario.traffic.size(); ++i) {
      const TrafficResult& t = result.traffic[i];
      if (t.name != e.traffic) {
        continue;
      }
      const std::string what = "traffic " + t.name;
      if (!stream_skip[i].empty()) {
        result.expectations.push_back(skipped(e, what, stream_skip[i]));
        break;
      }
      // Judge what the outside can see; attempts, flags and latency are inside knowledge.
      Expectation outside = e;
      outside.attempts.reset();
      outside.response_flags.reset();
      outside.latency.clear();
      judgeTrafficExpectation(outside, t, pod_ever, key_observes, result.expectations);
      if (e.attempts) {
        result.expectations.push_back(skipped(e, what + ": attempts " + std::to_string(*e.attempts),
                                              "upstream attempts are counted inside the mesh"));
      }
      if (e.response_flags) {
        result.expectations.push_back(skipped(e, what + ": responseFlags " + *e.response_flags,
                                              "response flags are the proxies' inside knowledge"));
      }
      if (!e.latency.empty()) {
        result.expectations.push_back(
            skipped(e, what + ": latency", "latency expectations are in virtual time"));
      }
      const auto judge = [&](const std::map<const Expectation*, Check>& checks, const char* name,
                             const char* noun) {
        const auto it = checks.find(&e);
        if (it == checks.end()) {
          return;
        }
        ExpectationResult r;
        r.location = e.location;
        r.what = what + ": " + name;
        const Check& c = it->second;
        r.passed = c.checked > 0 && c.failed == 0;
        r.detail = std::to_string(c.checked - c.failed) + " of " + std::to_string(c.checked) + " " +
                   noun + " as expected" + (c.failed == 0 ? "" : "; first mismatch: " + c.first);
        result.expectations.push_back(std::move(r));
      };
      if (e.has_upstream) {
        if (upstream_checks.count(&e) == 0) {
          ExpectationResult r;
          r.location = e.location;
          r.what = what + ": upstream request";
          r.detail = "no response carried an echo document (pod, namespace, request) to check";
          result.expectations.push_back(std::move(r));
        }
        judge(upstream_checks, "upstream request", "requests at the apps");
      }
      judge(response_checks, "response", "responses");
      break;
    }
  }
  return result;
}

}  // namespace meshsim::sim::scenario
