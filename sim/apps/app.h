#pragma once

// File: sim/apps/app.h
//
// A simulated workload: the application container of a pod. By default it is the echo app of
// SCENARIO-FORMAT.md: 200 with a JSON document describing the pod and the request it received.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/core/random.h"
#include "proxy/event/dispatcher.h"
#include "proxy/upstream/transport.h"
#include "sim/k8s/world.h"

namespace meshsim::sim::apps {

// A custom request handler (the C++ embedding API's): returns the app's response to `request`
// as `pod` received it, or nullopt to let the rest of the Behavior answer (status, body, echo).
// It runs inline on the mesh's loop, once per request, and must not send requests itself. The
// response's `origin` is set by the app.
using Handler = std::function<std::optional<proxy::http::Response>(
    const k8s::PodState& pod, const proxy::http::Request& request)>;

// A request an app makes to another service before answering (SCENARIO-FORMAT.md `calls`), as
// a real frontend does: it leaves through the pod's own sidecar.
struct Call {
  std::string url;  // http://reviews:9080/reviews/0; the host resolves from the pod's namespace
  std::string method = "GET";
  // Headers copied from the incoming request when it has them (end-user, x-request-id, ...).
  std::vector<std::string> forward_headers;
  // The app's own timeout for one try; 0: none.
  std::chrono::nanoseconds timeout{0};
  // The app's own retries after a failed try.
  int retries = 0;
  // The status the app answers with when the call still fails (no response, or a 5xx); nullopt:
  // ignore the failure and go on.
  std::optional<int> on_error = 500;
  // Where the call was written ("file:line:col: field"), for errors.
  std::string source;
};

// How an app sends its calls: the mesh resolves the URL's host as the pod's DNS would and sends
// through the pod's sidecar. `done` runs on the loop, later.
class CallSender {
public:
  virtual ~CallSender() = default;
  // `cancel`: the app may give up on the call (its timeout); the exchange is then reset.
  virtual void sendCall(const k8s::PodState& from, const Call& call,
                        proxy::http::RequestPtr request, proxy::CancellationPtr cancel,
                        proxy::ResponseCallback done) = 0;
};

struct Behavior {
  int status = 200;
  // Fixed body; the echo document when absent.
  std::optional<std::string> body;
  // Added to every response.
  std::map<std::string, std::string> headers;
  // When set, asked first; `headers` are added to its responses too.
  Handler handler;
  // Time the app takes to answer: fixed, or drawn from a log-normal distribution with this
  // median (p50) and 99th percentile (p99) when p99 > 0.
  std::chrono::nanoseconds latency{0};
  std::chrono::nanoseconds latency_p99{0};
  // The fraction of requests answered with `error_status` instead.
  double error_rate = 0;
  int error_status = 500;
  // Scripted statuses, one per request this pod receives; the last one repeats.
  std::vector<int> sequence;
  // Made in order before answering; each must succeed (or be ignored) before the next.
  std::vector<Call> calls;
};

// Sees every request an app receives (as it arrived), with the pod it arrived at.
using RequestObserver =
    std::function<void(const k8s::PodState& pod, const proxy::http::Request& request)>;

class App : public proxy::RequestHandler {
public:
  // `origin` is stamped on every response so the simulator can tell which pod answered.
  App(const k8s::PodState& pod, uint64_t origin, Behavior behavior);

  // proxy::RequestHandler. Answers inline; the network delivers the answer as a later event.
  void onRequest(const proxy::ConnectionInfo& connection, proxy::http::RequestPtr request,
                 proxy::ResponseCallback done) override;

  uint64_t received() const { return received_; }
  // Lets the app take time and draw random numbers; without it, latency and errorRate are off.
  void setRuntime(proxy::Dispatcher* dispatcher, proxy::RandomGenerator* random) {
    dispatcher_ = dispatcher;
    random_ = random;
  }
  // Calls `*observer` for every request from now on; null stops. It must outlive the app.
  void setObserver(const RequestObserver* observer) { observer_ = observer; }
  // Where the app's `calls` go; without one, every call fails.
  void setCallSender(CallSender* sender) { call_sender_ = sender; }
  const Behavior& behavior() const { return behavior_; }
  // The container restarted: per-pod state (the sequence position) starts over.
  void restart() { received_ = 0; }
  const k8s::PodState& pod() const { return pod_; }

  // The echo document for `request` as this pod would answer it.
  std::string echoDocument(const proxy::http::Request& request) const;
  // Its size in bytes, found without writing it.
  size_t echoDocumentSize(const proxy::http::Request& request) const;
  // Whether echo responses carry the document (the default) or only count its size
  // (Response::unread_body_bytes), for a run in which nothing reads a response body.
  void setEchoBodies(bool carry) { echo_bodies_ = carry; }

private:
  struct CallChain;
  // Answers `request` by the behaviour (status, sequence, errorRate, body, latency).
  void answer(const proxy::http::Request& request, proxy::ResponseCallback done);
  void answerNow(proxy::http::ResponsePtr response, proxy::ResponseCallback done);
  void runCall(const std::shared_ptr<CallChain>& chain);
  void onCallDone(const std::shared_ptr<CallChain>& chain, const std::string& failure);

  const k8s::PodState& pod_;
  uint64_t origin_;
  Behavior behavior_;
  // The echo document up to the request part, which does not change between requests.
  std::string echo_prefix_;
  bool echo_bodies_ = true;
  uint64_t received_ = 0;
  std::chrono::nanoseconds drawLatency();

  const RequestObserver* observer_ = nullptr;
  proxy::Dispatcher* dispatcher_ = nullptr;
  proxy::RandomGenerator* random_ = nullptr;
  CallSender* call_sender_ = nullptr;
};

}  // namespace meshsim::sim::apps
