#pragma once

// File: sim/serve/app_server.h
//
// A pod's application as a real HTTP server for `meshsim serve`: cpp-httplib on 127.0.0.1, an
// ephemeral port, answering every request with the pod's echo document (apps::App's). It runs
// on cpp-httplib's own thread pool, one thread per connection, so its callers must not open
// more keep-alive connections to it than threads() (see RealNetwork::setUpstreamOptions).
//
// Threading: the handler threads call only App::echoDocument(), which reads the pod's state
// and nothing else; the world must not change while the server runs.
//
// Example:
//   auto server = AppServer::start(app).value();
//   network.bindLocal(pod.ip, 8080, {config::kLoopback, server->port()});

#include <cstddef>
#include <cstdint>
#include <memory>

#include "proxy/core/status.h"
#include "sim/apps/app.h"

namespace meshsim::sim::serve {

class AppServer {
public:
  // Binds 127.0.0.1:0 and starts serving on `threads` threads. `app` must outlive the server.
  // Fails with Unavailable when no port can be bound.
  static StatusOr<std::unique_ptr<AppServer>> start(const apps::App& app, size_t threads = 8);
  // Stops and joins the server's threads.
  ~AppServer();
  AppServer(const AppServer&) = delete;
  AppServer& operator=(const AppServer&) = delete;

  uint16_t port() const { return port_; }
  size_t threads() const { return threads_; }

private:
  class Impl;
  AppServer(std::unique_ptr<Impl> impl, uint16_t port, size_t threads);

  std::unique_ptr<Impl> impl_;
  uint16_t port_;
  size_t threads_;
};

}  // namespace meshsim::sim::serve
