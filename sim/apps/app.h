#pragma once

// File: sim/apps/app.h
//
// A simulated workload: the application container of a pod. By default it is the echo app of
// SCENARIO-FORMAT.md: 200 with a JSON document describing the pod and the request it received.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "proxy/upstream/transport.h"
#include "sim/k8s/world.h"

namespace meshsim::sim::apps {

struct Behavior {
  int status = 200;
  // Fixed body; the echo document when absent.
  std::optional<std::string> body;
  // Added to every response.
  std::map<std::string, std::string> headers;
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
  // Calls `*observer` for every request from now on; null stops. It must outlive the app.
  void setObserver(const RequestObserver* observer) { observer_ = observer; }
  const k8s::PodState& pod() const { return pod_; }

  // The echo document for `request` as this pod would answer it.
  std::string echoDocument(const proxy::http::Request& request) const;

private:
  const k8s::PodState& pod_;
  uint64_t origin_;
  Behavior behavior_;
  // The echo document up to the request part, which does not change between requests.
  std::string echo_prefix_;
  uint64_t received_ = 0;
  const RequestObserver* observer_ = nullptr;
};

}  // namespace meshsim::sim::apps
