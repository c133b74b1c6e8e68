#include "sim/apps/app.h"

#include "sim/json.h"

namespace meshsim::sim::apps {

void App::onRequest(const proxy::ConnectionInfo&, proxy::http::RequestPtr request,
                    proxy::ResponseCallback done) {
  ++received_;
  if (observer_ != nullptr) {
    (*observer_)(pod_, *request);
  }
  auto response = std::make_unique<proxy::http::Response>();
  response->status = behavior_.status;
  response->origin = origin_;
  if (behavior_.body) {
    response->body = *behavior_.body;
    response->headers.set("content-type", "text/plain");
  } else {
    response->body = echoDocument(*request);
    response->headers.set("content-type", "application/json");
  }
  for (const auto& [k, v] : behavior_.headers) {
    response->headers.set(k, v);
  }
  done(std::move(response), proxy::ResetReason::None);
}

App::App(const k8s::PodState& pod, uint64_t origin, Behavior behavior)
    : pod_(pod), origin_(origin), behavior_(std::move(behavior)) {
  std::string& out = echo_prefix_;
  out += "{\"pod\": ";
  appendJsonString(out, pod_.name);
  out += ", \"namespace\": ";
  appendJsonString(out, pod_.namespace_name);
  out += ", \"serviceAccount\": ";
  appendJsonString(out, pod_.spec.service_account);
  out += ", \"labels\": {";
  bool first = true;
  for (const auto& [k, v] : pod_.labels) {
    if (!first) {
      out += ", ";
    }
    first = false;
    appendJsonString(out, k);
    out += ": ";
    appendJsonString(out, v);
  }
  out += "}, \"ip\": ";
  appendJsonString(out, proxy::config::ipToString(pod_.ip));
  out += ", \"request\": {\"method\": ";
}

std::string App::echoDocument(const proxy::http::Request& request) const {
  std::string out;
  out.reserve(echo_prefix_.size() + 256 + request.path.size());
  out += echo_prefix_;
  appendJsonString(out, request.method);
  out += ", \"host\": ";
  appendJsonString(out, request.authority);
  out += ", \"path\": ";
  appendJsonString(out, request.path);
  out += ", \"headers\": {";
  bool first = true;
  for (const auto& [k, v] : request.headers) {
    if (!first) {
      out += ", ";
    }
    first = false;
    appendJsonString(out, k);
    out += ": ";
    appendJsonString(out, v);
  }
  out += "}}}";
  return out;
}

}  // namespace meshsim::sim::apps
