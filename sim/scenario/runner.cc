#include "sim/scenario/runner.h"

#include <cmath>
#include <cstdio>
#include <memory>

#include <re2/re2.h>

#include "proxy/stats/response_flags.h"
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

const char* errorName(proxy::ResetReason reason) {
  switch (reason) {
    case proxy::ResetReason::ConnectFailure:
      return "refused";
    case proxy::ResetReason::RemoteReset:
    case proxy::ResetReason::ConnectionTermination:
    case proxy::ResetReason::Overflow:
    case proxy::ResetReason::None:
      return "reset";
    case proxy::ResetReason::Timeout:
      return "timeout";
  }
  return "reset";
}

// Drives one traffic stream on the mesh's loop.
class StreamDriver {
public:
  // `pods` empty: an outside client; else the pods (round robin) whose app sends.
  StreamDriver(Mesh& mesh, const TrafficSpec& spec, uint64_t tag, proxy::config::Address to,
               Url url, std::vector<const k8s::PodState*> pods, TrafficResult& result,
               std::vector<MessageCheck> response_checks)
      : mesh_(mesh),
        spec_(spec),
        tag_(tag),
        to_(to),
        url_(std::move(url)),
        pods_(std::move(pods)),
        result_(result),
        response_checks_(std::move(response_checks)) {}

  const std::vector<MessageCheck>& responseChecks() const { return response_checks_; }

  void start() {
    auto& loop = mesh_.loop();
    if (spec_.rate > 0) {
      // Open loop: request i leaves at start + i / rate, whatever is in flight.
      for (int64_t i = 0; i < spec_.count; ++i) {
        const auto at = spec_.start + std::chrono::nanoseconds(static_cast<int64_t>(
                                          static_cast<double>(i) * 1e9 / spec_.rate));
        loop.postAfter(at, [this] { sendOne(); });
      }
      return;
    }
    // Closed loop: `concurrency` clients, each sending its next request when the last ends.
    const int64_t workers = std::min(spec_.concurrency, spec_.count);
    for (int64_t i = 0; i < workers; ++i) {
      loop.postAfter(spec_.start, [this] { sendOne(); });
    }
  }

private:
  proxy::http::RequestPtr makeRequest() const {
    auto r = std::make_unique<proxy::http::Request>();
    r->method = spec_.request.method;
    r->scheme = url_.scheme;
    r->authority = url_.explicit_port ? url_.host + ":" + std::to_string(url_.port) : url_.host;
    r->path = url_.path;
    for (const auto& [k, v] : spec_.request.headers) {
      if (k == "host") {
        r->authority = v;
      } else {
        r->headers.add(k, v);
      }
    }
    r->body = spec_.request.body;
    r->tag = tag_;
    if (!r->body.empty()) {
      r->headers.set("content-length", std::to_string(r->body.size()));
    }
    return r;
  }

  void sendOne() {
    if (static_cast<int64_t>(result_.sent) >= spec_.count) {
      return;
    }
    ++result_.sent;
    const auto sent_at = mesh_.loop().now();
    auto done = [this, sent_at](proxy::http::ResponsePtr response, proxy::ResetReason reset) {
      onDone(sent_at, std::move(response), reset);
    };
    if (pods_.empty()) {
      mesh_.sendFromOutside(to_, makeRequest(), std::move(done));
    } else {
      mesh_.sendFromPod(*pods_[next_pod_++ % pods_.size()], to_, makeRequest(), std::move(done));
    }
  }

  void onDone(proxy::MonotonicTime sent_at, proxy::http::ResponsePtr response,
              proxy::ResetReason reset) {
    for (auto& check : response_checks_) {
      check.record(checkResponse(*check.expectation, response.get()));
    }
    const auto latency = mesh_.loop().now() - sent_at;
    result_.latencies_us.push_back(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(latency).count()));
    if (response == nullptr) {
      ++result_.status_counts[0];
      ++result_.errors[errorName(reset)];
    } else {
      ++result_.status_counts[response->status];
      ++result_.response_flags[proxy::stats::responseFlagsToString(response->response_flags)];
      const k8s::PodState* pod = mesh_.podForOrigin(response->origin);
      ++result_.served_by[pod == nullptr ? "" : pod->id()];
    }
    if (spec_.rate <= 0) {
      sendOne();
    }
  }

  Mesh& mesh_;
  const TrafficSpec& spec_;
  uint64_t tag_;
  proxy::config::Address to_;
  Url url_;
  std::vector<const k8s::PodState*> pods_;
  size_t next_pod_ = 0;
  TrafficResult& result_;
  std::vector<MessageCheck> response_checks_;
};

// Where a stream's requests go and who sends them: the gateway's external address for outside
// clients; for a pod, the DNS answer for the URL's host (a Service's ClusterIP) from the pod's
// namespace.
Status resolveStream(const Mesh& mesh, const TrafficSpec& spec, const Url& url,
                     proxy::config::Address* to, std::vector<const k8s::PodState*>* pods) {
  if (spec.from == "ingress" || spec.from.starts_with("ingress/")) {
    const std::string gateway = spec.from == "ingress" ? "" : spec.from.substr(8);
    auto address = mesh.ingressAddress(gateway, url.port);
    if (!address.ok()) {
      return yaml::errorAt(spec.location, "from", address.status().message());
    }
    *to = *address;
    return okStatus();
  }
  const bool deployment = spec.from.starts_with("deployment/");
  const std::string name = spec.from.substr(spec.from.find('/') + 1);
  const auto& all = mesh.world().pods();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].namespace_name == spec.namespace_name &&
        (deployment ? all[i].workload == name && all[i].name != name : all[i].name == name)) {
      pods->push_back(&all[i]);
    }
  }
  if (pods->empty()) {
    return yaml::errorAt(spec.location, "from",
                         std::string("no ") + (deployment ? "deployment " : "pod ") +
                             spec.namespace_name + "/" + name);
  }
  if (pods->front()->gateway) {
    return yaml::errorAt(spec.location, "from", "traffic cannot start in a gateway pod");
  }
  const std::optional<uint32_t> ip = mesh.resolveHost(url.host, spec.namespace_name);
  if (!ip) {
    return yaml::errorAt(spec.location, "request.url",
                         "cannot resolve host \"" + url.host + "\" from namespace " +
                             spec.namespace_name + ": no Service or ServiceEntry has that name");
  }
  *to = proxy::config::Address{*ip, url.port};
  return okStatus();
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

void judgeTraffic(const Expectation& e, const TrafficResult& t, const Mesh& mesh,
                  std::vector<ExpectationResult>& out) {
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
    const double ms = static_cast<double>(percentileUs(t.latencies_us, q)) / 1000.0;
    r.passed = !t.latencies_us.empty() && cmp.holds(ms);
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
    uint64_t n = 0;
    for (const auto& [pod_id, count] : t.served_by) {
      const size_t slash = pod_id.find('/');
      if (slash == std::string::npos) {
        continue;
      }
      const k8s::PodState* pod = mesh.podEver(pod_id);
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

uint64_t TrafficResult::completed() const {
  uint64_t n = 0;
  for (const auto& [code, count] : status_counts) {
    n += count;
  }
  return n;
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
  MESHSIM_ASSIGN_OR_RETURN(auto mesh, Mesh::create(scenario.manifests, mesh_options));
  result.warnings = mesh->warnings();
  if (options.on_mesh_ready) {
    options.on_mesh_ready(*mesh);
  }

  result.traffic.resize(scenario.traffic.size());
  // upstream expectations see every request an app receives, by stream (tag = index + 1).
  std::vector<std::vector<MessageCheck>> upstream_checks(scenario.traffic.size());
  for (const auto& e : scenario.expect) {
    for (size_t i = 0; e.has_upstream && i < scenario.traffic.size(); ++i) {
      if (scenario.traffic[i].name == e.traffic) {
        upstream_checks[i].push_back(MessageCheck{&e});
      }
    }
  }
  // Per stream: x-request-id -> the highest x-envoy-attempt-count an app saw for it.
  std::vector<std::map<std::string, uint64_t>> attempts_seen(scenario.traffic.size());
  mesh->setRequestObserver([&upstream_checks, &attempts_seen](const k8s::PodState&,
                                                              const proxy::http::Request& request) {
    if (request.tag == 0 || request.tag > upstream_checks.size()) {
      return;
    }
    const std::string* id = request.headers.get("x-request-id");
    const std::string* attempt = request.headers.get("x-envoy-attempt-count");
    if (id != nullptr) {
      uint64_t& n = attempts_seen[request.tag - 1][*id];
      n = std::max<uint64_t>(n,
                             attempt == nullptr ? 1 : std::strtoull(attempt->c_str(), nullptr, 10));
    }
    for (auto& check : upstream_checks[request.tag - 1]) {
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
  std::vector<std::unique_ptr<StreamDriver>> drivers;
  for (size_t i = 0; i < scenario.traffic.size(); ++i) {
    const TrafficSpec& spec = scenario.traffic[i];
    TrafficResult& tr = result.traffic[i];
    tr.name = spec.name;
    tr.from = spec.from;
    tr.url = spec.request.url;
    MESHSIM_ASSIGN_OR_RETURN(Url url, parseUrl(spec.request.url));
    proxy::config::Address to;
    std::vector<const k8s::PodState*> pods;
    MESHSIM_RETURN_IF_ERROR(resolveStream(*mesh, spec, url, &to, &pods));
    std::vector<MessageCheck> response_checks;
    for (const auto& e : scenario.expect) {
      if (e.has_response && e.traffic == spec.name) {
        response_checks.push_back(MessageCheck{&e});
      }
    }
    drivers.push_back(std::make_unique<StreamDriver>(
        *mesh, spec, i + 1, to, std::move(url), std::move(pods), tr, std::move(response_checks)));
    drivers.back()->start();
  }
  telemetry::Tsdb tsdb;
  telemetry::runAndScrape(*mesh, tsdb, options.scrape_interval);
  MESHSIM_RETURN_IF_ERROR(event_error);
  result.warnings = mesh->warnings();
  for (size_t i = 0; i < attempts_seen.size(); ++i) {
    for (const auto& [id, n] : attempts_seen[i]) {
      ++result.traffic[i].attempts[n];
    }
  }
  result.virtual_time = mesh->loop().elapsed();
  if (options.on_finished) {
    options.on_finished(*mesh, tsdb);
  }

  // Metric expectations see every scrape of the run, so rate() and increase() work; evaluated
  // at the final scrape.
  const std::vector<telemetry::Sample> samples = telemetry::scrapeMesh(*mesh);
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
      judgeTraffic(e, t, *mesh, result.expectations);
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
      judge(upstream_checks[i], "upstream request", "requests at the apps");
      judge(drivers[i]->responseChecks(), "response", "responses");
    }
  }
  return result;
}

}  // namespace meshsim::sim::scenario
