#include "sim/scenario/runner.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <unordered_map>

#include <re2/re2.h>

#include "proxy/stats/response_flags.h"
#include "sim/driver/scrape_clock.h"
#include "sim/driver/traffic.h"
#include "sim/mesh.h"
#include "sim/scenario/report.h"
#include "sim/telemetry/scrape.h"
#include "sim/telemetry/slo.h"

namespace meshsim::sim::scenario {

namespace {

std::string percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f%%", share * 100.0);
  return buf;
}

std::string number(double v) {
  char buf[64];
  if (std::fabs(v - std::round(v)) < 1e-9 && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.6g", v);
  }
  return buf;
}

// A per-message expectation (upstream or response) being checked while traffic runs.
struct MessageCheck {
  const Expectation* expectation;
  uint64_t checked = 0;
  uint64_t failed = 0;
  std::string first_failure;

  void record(const std::string& failure) {
    ++checked;
    if (!failure.empty()) {
      if (failed++ == 0) {
        first_failure = failure;
      }
    }
  }
};

std::string checkHeaders(const HeaderExpectations& want, const proxy::http::HeaderMap& have,
                         const std::string* authority) {
  for (const auto& [name, value] : want) {
    const std::string* v = (name == "host" && authority != nullptr) ? authority : have.get(name);
    if (v == nullptr) {
      if (value) {
        return "header " + name + " is absent, expected \"" + *value + "\"";
      }
      continue;
    }
    if (!value) {
      return "header " + name + " is \"" + *v + "\", expected absent";
    }
    if (*v != *value) {
      return "header " + name + " is \"" + *v + "\", expected \"" + *value + "\"";
    }
  }
  return "";
}

std::string checkUpstream(const Expectation& e, const proxy::http::Request& r) {
  if (e.upstream_host && r.authority != *e.upstream_host) {
    return "host is \"" + r.authority + "\", expected \"" + *e.upstream_host + "\"";
  }
  if (e.upstream_path && r.path != *e.upstream_path) {
    return "path is \"" + r.path + "\", expected \"" + *e.upstream_path + "\"";
  }
  if (e.upstream_protocol && r.protocol != *e.upstream_protocol) {
    return "protocol is " + std::string(proxy::http::protocolName(r.protocol)) + ", expected " +
           std::string(proxy::http::protocolName(*e.upstream_protocol));
  }
  return checkHeaders(e.upstream_headers, r.headers, &r.authority);
}

std::string checkResponse(const Expectation& e, const proxy::http::Response* r) {
  if (r == nullptr) {
    return "no response";
  }
  std::string failure = checkHeaders(e.response_headers, r->headers, nullptr);
  if (!failure.empty() || !e.response_body) {
    return failure;
  }
  const BodyMatch& m = *e.response_body;
  const auto shown = [&] {
    return r->body.size() > 200 ? "\"" + r->body.substr(0, 200) + "...\"" : "\"" + r->body + "\"";
  };
  switch (m.kind) {
    case BodyMatch::Kind::Exact:
      return r->body == m.value ? "" : "body is " + shown() + ", expected \"" + m.value + "\"";
    case BodyMatch::Kind::Contains:
      return r->body.find(m.value) != std::string::npos
                 ? ""
                 : "body is " + shown() + ", expected it to contain \"" + m.value + "\"";
    case BodyMatch::Kind::Regex:
      return re2::RE2::FullMatch(r->body, re2::RE2(m.value))
                 ? ""
                 : "body is " + shown() + ", expected it to match /" + m.value + "/";
  }
  return "";
}

// A stream's tag: the stream's number (from 1) in the low kStreamBits bits, the request's
// number (from 1) above them. Proxies carry it to the apps, so that what an app receives is tied
// to its stream and request without looking at any header.
constexpr int kStreamBits = 20;
constexpr uint64_t kStreamMask = (uint64_t{1} << kStreamBits) - 1;

// What a stream's finished requests add up to, in forms that are cheap to update per request (no
// strings, no maps keyed by text, nothing kept per request); turned into the TrafficResult's
// maps when the run ends.
class Tally {
public:
  void record(const driver::Completion& c, proxy::MonotonicTime now) {
    const auto us = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - c.sent_at).count());
    if (latency_count_ == nullptr || us != latency_us_) {
      latency_us_ = us;
      latency_count_ = &latencies_[us];
    }
    ++*latency_count_;
    if (c.response == nullptr) {
      ++status_[0];
      ++errors_[static_cast<size_t>(c.reset)];
      return;
    }
    const int status = c.response->status;
    if (status > 0 && status < static_cast<int>(status_.size())) {
      ++status_[static_cast<size_t>(status)];
    } else {
      ++other_status_[status];
    }
    const uint32_t flags = c.response->response_flags;
    auto f =
        std::find_if(flags_.begin(), flags_.end(), [&](const auto& e) { return e.first == flags; });
    if (f == flags_.end()) {
      flags_.emplace_back(flags, 1);
    } else {
      ++f->second;
    }
    const uint64_t origin = c.response->origin;
    if (origin >= origins_.size()) {
      origins_.resize(origin + 1);
    }
    ++origins_[origin];
  }

  void finish(const Mesh& mesh, TrafficResult& out) const {
    for (size_t code = 0; code < status_.size(); ++code) {
      if (status_[code] != 0) {
        out.status_counts[static_cast<int>(code)] += status_[code];
      }
    }
    for (const auto& [code, n] : other_status_) {
      out.status_counts[code] += n;
    }
    for (size_t r = 0; r < errors_.size(); ++r) {
      if (errors_[r] != 0) {
        out.errors[driver::errorName(static_cast<proxy::ResetReason>(r))] += errors_[r];
      }
    }
    for (const auto& [flags, n] : flags_) {
      out.response_flags[proxy::stats::responseFlagsToString(flags)] += n;
    }
    for (size_t origin = 0; origin < origins_.size(); ++origin) {
      if (origins_[origin] != 0) {
        const k8s::PodState* pod = mesh.podForOrigin(origin);
        out.served_by[pod == nullptr ? "" : pod->id()] += origins_[origin];
      }
    }
    out.latency_us.insert(latencies_.begin(), latencies_.end());
  }

private:
  std::array<uint64_t, 600> status_{};  // [0]: no response
  std::map<int, uint64_t> other_status_;
  std::array<uint64_t, static_cast<size_t>(proxy::ResetReason::Overflow) + 1> errors_{};
  std::vector<std::pair<uint32_t, uint64_t>> flags_;  // response flag bits -> responses
  std::vector<uint64_t> origins_;                     // Response::origin -> responses
  std::unordered_map<uint64_t, uint64_t> latencies_;  // microseconds -> requests
  uint64_t latency_us_ = 0;
  uint64_t* latency_count_ = nullptr;  // &latencies_[latency_us_]; node addresses are stable
};

// One traffic stream of the scenario: its request, its pacing and what it has seen.
struct StreamState {
  const TrafficSpec* spec = nullptr;
  std::unique_ptr<driver::RequestTemplate> request;
  std::unique_ptr<driver::Stream> stream;
  Tally tally;
  std::vector<MessageCheck> upstream_checks;
  std::vector<MessageCheck> response_checks;
  // Whether an expectation reads the attempts per request; only then are they recorded.
  bool count_attempts = false;
  // Per request in flight that reached an app (by tag): the highest x-envoy-attempt-count an app
  // saw for it. Moved into `attempts` when the request ends.
  std::unordered_map<uint64_t, uint64_t> attempts_in_flight;
  std::map<uint64_t, uint64_t> attempts;  // attempts -> requests
  // followRedirects: the distinct chains seen and how many stopped at an unfollowed redirect.
  std::vector<TrafficResult::RedirectChain> redirects;
  uint64_t redirects_not_followed = 0;

  void recordRedirects(const driver::Completion& c) {
    const int final_status = c.response == nullptr ? 0 : c.response->status;
    const auto same = [&](const TrafficResult::RedirectChain& chain) {
      if (chain.final_status != final_status || chain.hops.size() != c.redirects.size()) {
        return false;
      }
      for (size_t i = 0; i < chain.hops.size(); ++i) {
        const auto& a = chain.hops[i];
        const auto& b = c.redirects[i];
        if (a.status != b.status || a.location != b.location || a.next_url != b.next_url ||
            a.not_followed != b.not_followed) {
          return false;
        }
      }
      return true;
    };
    auto it = std::find_if(redirects.begin(), redirects.end(), same);
    if (it == redirects.end()) {
      redirects.push_back({c.redirects, final_status, 0});
      it = std::prev(redirects.end());
    }
    ++it->requests;
    if (!c.redirects.empty() && !c.redirects.back().not_followed.empty()) {
      ++redirects_not_followed;
    }
  }
};

// A redirect hop as the reports show it: "301 -> http://hello.com/new" or "301 -> https://x/
// (not followed: ...)".
std::string describeHop(const driver::RedirectHop& hop) {
  std::string out =
      std::to_string(hop.status) + " -> " + (hop.next_url.empty() ? hop.location : hop.next_url);
  if (!hop.not_followed.empty()) {
    out += " (not followed: " + hop.not_followed + ")";
  }
  return out;
}

// Where a stream's requests go and who sends them; errors name the scenario's field.
StatusOr<driver::Target> resolveStream(const Mesh& mesh, const TrafficSpec& spec, const Url& url) {
  auto from = driver::Sender::parse(spec.from, spec.namespace_name);
  if (!from.ok()) {
    return yaml::errorAt(spec.location, "from", from.status().message());
  }
  driver::TargetPart part = driver::TargetPart::From;
  auto target = driver::resolveTarget(mesh, *from, url, &part);
  if (!target.ok()) {
    return yaml::errorAt(spec.location, part == driver::TargetPart::Url ? "request.url" : "from",
                         target.status().message());
  }
  return target;
}

ExpectationResult newResult(const yaml::Location& at, std::string what) {
  ExpectationResult r;
  r.location = at;
  r.what = std::move(what);
  return r;
}

// Parses a servedBy key: "hello-v1" (a deployment) or "version=v2,app=hello" (labels).
bool podMatchesKey(const k8s::PodState& pod, const std::string& key) {
  if (key.find('=') == std::string::npos) {
    return pod.workload == key || pod.id() == key || pod.name == key;
  }
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find(',', start);
    if (end == std::string::npos) {
      end = key.size();
    }
    const std::string part = key.substr(start, end - start);
    const size_t eq = part.find('=');
    if (eq == std::string::npos) {
      return false;
    }
    auto it = pod.labels.find(part.substr(0, eq));
    if (it == pod.labels.end() || it->second != part.substr(eq + 1)) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

// Whether a Deployment (also one scaled to zero, which has no pod) matches a servedBy key: by
// name, or its pod template's labels by a label selector.
bool deploymentMatchesKey(const std::vector<k8s::Deployment>& deployments, const std::string& key) {
  return std::any_of(deployments.begin(), deployments.end(), [&](const k8s::Deployment& d) {
    k8s::PodState pod;
    pod.workload = d.meta.name;
    pod.labels = d.template_labels;
    return podMatchesKey(pod, key);
  });
}

// The pods of a partition or heal reference, among the running pods of the current world.
StatusOr<std::vector<size_t>> selectPods(const Mesh& mesh, const std::string& ref,
                                         const std::string& namespace_name) {
  std::vector<size_t> out;
  const auto& pods = mesh.world().pods();
  for (size_t i = 0; i < pods.size(); ++i) {
    const k8s::PodState& pod = pods[i];
    bool match = false;
    if (ref == "ingress") {
      auto it = pod.labels.find("istio");
      match = pod.gateway && it != pod.labels.end() && it->second == "ingressgateway";
    } else if (pod.namespace_name != namespace_name) {
      match = false;
    } else if (ref.starts_with("pod/")) {
      match = pod.name == ref.substr(4);
    } else if (ref.starts_with("deployment/")) {
      match = pod.workload == ref.substr(11) && pod.name != pod.workload;
    } else {
      match = podMatchesKey(pod, ref);
    }
    if (match) {
      out.push_back(i);
    }
  }
  if (out.empty()) {
    return notFoundError("no running pod matches \"" + ref + "\"" +
                         (ref == "ingress" ? "" : " in namespace " + namespace_name));
  }
  return out;
}

Status runEvent(Mesh& mesh, const EventSpec& e) {
  switch (e.kind) {
    case EventSpec::Kind::Kill:
      return mesh.killPod(e.namespace_name, e.pod, e.propagation, e.replace);
    case EventSpec::Kind::Restart:
      return mesh.restartPod(e.namespace_name, e.pod, e.downtime);
    case EventSpec::Kind::Scale:
      return mesh.scale(e.namespace_name, e.deployment, e.replicas, e.propagation);
    case EventSpec::Kind::Apply:
      return mesh.apply(e.manifests, e.propagation);
    case EventSpec::Kind::Delete:
      return mesh.remove(e.kind_name, e.namespace_name, e.name, e.propagation);
    case EventSpec::Kind::Partition:
    case EventSpec::Kind::Heal: {
      if (e.kind == EventSpec::Kind::Heal && e.from.empty()) {
        mesh.healAll();
        return okStatus();
      }
      MESHSIM_ASSIGN_OR_RETURN(auto a, selectPods(mesh, e.from, e.namespace_name));
      MESHSIM_ASSIGN_OR_RETURN(auto b, selectPods(mesh, e.to, e.namespace_name));
      if (e.kind == EventSpec::Kind::Partition) {
        mesh.partition(a, b, e.drop);
      } else {
        mesh.heal(a, b);
      }
      return okStatus();
    }
  }
  return okStatus();
}

std::string statusSummary(const TrafficResult& t) {
  std::string out;
  for (const auto& [code, n] : t.status_counts) {
    if (!out.empty()) {
      out += ", ";
    }
    out +=
        (code == 0 ? std::string("no response") : std::to_string(code)) + " x " + std::to_string(n);
  }
  return out.empty() ? "no responses" : out;
}

void judgeTraffic(const Expectation& e, const TrafficResult& t, const PodLookup& pod_ever,
                  const KeyObserves& key_observes, std::vector<ExpectationResult>& out) {
  const uint64_t total = t.completed();
  if (e.status) {
    ExpectationResult r =
        newResult(e.location, "traffic " + t.name + ": status " + std::to_string(*e.status));
    const auto it = t.status_counts.find(*e.status);
    r.passed = total > 0 && it != t.status_counts.end() && it->second == total;
    r.detail = "saw " + statusSummary(t);
    out.push_back(std::move(r));
  }
  for (const auto& [code, cmp] : e.status_distribution) {
    ExpectationResult r = newResult(e.location, "traffic " + t.name + ": status " +
                                                    std::to_string(code) + " share " + cmp.text);
    const auto it = t.status_counts.find(code);
    const uint64_t n = it == t.status_counts.end() ? 0 : it->second;
    const double share = total == 0 ? 0 : static_cast<double>(n) / static_cast<double>(total);
    r.passed = total > 0 && cmp.holds(share);
    r.detail = "saw " + percent(share) + " (" + std::to_string(n) + " of " + std::to_string(total) +
               "; " + statusSummary(t) + ")";
    out.push_back(std::move(r));
  }
  if (!e.error.empty()) {
    ExpectationResult r = newResult(e.location, "traffic " + t.name + ": error " + e.error);
    const auto it = t.errors.find(e.error);
    r.passed = total > 0 && it != t.errors.end() && it->second == total;
    std::string seen;
    for (const auto& [name, n] : t.errors) {
      seen += (seen.empty() ? "" : ", ") + name + " x " + std::to_string(n);
    }
    r.detail = "saw " + statusSummary(t) + (seen.empty() ? "" : "; errors: " + seen);
    out.push_back(std::move(r));
  }
  if (e.response_flags) {
    ExpectationResult r =
        newResult(e.location, "traffic " + t.name + ": responseFlags " + *e.response_flags);
    const auto it = t.response_flags.find(*e.response_flags);
    r.passed = total > 0 && it != t.response_flags.end() && it->second == total;
    std::string seen;
    for (const auto& [flags, n] : t.response_flags) {
      seen += (seen.empty() ? "" : ", ") + flags + " x " + std::to_string(n);
    }
    r.detail = "saw " + (seen.empty() ? std::string("no responses") : seen);
    out.push_back(std::move(r));
  }
  if (e.attempts) {
    ExpectationResult r =
        newResult(e.location, "traffic " + t.name + ": attempts " + std::to_string(*e.attempts));
    uint64_t counted = 0;
    std::string seen;
    for (const auto& [n, requests] : t.attempts) {
      counted += requests;
      seen += (seen.empty() ? "" : ", ") + std::to_string(n) + " attempts x " +
              std::to_string(requests);
    }
    const auto it = t.attempts.find(static_cast<uint64_t>(*e.attempts));
    r.passed = counted > 0 && it != t.attempts.end() && it->second == counted;
    r.detail = counted == 0 ? "no request reached an app" : "saw " + seen;
    out.push_back(std::move(r));
  }
  for (const auto& [q, cmp] : e.latency) {
    char name[32];
    std::snprintf(name, sizeof(name), "p%g", q * 100);
    ExpectationResult r =
        newResult(e.location, "traffic " + t.name + ": latency " + name + " " + cmp.text);
    const double ms = static_cast<double>(percentileUs(t.latency_us, q)) / 1000.0;
    r.passed = !t.latency_us.empty() && cmp.holds(ms);
    r.detail = "saw " + number(ms) + "ms";
    out.push_back(std::move(r));
  }
  if (e.served_by.empty()) {
    return;
  }
  // Served-by counts per key, from the pods that produced the responses.
  std::string seen;
  for (const auto& [pod, n] : t.served_by) {
    if (!seen.empty()) {
      seen += ", ";
    }
    seen += (pod.empty() ? std::string("(local reply)") : pod) + " x " + std::to_string(n);
  }
  for (const auto& sb : e.served_by) {
    // A key that selects no pod that exists or existed in the run (a misspelt deployment or
    // label) would only ever count 0: an error, not a pass of "0%".
    if (!key_observes(sb.key)) {
      ExpectationResult r = newResult(
          e.location, "traffic " + t.name + ": servedBy " + sb.key + " " + percent(sb.share));
      r.invalid = true;
      r.detail = "\"" + sb.key +
                 "\" selects no pod of this run (keys are deployment or pod names, or label "
                 "selectors like version=v2)";
      out.push_back(std::move(r));
      continue;
    }
    uint64_t n = 0;
    for (const auto& [pod_id, count] : t.served_by) {
      const size_t slash = pod_id.find('/');
      if (slash == std::string::npos) {
        continue;
      }
      const k8s::PodState* pod = pod_ever(pod_id);
      if (pod != nullptr && podMatchesKey(*pod, sb.key)) {
        n += count;
      }
    }
    const double share = total == 0 ? 0 : static_cast<double>(n) / static_cast<double>(total);
    const double tol = e.tolerance.value_or(defaultTolerance(sb.share, total));
    ExpectationResult r = newResult(
        e.location, "traffic " + t.name + ": servedBy " + sb.key + " " + percent(sb.share));
    r.passed = total > 0 && std::fabs(share - sb.share) <= tol + 1e-9;
    r.detail = "saw " + percent(share) + " (" + std::to_string(n) + " of " + std::to_string(total) +
               "), allowed " + percent(sb.share) + " +/- " + percent(tol) +
               (e.tolerance ? "" : " (99.9% binomial interval)") + "; served by " + seen;
    out.push_back(std::move(r));
  }
}

// Judges an slo expectation on the run's scrapes, at the last one.
void judgeSlo(const Expectation& e, const telemetry::Tsdb& tsdb,
              std::vector<ExpectationResult>& out) {
  const SloExpectation& slo = *e.slo;
  telemetry::SloSpec spec;
  spec.service = slo.service;
  spec.reporter = slo.reporter;
  for (const auto& [q, cmp] : slo.latency) {
    spec.quantiles.push_back(q);
  }
  if (slo.window) {
    spec.window = *slo.window;
  }
  const std::string what = "slo " + slo.service;
  const auto at = tsdb.lastScrape();
  auto m = at ? telemetry::measureSlo(spec, tsdb, *at)
              : StatusOr<telemetry::SloMeasurement>(failedPreconditionError("no scrapes"));
  const auto fail = [&](const std::string& suffix, std::string detail) {
    ExpectationResult r = newResult(e.location, what + suffix);
    r.detail = std::move(detail);
    out.push_back(std::move(r));
  };
  const std::string counted =
      m.ok() ? number(m->requests) + " requests, reporter=" + slo.reporter : "";
  if (slo.error_rate) {
    const std::string suffix = ": error rate " + slo.error_rate->text;
    if (!m.ok()) {
      fail(suffix, m.status().message());
    } else {
      ExpectationResult r = newResult(e.location, what + suffix);
      r.passed = m->requests > 0 && slo.error_rate->holds(m->error_rate);
      r.detail = m->requests > 0 ? "saw " + percent(m->error_rate) + " (" + number(m->errors) +
                                       " errors in " + counted + ")"
                                 : "no requests to the service in the metrics";
      out.push_back(std::move(r));
    }
  }
  for (size_t i = 0; i < slo.latency.size(); ++i) {
    const auto& [q, cmp] = slo.latency[i];
    char name[32];
    std::snprintf(name, sizeof(name), "p%g", q * 100);
    const std::string suffix = std::string(": latency ") + name + " " + cmp.text;
    if (!m.ok()) {
      fail(suffix, m.status().message());
      continue;
    }
    ExpectationResult r = newResult(e.location, what + suffix);
    const double ms = m->latency_ms[i].second;
    r.passed = m->requests > 0 && !std::isnan(ms) && cmp.holds(ms);
    r.detail = m->requests > 0 ? "saw " + number(ms) + "ms (histogram_quantile, " + counted + ")"
                               : "no requests to the service in the metrics";
    out.push_back(std::move(r));
  }
}

}  // namespace

std::string checkUpstreamRequest(const Expectation& e, const proxy::http::Request& r) {
  return checkUpstream(e, r);
}

std::string checkResponseMessage(const Expectation& e, const proxy::http::Response* r) {
  return checkResponse(e, r);
}

void judgeTrafficExpectation(const Expectation& e, const TrafficResult& t,
                             const PodLookup& pod_ever, const KeyObserves& key_observes,
                             std::vector<ExpectationResult>& out) {
  judgeTraffic(e, t, pod_ever, key_observes, out);
}

bool podMatchesServedByKey(const k8s::PodState& pod, const std::string& key) {
  return podMatchesKey(pod, key);
}

bool deploymentMatchesServedByKey(const std::vector<k8s::Deployment>& deployments,
                                  const std::string& key) {
  return deploymentMatchesKey(deployments, key);
}

uint64_t TrafficResult::completed() const {
  uint64_t n = 0;
  for (const auto& [code, count] : status_counts) {
    n += count;
  }
  return n;
}

bool RunResult::invalid() const {
  return std::any_of(expectations.begin(), expectations.end(),
                     [](const ExpectationResult& e) { return e.invalid; });
}

bool RunResult::passed() const {
  for (const auto& e : expectations) {
    if (!e.passed && !e.skipped) {
      return false;
    }
  }
  return true;
}

double defaultTolerance(double p, uint64_t n) {
  if (n == 0) {
    return 0;
  }
  constexpr double kZ999 = 3.2905;
  return kZ999 * std::sqrt(p * (1 - p) / static_cast<double>(n));
}

StatusOr<RunResult> runScenario(const Scenario& scenario, const RunOptions& options) {
  RunResult result;
  result.file = scenario.file;
  result.name = scenario.name;
  result.description = scenario.description;
  result.seed = options.seed.value_or(scenario.seed);

  MeshOptions mesh_options;
  mesh_options.seed = result.seed;
  if (!scenario.istio_version.empty()) {
    mesh_options.istio_minor = std::stoi(scenario.istio_version.substr(2));
  }
  mesh_options.workloads = scenario.workloads;
  // Only a `body` expectation reads a response body; without one, the echo apps count their
  // documents' sizes instead of writing them (the same report, a cheaper request).
  mesh_options.echo_bodies =
      std::any_of(scenario.expect.begin(), scenario.expect.end(),
                  [](const Expectation& e) { return e.response_body.has_value(); });
  MESHSIM_ASSIGN_OR_RETURN(auto mesh, Mesh::create(scenario.manifests, mesh_options));
  result.warnings = mesh->warnings();
  if (options.on_mesh_ready) {
    options.on_mesh_ready(*mesh);
  }

  if (scenario.traffic.size() >= kStreamMask) {
    return invalidArgumentError(scenario.file + ": too many traffic streams (" +
                                std::to_string(scenario.traffic.size()) + ")");
  }
  result.traffic.resize(scenario.traffic.size());
  std::vector<StreamState> streams(scenario.traffic.size());
  for (size_t i = 0; i < streams.size(); ++i) {
    streams[i].spec = &scenario.traffic[i];
    for (const auto& e : scenario.expect) {
      if (e.traffic != scenario.traffic[i].name) {
        continue;
      }
      if (e.has_upstream) {
        streams[i].upstream_checks.push_back(MessageCheck{&e});
      }
      if (e.has_response) {
        streams[i].response_checks.push_back(MessageCheck{&e});
      }
      streams[i].count_attempts = streams[i].count_attempts || e.attempts.has_value();
    }
  }
  // What the apps receive, by stream (the tag's low bits): upstream expectations check every
  // request; attempts are recorded only for streams whose expectations read them.
  mesh->setRequestObserver([&streams](const k8s::PodState&, const proxy::http::Request& request) {
    const uint64_t stream = request.tag & kStreamMask;
    if (stream == 0 || stream > streams.size()) {
      return;
    }
    StreamState& s = streams[stream - 1];
    if (s.count_attempts && request.headers.get("x-request-id") != nullptr) {
      const std::string* attempt = request.headers.get("x-envoy-attempt-count");
      uint64_t& n = s.attempts_in_flight[request.tag];
      n = std::max<uint64_t>(n,
                             attempt == nullptr ? 1 : std::strtoull(attempt->c_str(), nullptr, 10));
    }
    for (auto& check : s.upstream_checks) {
      check.record(checkUpstream(*check.expectation, request));
    }
  });
  // Events first: one at the same time as a stream's start happens before its first request.
  Status event_error = okStatus();
  for (const EventSpec& ev : scenario.events) {
    mesh->loop().postAfter(ev.at, [&mesh, &ev, &event_error, &result] {
      if (!event_error.ok()) {
        return;
      }
      if (Status st = runEvent(*mesh, ev); !st.ok()) {
        event_error = yaml::errorAt(ev.location, ev.path, st.message());
        return;
      }
      result.events.push_back({mesh->loop().elapsed(), ev.describe()});
    });
  }
  for (size_t i = 0; i < scenario.traffic.size(); ++i) {
    const TrafficSpec& spec = scenario.traffic[i];
    StreamState& s = streams[i];
    TrafficResult& tr = result.traffic[i];
    tr.name = spec.name;
    tr.from = spec.from;
    tr.url = spec.request.url;
    MESHSIM_ASSIGN_OR_RETURN(
        auto request, driver::RequestTemplate::create(spec.request.method, spec.request.url,
                                                      spec.request.headers, spec.request.body));
    request.setProtocol(spec.request.protocol);
    s.request = std::make_unique<driver::RequestTemplate>(std::move(request));
    MESHSIM_ASSIGN_OR_RETURN(driver::Target target, resolveStream(*mesh, spec, s.request->url()));
    driver::Pacing pacing{spec.count, spec.concurrency, spec.rate, spec.start};
    const uint64_t stream_bits = i + 1;
    std::optional<driver::Sender> redirect_from;
    if (spec.max_redirects > 0) {
      MESHSIM_ASSIGN_OR_RETURN(redirect_from,
                               driver::Sender::parse(spec.from, spec.namespace_name));
    }
    s.stream = std::make_unique<driver::Stream>(
        *mesh, std::move(target), *s.request, pacing,
        [stream_bits](uint64_t index) { return ((index + 1) << kStreamBits) | stream_bits; },
        [&s, &mesh](driver::Completion& c) {
          for (auto& check : s.response_checks) {
            check.record(checkResponse(*check.expectation, c.response.get()));
          }
          if (s.count_attempts) {
            if (auto it = s.attempts_in_flight.find(c.tag); it != s.attempts_in_flight.end()) {
              ++s.attempts[it->second];
              s.attempts_in_flight.erase(it);
            }
          }
          if (s.spec->max_redirects > 0) {
            s.recordRedirects(c);
          }
          s.tally.record(c, mesh->loop().now());
        });
    if (redirect_from) {
      s.stream->followRedirects(std::move(*redirect_from), spec.max_redirects);
    }
    s.stream->start();
  }
  telemetry::Tsdb tsdb;
  driver::ScrapeClock clock(*mesh, tsdb, options.scrape_interval);
  clock.runUntilIdle();
  MESHSIM_RETURN_IF_ERROR(event_error);
  result.warnings = mesh->warnings();
  for (size_t i = 0; i < streams.size(); ++i) {
    StreamState& s = streams[i];
    TrafficResult& tr = result.traffic[i];
    tr.sent = s.stream->sent();
    s.tally.finish(*mesh, tr);
    // Requests an app saw after their client had its answer (none is known to happen) count too.
    for (const auto& [tag, n] : s.attempts_in_flight) {
      ++s.attempts[n];
    }
    tr.attempts = std::move(s.attempts);
    tr.redirects = std::move(s.redirects);
    tr.redirects_not_followed = s.redirects_not_followed;
  }
  result.virtual_time = mesh->loop().elapsed();
  if (options.on_finished) {
    options.on_finished(*mesh, tsdb);
  }

  // Metric expectations see every scrape of the run, so rate() and increase() work; evaluated
  // at the final scrape.
  const std::vector<telemetry::Sample> samples = telemetry::scrapeMesh(mesh->proxies());
  for (const auto& e : scenario.expect) {
    if (e.slo) {
      judgeSlo(e, tsdb, result.expectations);
      continue;
    }
    if (!e.metric.empty()) {
      auto q = telemetry::MetricQuery::parse(e.metric);
      const std::string& cmp = e.value->text;
      const bool has_op = !cmp.empty() && (cmp[0] == '<' || cmp[0] == '>' || cmp[0] == '=');
      ExpectationResult r =
          newResult(e.location, "metric " + e.metric + (has_op ? " " : " == ") + cmp);
      if (!q.ok()) {
        r.detail = q.status().message();
      } else if (auto v = tsdb.lastScrape() ? q->evaluateScalar(tsdb, *tsdb.lastScrape())
                                            : q->evaluateScalar(samples);
                 !v.ok()) {
        r.detail = v.status().message();
      } else {
        r.passed = e.value->holds(*v);
        r.detail = "saw " + number(*v);
      }
      result.expectations.push_back(std::move(r));
      continue;
    }
    for (size_t i = 0; i < result.traffic.size(); ++i) {
      const TrafficResult& t = result.traffic[i];
      if (t.name != e.traffic) {
        continue;
      }
      const size_t first_result = result.expectations.size();
      judgeTraffic(
          e, t, [&mesh](const std::string& id) { return mesh->podEver(id); },
          [&mesh](const std::string& key) {
            return mesh->anyPodEver([&](const k8s::PodState& pod) {
              return podMatchesKey(pod, key);
            }) || deploymentMatchesKey(mesh->manifests().k8s.deployments, key);
          },
          result.expectations);
      const auto judge = [&](const std::vector<MessageCheck>& checks, const char* what,
                             const char* noun) {
        for (const auto& c : checks) {
          if (c.expectation != &e) {
            continue;
          }
          ExpectationResult r = newResult(e.location, "traffic " + t.name + ": " + what);
          r.passed = c.checked > 0 && c.failed == 0;
          r.detail = c.checked == 0
                         ? std::string("no ") + noun + " to check"
                         : std::to_string(c.checked - c.failed) + " of " +
                               std::to_string(c.checked) + " " + noun + " as expected" +
                               (c.failed == 0 ? "" : "; first mismatch: " + c.first_failure);
          result.expectations.push_back(std::move(r));
        }
      };
      judge(streams[i].upstream_checks, "upstream request", "requests at the apps");
      judge(streams[i].response_checks, "response", "responses");
      // A request that stopped at a redirect it should have followed did not end where the
      // scenario asked to look: nothing about the stream passes.
      if (t.redirects_not_followed > 0) {
        std::string hop;
        for (const auto& chain : t.redirects) {
          if (!chain.hops.empty() && !chain.hops.back().not_followed.empty()) {
            hop = describeHop(chain.hops.back());
            break;
          }
        }
        for (size_t k = first_result; k < result.expectations.size(); ++k) {
          ExpectationResult& r = result.expectations[k];
          r.passed = false;
          r.detail += "; " + std::to_string(t.redirects_not_followed) + " of " +
                      std::to_string(t.completed()) +
                      " requests stopped at a redirect the client did not follow: " + hop;
        }
      }
    }
  }
  return result;
}

}  // namespace meshsim::sim::scenario
