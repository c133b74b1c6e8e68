#include "sim/apps/app.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "proxy/core/assert.h"
#include "sim/json.h"

namespace meshsim::sim::apps {

// One incoming request working through the app's calls.
struct App::CallChain {
  proxy::http::RequestPtr request;
  proxy::ResponseCallback done;
  size_t index = 0;  // the call being made
  int tries = 0;     // tries of that call so far
  // Bumped when a try ends (answer or timeout), so whichever of the two comes second is ignored.
  uint64_t try_id = 0;
};

void App::onRequest(const proxy::ConnectionInfo&, proxy::http::RequestPtr request,
                    proxy::ResponseCallback done) {
  ++received_;
  if (observer_ != nullptr) {
    (*observer_)(pod_, *request);
  }
  if (behavior_.calls.empty()) {
    answer(*request, std::move(done));
    return;
  }
  auto chain = std::make_shared<CallChain>();
  chain->request = std::move(request);
  chain->done = std::move(done);
  runCall(chain);
}

void App::runCall(const std::shared_ptr<CallChain>& chain) {
  if (chain->index == behavior_.calls.size()) {
    answer(*chain->request, std::move(chain->done));
    return;
  }
  const Call& call = behavior_.calls[chain->index];
  ++chain->tries;
  const uint64_t try_id = ++chain->try_id;
  if (call_sender_ == nullptr) {
    onCallDone(chain, "the app cannot send");
    return;
  }
  auto out = std::make_unique<proxy::http::Request>();
  out->method = call.method;
  for (const auto& name : call.forward_headers) {
    if (const std::string* v = chain->request->headers.get(name)) {
      out->headers.add(name, *v);
    }
  }
  auto cancel = std::make_shared<proxy::Cancellation>();
  call_sender_->sendCall(
      pod_, call, std::move(out), cancel,
      [this, chain, try_id](proxy::http::ResponsePtr response, proxy::ResetReason reset) {
        if (chain->try_id != try_id) {
          return;  // timed out already
        }
        if (response == nullptr) {
          onCallDone(chain, std::string("no response (") + proxy::toString(reset) + ")");
        } else if (response->status >= 500) {
          onCallDone(chain, "status " + std::to_string(response->status));
        } else {
          onCallDone(chain, "");
        }
      });
  if (call.timeout.count() > 0 && dispatcher_ != nullptr) {
    dispatcher_->postAfter(call.timeout, [this, chain, try_id, cancel] {
      if (chain->try_id == try_id) {
        cancel->cancel();  // the app's HTTP client closes the connection
        onCallDone(chain, "timed out");
      }
    });
  }
}

void App::onCallDone(const std::shared_ptr<CallChain>& chain, const std::string& failure) {
  ++chain->try_id;
  const Call& call = behavior_.calls[chain->index];
  if (!failure.empty() && chain->tries <= call.retries) {
    runCall(chain);  // the app's own retry
    return;
  }
  if (!failure.empty() && call.on_error) {
    auto response = std::make_unique<proxy::http::Response>();
    response->status = *call.on_error;
    response->body = "call to " + call.url + " failed: " + failure;
    response->headers.set("content-type", "text/plain");
    answerNow(std::move(response), std::move(chain->done));
    return;
  }
  ++chain->index;
  chain->tries = 0;
  runCall(chain);
}

void App::answer(const proxy::http::Request& request, proxy::ResponseCallback done) {
  auto response = std::make_unique<proxy::http::Response>();
  std::optional<proxy::http::Response> custom;
  if (behavior_.handler) {
    custom = behavior_.handler(pod_, request);
  }
  if (custom) {
    *response = std::move(*custom);
  } else {
    response->status = behavior_.status;
    if (!behavior_.sequence.empty()) {
      const size_t i = std::min<size_t>(received_ - 1, behavior_.sequence.size() - 1);
      response->status = behavior_.sequence[i];
    }
    if (behavior_.error_rate > 0 && random_ != nullptr && random_->unit() < behavior_.error_rate) {
      response->status = behavior_.error_status;
    }
    if (behavior_.body) {
      response->body = *behavior_.body;
      response->headers.set("content-type", "text/plain");
    } else {
      if (echo_bodies_) {
        response->body = echoDocument(request);
      } else {
        response->unread_body_bytes = echoDocumentSize(request);
      }
      response->headers.set("content-type", "application/json");
    }
  }
  answerNow(std::move(response), std::move(done));
}

void App::answerNow(proxy::http::ResponsePtr response, proxy::ResponseCallback done) {
  response->origin = origin_;
  for (const auto& [k, v] : behavior_.headers) {
    response->headers.set(k, v);
  }
  const std::chrono::nanoseconds latency = drawLatency();
  if (latency.count() > 0 && dispatcher_ != nullptr) {
    dispatcher_->postAfter(latency,
                           [done = std::move(done), response = std::move(response)]() mutable {
                             done(std::move(response), proxy::ResetReason::None);
                           });
    return;
  }
  done(std::move(response), proxy::ResetReason::None);
}

std::chrono::nanoseconds App::drawLatency() {
  if (behavior_.latency_p99.count() <= 0 || random_ == nullptr) {
    return behavior_.latency;
  }
  // Log-normal with median p50 and 99th percentile p99: sigma = ln(p99 / p50) / z(0.99).
  constexpr double kZ99 = 2.3263478740408408;
  const double p50 = static_cast<double>(std::max<int64_t>(behavior_.latency.count(), 1));
  const double p99 = static_cast<double>(behavior_.latency_p99.count());
  const double sigma = std::max(0.0, std::log(p99 / p50) / kZ99);
  // Box-Muller from two uniform draws of the seeded generator.
  const double u1 = std::max(random_->unit(), 1e-300);
  const double u2 = random_->unit();
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  return std::chrono::nanoseconds(static_cast<int64_t>(p50 * std::exp(sigma * z)));
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

namespace {

constexpr std::string_view kProtocol = ", \"protocol\": ";
constexpr std::string_view kHost = ", \"host\": ";
constexpr std::string_view kPath = ", \"path\": ";
constexpr std::string_view kHeaders = ", \"headers\": {";
constexpr std::string_view kNameEnd = ": ";
constexpr std::string_view kNext = ", ";
constexpr std::string_view kEnd = "}}}";

// Calls `visit` with every string of the request part of the echo document, in order.
template <typename Visit>
void forEachEchoString(const proxy::http::Request& request, Visit&& visit) {
  visit(std::string_view(request.method));
  visit(proxy::http::protocolName(request.protocol));
  visit(std::string_view(request.authority));
  visit(std::string_view(request.path));
  for (const auto& [k, v] : request.headers) {
    visit(std::string_view(k));
    visit(std::string_view(v));
  }
}

// The size of the echo document of `request` after a prefix of `prefix` bytes, and whether
// some string in it needs escaping.
struct EchoLayout {
  size_t size = 0;
  bool escapes = false;
};
EchoLayout echoLayout(size_t prefix, const proxy::http::Request& request) {
  EchoLayout out;
  out.size = prefix + kProtocol.size() + kHost.size() + kPath.size() + kHeaders.size() +
             kEnd.size() + request.headers.size() * (kNameEnd.size() + kNext.size());
  if (!request.headers.empty()) {
    out.size -= kNext.size();  // none after the last header
  }
  // Nearly always nothing needs escaping: then a string's literal is the string in quotes, and
  // one scan over all the strings is all the sizing needs. The well-known header names (and the
  // protocol's name) are constants without such characters.
  JsonEscapeScan scan;
  scan.add(request.method);
  scan.add(request.authority);
  scan.add(request.path);
  out.size += request.method.size() + request.authority.size() + request.path.size() +
              proxy::http::protocolName(request.protocol).size() + 4 * 2;
  for (const auto& [k, v] : request.headers) {
    if (!k.interned()) {
      scan.add(k);
    }
    scan.add(v);
    out.size += k.size() + v.size() + 2 * 2;
  }
  out.escapes = scan.needed();
  if (out.escapes) {
    forEachEchoString(request,
                      [&](std::string_view s) { out.size += jsonStringSize(s) - (s.size() + 2); });
  }
  return out;
}

}  // namespace

size_t App::echoDocumentSize(const proxy::http::Request& request) const {
  return echoLayout(echo_prefix_.size(), request).size;
}

std::string App::echoDocument(const proxy::http::Request& request) const {
  // Sized first, then written in place: one allocation, no growth checks per piece.
  const EchoLayout layout = echoLayout(echo_prefix_.size(), request);
  std::string out(layout.size, '\0');
  char* p = out.data();
  const auto put = [&p](std::string_view s) {
    if (!s.empty()) {
      std::memcpy(p, s.data(), s.size());
      p += s.size();
    }
  };
  const auto string = [&](std::string_view s) {
    if (layout.escapes) {
      p = writeJsonString(p, s);
      return;
    }
    *p++ = '"';
    put(s);
    *p++ = '"';
  };
  put(echo_prefix_);
  string(request.method);
  put(kProtocol);
  string(proxy::http::protocolName(request.protocol));
  put(kHost);
  string(request.authority);
  put(kPath);
  string(request.path);
  put(kHeaders);
  bool first = true;
  for (const auto& [k, v] : request.headers) {
    if (!first) {
      put(kNext);
    }
    first = false;
    string(k);
    put(kNameEnd);
    string(v);
  }
  put(kEnd);
  // The sizing and the writing walk the same strings; a document of another length would be a
  // bug here, never a consequence of the request.
  MESHSIM_CHECK(p == out.data() + out.size());
  return out;
}

}  // namespace meshsim::sim::apps
