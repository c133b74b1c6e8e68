#include "sim/scenario/scenario.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <set>
#include <string_view>

#include <re2/re2.h>

#include "proxy/stats/response_flags.h"
#include "sim/driver/traffic.h"
#include "sim/istio/features.h"
#include "sim/telemetry/scrape.h"

namespace meshsim::sim::scenario {

namespace {

namespace fs = std::filesystem;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

bool parseNumber(std::string_view s, double* out) {
  const std::string t = trim(s);
  if (t.empty()) {
    return false;
  }
  char* end = nullptr;
  *out = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size() && std::isfinite(*out);
}

StatusOr<std::chrono::nanoseconds> durationField(yaml::Reader& r, std::string_view key,
                                                 std::chrono::nanoseconds def) {
  if (!r.has(key)) {
    return def;
  }
  MESHSIM_ASSIGN_OR_RETURN(std::string text, r.string(key));
  auto d = parseDuration(text);
  if (!d.ok()) {
    return r.error(key, d.status().message());
  }
  return *d;
}

StatusOr<apps::Call> parseCall(const yaml::Document& doc, const YAML::Node& node,
                               const std::string& path) {
  yaml::Reader r(doc, node, path);
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  apps::Call c;
  MESHSIM_ASSIGN_OR_RETURN(c.url, r.requiredString("url"));
  c.source = r.location("url").toString() + ": " + r.pathOf("url");
  if (auto url = parseUrl(c.url); !url.ok()) {
    return r.error("url", url.status().message());
  }
  MESHSIM_ASSIGN_OR_RETURN(c.method, r.string("method", "GET"));
  MESHSIM_ASSIGN_OR_RETURN(c.forward_headers, r.stringList("forwardHeaders"));
  for (auto& h : c.forward_headers) {
    h = proxy::http::toLower(h);
  }
  MESHSIM_ASSIGN_OR_RETURN(c.timeout, durationField(r, "timeout", std::chrono::nanoseconds(0)));
  MESHSIM_ASSIGN_OR_RETURN(int64_t retries, r.integer("retries", 0));
  if (retries < 0 || retries > 100) {
    return r.error("retries", "must be in [0, 100]");
  }
  c.retries = static_cast<int>(retries);
  if (r.has("onError")) {
    MESHSIM_ASSIGN_OR_RETURN(std::string on_error, r.string("onError"));
    int code = 0;
    auto [end, ec] = std::from_chars(on_error.data(), on_error.data() + on_error.size(), code);
    if (on_error == "ignore") {
      c.on_error.reset();
    } else if (ec == std::errc() && end == on_error.data() + on_error.size() && code >= 100 &&
               code <= 599) {
      c.on_error = code;
    } else {
      return r.error("onError", "expected an HTTP status or 'ignore', got \"" + on_error + "\"");
    }
  }
  MESHSIM_RETURN_IF_ERROR(r.finish());
  return c;
}

StatusOr<apps::Behavior> parseBehavior(const yaml::Document& doc, const YAML::Node& node,
                                       const std::string& path) {
  yaml::Reader r(doc, node, path);
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  apps::Behavior b;
  MESHSIM_ASSIGN_OR_RETURN(int64_t status, r.integer("status", 200));
  if (status < 100 || status > 599) {
    return r.error("status", "must be an HTTP status in [100, 599]");
  }
  b.status = static_cast<int>(status);
  if (r.has("body")) {
    MESHSIM_ASSIGN_OR_RETURN(b.body, r.string("body"));
  }
  MESHSIM_ASSIGN_OR_RETURN(b.headers, r.stringMap("headers"));
  if (r.has("latency")) {
    YAML::Node latency = r.child("latency");
    const auto duration = [&](const YAML::Node& n,
                              const std::string& where) -> StatusOr<std::chrono::nanoseconds> {
      if (!n.IsScalar()) {
        return yaml::errorAt(doc.locate(n), where, "expected a duration like 20ms");
      }
      auto d = parseDuration(n.Scalar());
      if (!d.ok()) {
        return yaml::errorAt(doc.locate(n), where, d.status().message());
      }
      return *d;
    };
    if (latency.IsMap()) {
      yaml::Reader l(doc, latency, r.pathOf("latency"));
      if (!l.has("p50") || !l.has("p99")) {
        return l.errorHere("a latency distribution needs p50 and p99");
      }
      MESHSIM_ASSIGN_OR_RETURN(b.latency, duration(l.child("p50"), l.pathOf("p50")));
      MESHSIM_ASSIGN_OR_RETURN(b.latency_p99, duration(l.child("p99"), l.pathOf("p99")));
      if (b.latency_p99 < b.latency) {
        return l.error("p99", "p99 must not be below p50");
      }
      MESHSIM_RETURN_IF_ERROR(l.finish());
    } else {
      MESHSIM_ASSIGN_OR_RETURN(b.latency, duration(latency, r.pathOf("latency")));
    }
  }
  if (r.has("errorRate")) {
    MESHSIM_ASSIGN_OR_RETURN(std::string rate, r.string("errorRate"));
    auto share = parseShare(rate);
    if (!share.ok()) {
      return r.error("errorRate", share.status().message());
    }
    b.error_rate = *share;
  }
  MESHSIM_ASSIGN_OR_RETURN(int64_t error_status, r.integer("errorStatus", 500));
  if (error_status < 100 || error_status > 599) {
    return r.error("errorStatus", "must be an HTTP status in [100, 599]");
  }
  b.error_status = static_cast<int>(error_status);
  YAML::Node sequence = r.child("sequence");
  if (sequence.IsDefined() && !sequence.IsNull()) {
    if (!sequence.IsSequence() || sequence.size() == 0) {
      return r.error("sequence", "expected a non-empty list of statuses like [503, 503, 200]");
    }
    for (size_t i = 0; i < sequence.size(); ++i) {
      int code = 0;
      const std::string text = sequence[i].IsScalar() ? sequence[i].Scalar() : "";
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
      if (ec != std::errc() || end != text.data() + text.size() || code < 100 || code > 599) {
        return yaml::errorAt(doc.locate(sequence[i]), r.pathOf("sequence", i),
                             "expected an HTTP status");
      }
      b.sequence.push_back(code);
    }
  }
  YAML::Node calls = r.child("calls");
  if (calls.IsDefined() && !calls.IsNull() && !calls.IsSequence()) {
    return r.error("calls", "expected a list of calls like [{url: http://reviews:9080/}]");
  }
  for (size_t i = 0; calls.IsSequence() && i < calls.size(); ++i) {
    MESHSIM_ASSIGN_OR_RETURN(auto call, parseCall(doc, calls[i], r.pathOf("calls", i)));
    b.calls.push_back(std::move(call));
  }
  MESHSIM_RETURN_IF_ERROR(r.finish());
  return b;
}

StatusOr<TrafficSpec> parseTraffic(const yaml::Document& doc, const YAML::Node& node,
                                   const std::string& path) {
  TrafficSpec t;
  yaml::Reader r(doc, node, path);
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  t.location = r.location();
  MESHSIM_ASSIGN_OR_RETURN(t.name, r.requiredString("name"));
  MESHSIM_ASSIGN_OR_RETURN(t.from, r.string("from", "ingress"));
  MESHSIM_ASSIGN_OR_RETURN(t.namespace_name, r.string("namespace", "default"));
  const bool from_pod = t.from.starts_with("pod/") || t.from.starts_with("deployment/");
  if (t.from != "ingress" && !t.from.starts_with("ingress/") && !from_pod) {
    return r.error("from",
                   "expected ingress, ingress/NAMESPACE/SERVICE, pod/NAME or "
                   "deployment/NAME, got \"" +
                       t.from + "\"");
  }
  if (t.from.starts_with("ingress/") && std::count(t.from.begin(), t.from.end(), '/') != 2) {
    return r.error("from", "expected ingress or ingress/NAMESPACE/SERVICE");
  }
  if (from_pod && t.from.substr(t.from.find('/') + 1).empty()) {
    return r.error("from", "a pod or deployment name is missing");
  }
  yaml::Reader req(doc, r.child("request"), r.pathOf("request"));
  MESHSIM_RETURN_IF_ERROR(req.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(t.request.url, req.requiredString("url"));
  if (auto url = parseUrl(t.request.url); !url.ok()) {
    return req.error("url", url.status().message());
  }
  MESHSIM_ASSIGN_OR_RETURN(t.request.method, req.string("method", "GET"));
  MESHSIM_ASSIGN_OR_RETURN(auto headers, req.stringMap("headers"));
  for (auto& [k, v] : headers) {
    t.request.headers.emplace_back(proxy::http::toLower(k), v);
  }
  MESHSIM_ASSIGN_OR_RETURN(t.request.body, req.string("body"));
  if (req.has("protocol")) {
    MESHSIM_ASSIGN_OR_RETURN(std::string protocol, req.string("protocol"));
    auto parsed = driver::parseProtocol(protocol);
    if (!parsed.ok()) {
      return req.error("protocol", parsed.status().message());
    }
    t.request.protocol = *parsed;
  }
  MESHSIM_RETURN_IF_ERROR(req.finish());
  MESHSIM_ASSIGN_OR_RETURN(t.count, r.integer("count", 1));
  if (t.count < 1 || t.count > 100000000) {
    return r.error("count", "must be in [1, 100000000]");
  }
  MESHSIM_ASSIGN_OR_RETURN(t.concurrency, r.integer("concurrency", 1));
  if (t.concurrency < 1 || t.concurrency > 100000) {
    return r.error("concurrency", "must be in [1, 100000]");
  }
  if (r.has("rate")) {
    MESHSIM_ASSIGN_OR_RETURN(std::string rate, r.string("rate"));
    const size_t slash = rate.find('/');
    double n = 0;
    const std::string unit = slash == std::string::npos ? "" : trim(rate.substr(slash + 1));
    if (slash == std::string::npos || !parseNumber(rate.substr(0, slash), &n) || n <= 0 ||
        (unit != "s" && unit != "m")) {
      return r.error("rate", "expected N/s or N/m with N > 0, got \"" + rate + "\"");
    }
    t.rate = unit == "m" ? n / 60.0 : n;
  }
  if (r.has("start")) {
    MESHSIM_ASSIGN_OR_RETURN(std::string start, r.string("start"));
    auto d = parseDuration(start);
    if (!d.ok()) {
      return r.error("start", d.status().message());
    }
    t.start = *d;
  }
  if (r.has("followRedirects")) {
    const YAML::Node follow = r.child("followRedirects");
    const std::string v = follow.IsScalar() ? follow.Scalar() : "";
    int64_t n = -1;
    if (v == "true") {
      n = driver::kDefaultMaxRedirects;
    } else if (v == "false") {
      n = 0;
    } else if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos &&
               v.size() <= 4) {
      n = std::stoll(v);
    }
    if (n < 0 || n > 1000) {
      return r.error("followRedirects",
                     "expected true, false or how many redirects to follow (0 to 1000), got " +
                         (v.empty() ? std::string("a non-scalar") : "\"" + v + "\""));
    }
    t.max_redirects = static_cast<int>(n);
  }
  MESHSIM_RETURN_IF_ERROR(r.finish());
  return t;
}

// A mapping of header names to a value, or null for "must be absent".
StatusOr<HeaderExpectations> parseHeaderExpectations(yaml::Reader& r, std::string_view key) {
  HeaderExpectations out;
  YAML::Node n = r.child(key);
  if (!n.IsDefined() || n.IsNull()) {
    return out;
  }
  if (!n.IsMap()) {
    return r.error(key, "expected a mapping of header names to values (null: must be absent)");
  }
  for (const auto& kv : n) {
    const std::string name = proxy::http::toLower(kv.first.Scalar());
    if (kv.second.IsNull()) {
      out.emplace_back(name, std::nullopt);
    } else if (kv.second.IsScalar()) {
      out.emplace_back(name, kv.second.Scalar());
    } else {
      return yaml::errorAt(r.document().locate(kv.second), r.pathOf(key) + "." + name,
                           "expected a value, or null for \"must be absent\"");
    }
  }
  return out;
}

// Checks a pod-set reference of a partition or heal.
Status checkPodSet(yaml::Reader& r, std::string_view key, const std::string& value) {
  if (value == "ingress") {
    return okStatus();
  }
  if (value.starts_with("pod/") || value.starts_with("deployment/")) {
    if (value.substr(value.find('/') + 1).empty()) {
      return r.error(key, "a pod or deployment name is missing");
    }
    return okStatus();
  }
  if (value.find('=') == std::string::npos) {
    return r.error(key,
                   "expected ingress, pod/NAME, deployment/NAME or a label selector like "
                   "app=reviews,version=v2, got \"" +
                       value + "\"");
  }
  return okStatus();
}

StatusOr<EventSpec> parseEvent(const yaml::Document& doc, const YAML::Node& node,
                               const std::string& path, const std::string& file,
                               std::string_view file_text, bool allow_unmodelled) {
  yaml::Reader r(doc, node, path);
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  EventSpec e;
  e.location = r.location();
  if (!r.has("at")) {
    return r.errorHere("an event needs at: (a time like 2s)");
  }
  MESHSIM_ASSIGN_OR_RETURN(e.at, durationField(r, "at", {}));
  static const std::pair<const char*, EventSpec::Kind> kKinds[] = {
      {"kill", EventSpec::Kind::Kill},     {"restart", EventSpec::Kind::Restart},
      {"scale", EventSpec::Kind::Scale},   {"apply", EventSpec::Kind::Apply},
      {"delete", EventSpec::Kind::Delete}, {"partition", EventSpec::Kind::Partition},
      {"heal", EventSpec::Kind::Heal}};
  const char* found = nullptr;
  for (const auto& [name, kind] : kKinds) {
    if (r.has(name)) {
      if (found != nullptr) {
        return r.error(name, std::string("an event does one thing; this one already has ") + found +
                                 " (use another entry with the same at)");
      }
      found = name;
      e.kind = kind;
    }
  }
  if (found == nullptr) {
    // An unknown key is named where it is written (an unknown event kind, or a typo).
    r.ignore({"propagation"});
    MESHSIM_RETURN_IF_ERROR(r.finish());
    return r.errorHere(
        "an event needs one of kill, restart, scale, apply, delete, partition, heal");
  }
  e.path = r.pathOf(found);
  MESHSIM_ASSIGN_OR_RETURN(e.propagation, durationField(r, "propagation", e.propagation));
  if (r.has("propagation") &&
      (e.kind == EventSpec::Kind::Restart || e.kind == EventSpec::Kind::Partition ||
       e.kind == EventSpec::Kind::Heal)) {
    return r.error("propagation",
                   std::string("does not apply to ") + found + " (it changes no configuration)");
  }
  if (e.kind == EventSpec::Kind::Apply) {
    YAML::Node text = r.child("apply");
    if (!text.IsScalar()) {
      return r.error("apply", "expected manifests as a block of YAML text (use apply: |)");
    }
    int first_line = doc.locate(text).line + 1;
    const int indent = yaml::blockIndent(file_text, first_line);
    e.manifests.allow_unmodelled = allow_unmodelled;
    MESHSIM_RETURN_IF_ERROR(addText(text.Scalar(), file, first_line, e.manifests, indent));
    MESHSIM_RETURN_IF_ERROR(r.finish());
    return e;
  }
  YAML::Node body = r.child(found);
  if (e.kind == EventSpec::Kind::Heal && (body.IsNull() || (body.IsMap() && body.size() == 0))) {
    MESHSIM_RETURN_IF_ERROR(r.finish());
    return e;  // heal everything
  }
  yaml::Reader b(doc, body, r.pathOf(found));
  MESHSIM_RETURN_IF_ERROR(b.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(e.namespace_name, b.string("namespace", "default"));
  switch (e.kind) {
    case EventSpec::Kind::Kill:
    case EventSpec::Kind::Restart: {
      MESHSIM_ASSIGN_OR_RETURN(e.pod, b.requiredString("pod"));
      if (e.kind == EventSpec::Kind::Restart) {
        MESHSIM_ASSIGN_OR_RETURN(e.downtime, durationField(b, "downtime", {}));
      } else {
        MESHSIM_ASSIGN_OR_RETURN(e.replace, b.boolean("replace", true));
      }
      break;
    }
    case EventSpec::Kind::Scale: {
      MESHSIM_ASSIGN_OR_RETURN(e.deployment, b.requiredString("deployment"));
      if (!b.has("replicas")) {
        return b.errorHere("scale needs replicas");
      }
      MESHSIM_ASSIGN_OR_RETURN(int64_t replicas, b.integer("replicas"));
      if (replicas < 0 || replicas > 10000) {
        return b.error("replicas", "must be in [0, 10000]");
      }
      e.replicas = static_cast<int>(replicas);
      break;
    }
    case EventSpec::Kind::Delete: {
      MESHSIM_ASSIGN_OR_RETURN(e.kind_name, b.requiredString("kind"));
      MESHSIM_ASSIGN_OR_RETURN(e.name, b.requiredString("name"));
      break;
    }
    case EventSpec::Kind::Partition:
    case EventSpec::Kind::Heal: {
      MESHSIM_ASSIGN_OR_RETURN(e.from, b.requiredString("from"));
      MESHSIM_ASSIGN_OR_RETURN(e.to, b.requiredString("to"));
      MESHSIM_RETURN_IF_ERROR(checkPodSet(b, "from", e.from));
      MESHSIM_RETURN_IF_ERROR(checkPodSet(b, "to", e.to));
      if (e.kind == EventSpec::Kind::Partition) {
        MESHSIM_ASSIGN_OR_RETURN(std::string mode, b.string("mode", "drop"));
        if (mode != "drop" && mode != "reject") {
          return b.error("mode", "expected drop or reject, got \"" + mode + "\"");
        }
        e.drop = mode == "drop";
      }
      break;
    }
    case EventSpec::Kind::Apply:
      break;
  }
  MESHSIM_RETURN_IF_ERROR(b.finish());
  MESHSIM_RETURN_IF_ERROR(r.finish());
  return e;
}

StatusOr<LatencyExpectations> parseLatencyExpectations(yaml::Reader& r, std::string_view key) {
  yaml::Reader l(r.document(), r.child(key), r.pathOf(key));
  MESHSIM_RETURN_IF_ERROR(l.expectMap());
  LatencyExpectations out;
  for (const auto& kv : l.node()) {
    const std::string name = kv.first.Scalar();
    double q = 0;
    if (name.size() > 1 && name[0] == 'p') {
      char* end = nullptr;
      q = std::strtod(name.c_str() + 1, &end) / 100.0;
      if (*end != '\0') {
        q = 0;
      }
    }
    if (q <= 0 || q > 1) {
      return l.error(name, "expected a percentile key like p50, p99 or p99.9");
    }
    MESHSIM_ASSIGN_OR_RETURN(std::string text, l.string(name));
    auto c = parseLatencyComparison(text);
    if (!c.ok()) {
      return l.error(name, c.status().message());
    }
    out.emplace_back(q, *c);
  }
  if (out.empty()) {
    return l.errorHere("expected at least one percentile, e.g. {p99: \"< 50ms\"}");
  }
  return out;
}

StatusOr<SloExpectation> parseSlo(const yaml::Document& doc, const YAML::Node& node,
                                  const std::string& path) {
  yaml::Reader r(doc, node, path);
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  SloExpectation slo;
  MESHSIM_ASSIGN_OR_RETURN(slo.service, r.requiredString("service"));
  MESHSIM_ASSIGN_OR_RETURN(slo.reporter, r.string("reporter", "source"));
  if (slo.reporter != "source" && slo.reporter != "destination") {
    return r.error("reporter", "expected source or destination, got \"" + slo.reporter + "\"");
  }
  if (r.has("errorRate")) {
    MESHSIM_ASSIGN_OR_RETURN(std::string text, r.string("errorRate"));
    auto c = parseComparison(text, /*percent=*/true);
    if (!c.ok()) {
      return r.error("errorRate", c.status().message());
    }
    slo.error_rate = *c;
  }
  if (r.has("latency")) {
    MESHSIM_ASSIGN_OR_RETURN(slo.latency, parseLatencyExpectations(r, "latency"));
  }
  if (r.has("window")) {
    MESHSIM_ASSIGN_OR_RETURN(std::string text, r.string("window"));
    auto d = parseDuration(text);
    if (!d.ok()) {
      return r.error("window", d.status().message());
    }
    if (*d < std::chrono::milliseconds(1)) {
      return r.error("window", "must be at least 1ms");
    }
    slo.window = *d;
  }
  if (!slo.error_rate && slo.latency.empty()) {
    return r.errorHere("an slo needs errorRate, latency or both");
  }
  MESHSIM_RETURN_IF_ERROR(r.finish());
  return slo;
}

StatusOr<Expectation> parseExpectation(const yaml::Document& doc, const YAML::Node& node,
                                       const std::string& path) {
  Expectation e;
  yaml::Reader r(doc, node, path);
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  e.location = r.location();
  e.path = path;
  if (r.has("slo")) {
    MESHSIM_ASSIGN_OR_RETURN(e.slo, parseSlo(doc, r.child("slo"), r.pathOf("slo")));
    for (const auto& kv : r.node()) {
      if (kv.first.Scalar() != "slo") {
        return r.error(kv.first.Scalar(),
                       "an slo expectation stands alone: put this in its own entry");
      }
    }
    MESHSIM_RETURN_IF_ERROR(r.finish());
    return e;
  }
  if (r.has("attempts")) {
    MESHSIM_ASSIGN_OR_RETURN(int64_t attempts, r.integer("attempts"));
    if (attempts < 1 || attempts > 1000) {
      return r.error("attempts", "must be in [1, 1000]");
    }
    e.attempts = static_cast<int>(attempts);
  }
  if (r.has("responseFlags")) {
    MESHSIM_ASSIGN_OR_RETURN(std::string flags, r.string("responseFlags"));
    proxy::stats::ResponseFlags parsed = 0;
    if (!proxy::stats::parseResponseFlags(flags, &parsed)) {
      return r.error("responseFlags",
                     "unknown Envoy response flag in \"" + flags +
                         "\" (known: UH UF UO NR URX NC UT DI FI LH LR UR UC RL, or -)");
    }
    e.response_flags = proxy::stats::responseFlagsToString(parsed);
  }
  if (r.has("latency")) {
    MESHSIM_ASSIGN_OR_RETURN(e.latency, parseLatencyExpectations(r, "latency"));
  }
  if (r.has("metric")) {
    MESHSIM_ASSIGN_OR_RETURN(e.metric, r.string("metric"));
    auto q = telemetry::MetricQuery::parse(e.metric);
    if (!q.ok()) {
      return r.error("metric", q.status().message());
    }
    // A misspelt metric or label name selects nothing, and "== 0" would then pass whatever the
    // mesh did: refuse it here, at its line.
    if (Status names = q->checkNames(telemetry::knownSeries()); !names.ok()) {
      return r.error("metric", names.message());
    }
    if (!r.has("value")) {
      return r.error("value", "a metric expectation needs a value");
    }
    MESHSIM_ASSIGN_OR_RETURN(std::string value, r.string("value"));
    auto c = parseComparison(value, /*percent=*/false);
    if (!c.ok()) {
      return r.error("value", c.status().message());
    }
    e.value = *c;
    if (r.has("traffic") || r.has("status") || r.has("servedBy")) {
      return r.errorHere("an expectation is either about traffic or about a metric, not both");
    }
    MESHSIM_RETURN_IF_ERROR(r.finish());
    return e;
  }
  MESHSIM_ASSIGN_OR_RETURN(e.traffic, r.requiredString("traffic"));
  YAML::Node status = r.child("status");
  if (status.IsDefined() && !status.IsNull()) {
    if (status.IsScalar()) {
      MESHSIM_ASSIGN_OR_RETURN(int64_t code, r.integer("status"));
      if (code < 100 || code > 599) {
        return r.error("status", "must be an HTTP status in [100, 599]");
      }
      e.status = static_cast<int>(code);
    } else if (status.IsMap()) {
      for (const auto& kv : status) {
        int code = 0;
        const std::string& k = kv.first.Scalar();
        auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), code);
        if (ec != std::errc() || end != k.data() + k.size() || code < 100 || code > 599) {
          return yaml::errorAt(doc.locate(kv.first), r.pathOf("status"),
                               "keys must be HTTP status codes, got \"" + k + "\"");
        }
        if (!kv.second.IsScalar()) {
          return yaml::errorAt(doc.locate(kv.second), r.pathOf("status") + "." + k,
                               "expected a share like \">= 99%\"");
        }
        auto c = parseComparison(kv.second.Scalar(), /*percent=*/true);
        if (!c.ok()) {
          return yaml::errorAt(doc.locate(kv.second), r.pathOf("status") + "." + k,
                               c.status().message());
        }
        e.status_distribution.emplace_back(code, *c);
      }
    } else {
      return r.error("status", "expected a status code or a distribution {200: \">= 99%\"}");
    }
  }
  YAML::Node served = r.child("servedBy");
  if (served.IsDefined() && !served.IsNull()) {
    if (!served.IsMap()) {
      return r.error("servedBy", "expected a mapping {deployment-or-selector: share}");
    }
    for (const auto& kv : served) {
      if (!kv.second.IsScalar()) {
        return yaml::errorAt(doc.locate(kv.second), r.pathOf("servedBy"), "expected a share");
      }
      auto share = parseShare(kv.second.Scalar());
      if (!share.ok()) {
        return yaml::errorAt(doc.locate(kv.second), r.pathOf("servedBy") + "." + kv.first.Scalar(),
                             share.status().message());
      }
      e.served_by.push_back({kv.first.Scalar(), *share});
    }
  }
  if (r.has("tolerance")) {
    MESHSIM_ASSIGN_OR_RETURN(std::string tol, r.string("tolerance"));
    auto t = parseShare(tol);
    if (!t.ok()) {
      return r.error("tolerance", t.status().message());
    }
    e.tolerance = *t;
  }
  if (r.has("upstream")) {
    yaml::Reader u(doc, r.child("upstream"), r.pathOf("upstream"));
    MESHSIM_RETURN_IF_ERROR(u.expectMap());
    e.has_upstream = true;
    if (u.has("host")) {
      MESHSIM_ASSIGN_OR_RETURN(e.upstream_host, u.string("host"));
    }
    if (u.has("path")) {
      MESHSIM_ASSIGN_OR_RETURN(e.upstream_path, u.string("path"));
    }
    if (u.has("protocol")) {
      MESHSIM_ASSIGN_OR_RETURN(std::string protocol, u.string("protocol"));
      auto parsed = driver::parseProtocol(protocol);
      if (!parsed.ok()) {
        return u.error("protocol", parsed.status().message());
      }
      e.upstream_protocol = *parsed;
    }
    MESHSIM_ASSIGN_OR_RETURN(e.upstream_headers, parseHeaderExpectations(u, "headers"));
    MESHSIM_RETURN_IF_ERROR(u.finish());
  }
  if (r.has("response")) {
    yaml::Reader rs(doc, r.child("response"), r.pathOf("response"));
    MESHSIM_RETURN_IF_ERROR(rs.expectMap());
    e.has_response = true;
    MESHSIM_ASSIGN_OR_RETURN(e.response_headers, parseHeaderExpectations(rs, "headers"));
    if (rs.has("body")) {
      YAML::Node body = rs.child("body");
      BodyMatch m;
      if (body.IsScalar()) {
        m.value = body.Scalar();
      } else {
        yaml::Reader b(doc, body, rs.pathOf("body"));
        MESHSIM_RETURN_IF_ERROR(b.expectMap());
        if (b.has("contains") == b.has("regex")) {
          return b.errorHere("expected exactly one of contains or regex (or a plain string)");
        }
        m.kind = b.has("contains") ? BodyMatch::Kind::Contains : BodyMatch::Kind::Regex;
        MESHSIM_ASSIGN_OR_RETURN(m.value, b.string(b.has("contains") ? "contains" : "regex"));
        if (m.kind == BodyMatch::Kind::Regex) {
          re2::RE2 re(m.value, re2::RE2::Quiet);
          if (!re.ok()) {
            return b.error("regex", "invalid RE2 regex: " + re.error());
          }
        }
        MESHSIM_RETURN_IF_ERROR(b.finish());
      }
      e.response_body = m;
    }
    MESHSIM_RETURN_IF_ERROR(rs.finish());
  }
  if (r.has("error")) {
    MESHSIM_ASSIGN_OR_RETURN(e.error, r.string("error"));
    if (e.error != "refused" && e.error != "reset" && e.error != "timeout" &&
        e.error != "overflow") {
      return r.error("error",
                     "expected refused, reset, timeout or overflow, got \"" + e.error + "\"");
    }
    if (e.status || !e.status_distribution.empty()) {
      return r.error("error", "an expectation has either status or error, not both");
    }
  }
  // A misspelt field ("stauts") is named before the expectation is found to check nothing.
  MESHSIM_RETURN_IF_ERROR(r.finish());
  if (!e.status && e.status_distribution.empty() && e.served_by.empty() && !e.has_upstream &&
      !e.has_response && e.error.empty() && !e.attempts && !e.response_flags && e.latency.empty()) {
    return r.errorHere(
        "a traffic expectation needs at least one of status, servedBy, upstream, response or "
        "error");
  }
  return e;
}

}  // namespace

StatusOr<Comparison> parseLatencyComparison(const std::string& text) {
  // "< 10ms": split the operator off, parse the rest as a duration in milliseconds.
  std::string t = trim(text);
  size_t op_end = 0;
  while (op_end < t.size() && (t[op_end] == '<' || t[op_end] == '>' || t[op_end] == '=')) {
    ++op_end;
  }
  auto d = parseDuration(trim(t.substr(op_end)));
  if (!d.ok()) {
    return invalidArgumentError("expected a comparison with a duration like \"< 10ms\", got \"" +
                                text + "\"");
  }
  const double ms = static_cast<double>(d->count()) / 1e6;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", ms);
  auto c = parseComparison(t.substr(0, op_end) + " " + buf, /*percent=*/false);
  if (!c.ok()) {
    return c.status();
  }
  c->text = text;
  return c;
}

bool Comparison::holds(double x) const {
  // Shares and counts come from integers; compare with a little slack for float noise.
  constexpr double kEps = 1e-9;
  switch (op) {
    case Op::Lt:
      return x < value - kEps;
    case Op::Le:
      return x <= value + kEps;
    case Op::Gt:
      return x > value + kEps;
    case Op::Ge:
      return x >= value - kEps;
    case Op::Eq:
      return std::fabs(x - value) <= kEps;
  }
  return false;
}

StatusOr<Comparison> parseComparison(const std::string& text, bool percent) {
  Comparison c;
  c.text = trim(text);
  std::string_view s = c.text;
  if (s.starts_with("<=")) {
    c.op = Comparison::Op::Le;
    s.remove_prefix(2);
  } else if (s.starts_with(">=")) {
    c.op = Comparison::Op::Ge;
    s.remove_prefix(2);
  } else if (s.starts_with("==")) {
    c.op = Comparison::Op::Eq;
    s.remove_prefix(2);
  } else if (s.starts_with("<")) {
    c.op = Comparison::Op::Lt;
    s.remove_prefix(1);
  } else if (s.starts_with(">")) {
    c.op = Comparison::Op::Gt;
    s.remove_prefix(1);
  }
  std::string number = trim(s);
  bool is_percent = false;
  if (!number.empty() && number.back() == '%') {
    number.pop_back();
    is_percent = true;
  }
  if (is_percent && !percent) {
    return invalidArgumentError("a percentage is not allowed here: \"" + c.text + "\"");
  }
  if (!parseNumber(number, &c.value)) {
    return invalidArgumentError(
        "expected a comparison like \"> 990\", \"<= 1%\" or a number, got \"" + c.text + "\"");
  }
  if (is_percent) {
    c.value /= 100.0;
  }
  return c;
}

StatusOr<double> parseShare(const std::string& text) {
  std::string t = trim(text);
  double v = 0;
  bool is_percent = false;
  if (!t.empty() && t.back() == '%') {
    t.pop_back();
    is_percent = true;
  }
  if (!parseNumber(t, &v)) {
    return invalidArgumentError("expected a percentage like 90% or a fraction like 0.9, got \"" +
                                text + "\"");
  }
  if (is_percent) {
    v /= 100.0;
  }
  if (v < 0 || v > 1) {
    return invalidArgumentError("a share must be between 0% and 100%, got \"" + text + "\"");
  }
  return v;
}

namespace {

// What the first document of a file says it is, read without parsing the rest of the file: a
// manifest file can hold 30,000 documents. An error when the file cannot be read or that
// document does not parse; no value when the file has no document; "" when the first document
// has no kind that is a string.
StatusOr<std::optional<std::string>> firstKind(const std::string& path) {
  MESHSIM_ASSIGN_OR_RETURN(std::string text, yaml::readFile(path));
  std::optional<std::string> kind;
  const Status walked = yaml::forEachDocument(text, path, [&](const yaml::Document& doc) {
    const YAML::Node k = yaml::get(doc.root, "kind");
    kind = k.IsScalar() ? k.Scalar() : "";
    return failedPreconditionError("first document read");  // stops the walk
  });
  if (!kind && !walked.ok()) {
    return walked;
  }
  return kind;
}

}  // namespace

bool isScenarioFile(const std::string& path) {
  const auto kind = firstKind(path);
  return kind.ok() && *kind == "Scenario";
}

std::optional<std::string> whyNotAScenario(const std::string& path) {
  const auto kind = firstKind(path);
  if (!kind.ok() || *kind == "Scenario") {
    return std::nullopt;
  }
  if (!kind->has_value()) {
    return "no YAML document";
  }
  return (*kind)->empty() ? std::string("no kind") : "kind: " + **kind;
}

std::vector<std::string> loadWarnings(const Scenario& scenario) {
  std::vector<std::string> out = scenario.manifests.warnings;
  for (const auto& e : scenario.events) {
    out.insert(out.end(), e.manifests.warnings.begin(), e.manifests.warnings.end());
  }
  return out;
}

namespace {

StatusOr<Scenario> parseScenarioUnguarded(const std::string& text, const std::string& path,
                                          const IncludeReader& read_include,
                                          const LoadOptions& options);

}  // namespace

std::string EventSpec::describe() const {
  switch (kind) {
    case Kind::Kill:
      return "kill pod " + namespace_name + "/" + pod + (replace ? "" : " (not replaced)");
    case Kind::Restart:
      return "restart pod " + namespace_name + "/" + pod;
    case Kind::Scale:
      return "scale deployment " + namespace_name + "/" + deployment + " to " +
             std::to_string(replicas);
    case Kind::Apply:
      return "apply manifests";
    case Kind::Delete:
      return "delete " + kind_name + " " + namespace_name + "/" + name;
    case Kind::Partition:
      return "partition " + from + " | " + to + (drop ? " (drop)" : " (reject)");
    case Kind::Heal:
      return from.empty() ? std::string("heal all partitions") : "heal " + from + " | " + to;
  }
  return "";
}

StatusOr<Scenario> loadScenario(const std::string& path, const LoadOptions& options) {
  MESHSIM_ASSIGN_OR_RETURN(std::string text, yaml::readFile(path));
  return parseScenario(text, path, nullptr, options);
}

StatusOr<Scenario> parseScenario(const std::string& text, const std::string& file,
                                 const IncludeReader& read_include, const LoadOptions& options) {
  // The readers never let yaml-cpp throw; this is the boundary that guarantees it.
  try {
    return parseScenarioUnguarded(text, file, read_include, options);
  } catch (const YAML::Exception& e) {
    return internalError(file + ": unexpected YAML error: " + e.what());
  }
}

namespace {

constexpr std::array<std::string_view, 6> kProfiles = {"ingress-http", "mesh-http",    "resilience",
                                                       "telemetry",    "gateway-http", "security"};

std::string joined(std::span<const std::string_view> names) {
  std::string out;
  for (const auto n : names) {
    out += (out.empty() ? "" : ", ") + std::string(n);
  }
  return out;
}

// spec.conformance: {profile, support, features, references}, every value checked.
StatusOr<ConformanceMeta> parseConformance(const yaml::Document& doc, yaml::Reader& spec) {
  yaml::Reader c(doc, spec.child("conformance"), spec.pathOf("conformance"));
  MESHSIM_RETURN_IF_ERROR(c.expectMap());
  ConformanceMeta meta;
  meta.location = c.location();
  MESHSIM_ASSIGN_OR_RETURN(meta.profile, c.requiredString("profile"));
  if (std::find(kProfiles.begin(), kProfiles.end(), meta.profile) == kProfiles.end()) {
    return c.error("profile",
                   "unknown profile \"" + meta.profile + "\" (known: " + joined(kProfiles) + ")");
  }
  MESHSIM_ASSIGN_OR_RETURN(std::string support, c.requiredString("support"));
  if (support != "core" && support != "extended") {
    return c.error("support", "expected core or extended, got \"" + support + "\"");
  }
  meta.extended = support == "extended";
  MESHSIM_ASSIGN_OR_RETURN(meta.features, c.stringList("features"));
  if (meta.features.empty()) {
    return c.error("features", "name at least one feature (meshsim conformance --list-features)");
  }
  const YAML::Node features = c.child("features");
  for (size_t i = 0; i < meta.features.size(); ++i) {
    if (istio::findFeature(meta.features[i]) == nullptr) {
      return yaml::errorAt(doc.locate(features[i]), c.pathOf("features", i),
                           "unknown feature \"" + meta.features[i] +
                               "\" (meshsim conformance --list-features lists them)");
    }
  }
  MESHSIM_ASSIGN_OR_RETURN(meta.references, c.stringList("references"));
  if (meta.references.empty()) {
    return c.error("references",
                   "name the Istio documentation or Envoy behaviour the scenario checks");
  }
  MESHSIM_RETURN_IF_ERROR(c.finish());
  return meta;
}

Status readIncludeFromDisk(const std::string& path, Manifests& out) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return notFoundError("no such file or folder: " + path);
  }
  return addPath(path, out);
}

StatusOr<Scenario> parseScenarioUnguarded(const std::string& text, const std::string& path,
                                          const IncludeReader& read_include,
                                          const LoadOptions& options) {
  MESHSIM_ASSIGN_OR_RETURN(auto docs, yaml::parseString(text, path));
  if (docs.size() > 1) {
    return yaml::errorAt(docs[1].locate(docs[1].root), "",
                         "a scenario file holds exactly one YAML document; a second one starts "
                         "here");
  }
  if (docs.empty()) {
    return invalidArgumentError(path +
                                ": a scenario file holds exactly one YAML document, found 0");
  }
  const yaml::Document& doc = docs.front();
  Scenario s;
  s.file = path;
  yaml::Reader top(doc, doc.root, "");
  MESHSIM_RETURN_IF_ERROR(top.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(std::string api, top.requiredString("apiVersion"));
  if (api != "meshsim.io/v1alpha1") {
    return top.error("apiVersion", "expected meshsim.io/v1alpha1, got \"" + api + "\"");
  }
  MESHSIM_ASSIGN_OR_RETURN(std::string kind, top.requiredString("kind"));
  if (kind != "Scenario") {
    return top.error("kind", "expected Scenario, got \"" + kind + "\"");
  }
  yaml::Reader meta(doc, top.child("metadata"), "metadata");
  MESHSIM_RETURN_IF_ERROR(meta.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(s.name, meta.requiredString("name"));
  MESHSIM_ASSIGN_OR_RETURN(s.description, meta.string("description"));
  MESHSIM_RETURN_IF_ERROR(meta.finish());

  yaml::Reader spec(doc, top.child("spec"), "spec");
  MESHSIM_RETURN_IF_ERROR(spec.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(int64_t seed, spec.integer("seed", 1));
  if (seed < 0) {
    return spec.error("seed", "must not be negative");
  }
  s.seed = static_cast<uint64_t>(seed);
  MESHSIM_ASSIGN_OR_RETURN(s.istio_version, spec.string("istioVersion"));
  static const std::set<std::string> kVersions = {"",     "1.24", "1.25", "1.26", "1.27",
                                                  "1.28", "1.29", "1.30", "1.31"};
  if (kVersions.count(s.istio_version) == 0) {
    return spec.error("istioVersion",
                      "known Istio releases are 1.24 to 1.31, got \"" + s.istio_version + "\"");
  }

  s.manifests.allow_unmodelled = options.allow_unmodelled;
  const fs::path base = fs::path(path).parent_path();
  MESHSIM_ASSIGN_OR_RETURN(auto includes, spec.stringList("include"));
  YAML::Node include_node = spec.child("include");
  for (size_t i = 0; i < includes.size(); ++i) {
    const std::string file = (base / includes[i]).lexically_normal().string();
    Status read =
        read_include ? read_include(file, s.manifests) : readIncludeFromDisk(file, s.manifests);
    if (read.code() == StatusCode::NotFound) {
      // Nothing at the path: the mistake is the include entry, so name it.
      return yaml::errorAt(doc.locate(include_node[i]), spec.pathOf("include", i), read.message());
    }
    MESHSIM_RETURN_IF_ERROR(read);
  }
  if (spec.has("resources")) {
    YAML::Node res = spec.child("resources");
    if (!res.IsScalar()) {
      return spec.error("resources", "expected a block of YAML text (use resources: |)");
    }
    // A literal block starts on the line after its indicator; its indentation is that of its
    // first non-blank line.
    int first_line = doc.locate(res).line + 1;
    const int indent = yaml::blockIndent(text, first_line);
    MESHSIM_RETURN_IF_ERROR(addText(res.Scalar(), path, first_line, s.manifests, indent));
  }
  // Istio's default install has an ingress gateway; a scenario that defines its own replaces it.
  MESHSIM_RETURN_IF_ERROR(addDefaultIngressGateway(s.manifests).status());

  YAML::Node workloads = spec.child("workloads");
  if (workloads.IsDefined() && !workloads.IsNull() && !workloads.IsSequence()) {
    return spec.error("workloads", "expected a list");
  }
  for (size_t i = 0; workloads.IsSequence() && i < workloads.size(); ++i) {
    yaml::Reader w(doc, workloads[i], spec.pathOf("workloads", i));
    MESHSIM_RETURN_IF_ERROR(w.expectMap());
    WorkloadBehavior wb;
    MESHSIM_ASSIGN_OR_RETURN(wb.selector, w.stringMap("selector"));
    if (wb.selector.empty()) {
      return w.error("selector", "a workload needs a label selector, e.g. {app: hello}");
    }
    MESHSIM_ASSIGN_OR_RETURN(wb.namespace_name, w.string("namespace"));
    MESHSIM_ASSIGN_OR_RETURN(wb.behavior,
                             parseBehavior(doc, w.child("behavior"), w.pathOf("behavior")));
    MESHSIM_RETURN_IF_ERROR(w.finish());
    s.workloads.push_back(std::move(wb));
  }

  YAML::Node traffic = spec.child("traffic");
  if (traffic.IsDefined() && !traffic.IsNull() && !traffic.IsSequence()) {
    return spec.error("traffic", "expected a list");
  }
  std::set<std::string> names;
  for (size_t i = 0; traffic.IsSequence() && i < traffic.size(); ++i) {
    MESHSIM_ASSIGN_OR_RETURN(auto t, parseTraffic(doc, traffic[i], spec.pathOf("traffic", i)));
    if (!names.insert(t.name).second) {
      return yaml::errorAt(t.location, spec.pathOf("traffic", i),
                           "two traffic streams are named \"" + t.name + "\"");
    }
    s.traffic.push_back(std::move(t));
  }

  YAML::Node events = spec.child("events");
  if (events.IsDefined() && !events.IsNull() && !events.IsSequence()) {
    return spec.error("events", "expected a list");
  }
  for (size_t i = 0; events.IsSequence() && i < events.size(); ++i) {
    MESHSIM_ASSIGN_OR_RETURN(auto e, parseEvent(doc, events[i], spec.pathOf("events", i), path,
                                                text, options.allow_unmodelled));
    s.events.push_back(std::move(e));
  }
  std::stable_sort(s.events.begin(), s.events.end(),
                   [](const EventSpec& a, const EventSpec& b) { return a.at < b.at; });

  YAML::Node expect = spec.child("expect");
  if (expect.IsDefined() && !expect.IsNull() && !expect.IsSequence()) {
    return spec.error("expect", "expected a list");
  }
  for (size_t i = 0; expect.IsSequence() && i < expect.size(); ++i) {
    MESHSIM_ASSIGN_OR_RETURN(auto e, parseExpectation(doc, expect[i], spec.pathOf("expect", i)));
    if (!e.traffic.empty() && names.count(e.traffic) == 0) {
      return yaml::errorAt(e.location, spec.pathOf("expect", i) + ".traffic",
                           "no traffic stream is named \"" + e.traffic + "\"");
    }
    s.expect.push_back(std::move(e));
  }
  if (spec.has("conformance")) {
    MESHSIM_ASSIGN_OR_RETURN(s.conformance, parseConformance(doc, spec));
  }
  MESHSIM_RETURN_IF_ERROR(spec.finish());
  MESHSIM_RETURN_IF_ERROR(top.finish());
  return s;
}

}  // namespace

std::span<const std::string_view> conformanceProfiles() {
  return kProfiles;
}

}  // namespace meshsim::sim::scenario
