#include "sim/serve/app_server.h"

#include <atomic>
#include <limits>
#include <string>
#include <thread>
#include <utility>

#include <httplib.h>

#include "proxy/http/message.h"

namespace meshsim::sim::serve {

namespace {

// What the echo document says about a request that cpp-httplib parsed. Header names are
// lower-cased; cpp-httplib keeps them sorted by name rather than in arrival order.
proxy::http::Request toRequest(const httplib::Request& in) {
  proxy::http::Request out;
  out.method = in.method;
  out.path = in.target.empty() ? in.path : in.target;
  for (const auto& [name, value] : in.headers) {
    std::string lower = proxy::http::toLower(name);
    if (lower == "host") {
      out.authority = value;
    } else if (lower != "content-length" && lower != "transfer-encoding" &&
               !lower.starts_with("remote_") && !lower.starts_with("local_")) {
      // cpp-httplib adds REMOTE_ADDR/PORT and LOCAL_ADDR/PORT pseudo-headers of its own.
      out.headers.add(lower, value);
    }
  }
  out.body = in.body;
  return out;
}

}  // namespace

class AppServer::Impl {
public:
  Impl(const apps::App& app, size_t threads) {
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // Keep-alive connections are the proxy's pool: never end them after a count, and only
    // after a long idle time.
    server_.set_keep_alive_max_count(std::numeric_limits<size_t>::max());
    server_.set_keep_alive_timeout(60);
    // cpp-httplib writes a response's head and body with separate sends; with Nagle's algorithm
    // on, the body waits for the ACK of the head, which the sidecar delays: 40 ms per request.
    server_.set_tcp_nodelay(true);
    const auto handler = [&app](const httplib::Request& req, httplib::Response& res) {
      res.status = 200;
      res.set_content(app.echoDocument(toRequest(req)), "application/json");
    };
    const char* const any_path = ".*";
    server_.Get(any_path, handler);  // HEAD too
    server_.Post(any_path, handler);
    server_.Put(any_path, handler);
    server_.Patch(any_path, handler);
    server_.Delete(any_path, handler);
    server_.Options(any_path, handler);
  }

  ~Impl() {
    server_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  int bind() { return server_.bind_to_any_port("127.0.0.1"); }
  // Returns once the server accepts connections (or has failed), so that stop() cannot come
  // before cpp-httplib 0.11 marks itself running, which would leave its accept loop running.
  void run() {
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      finished_ = true;
    });
    while (!server_.is_running() && !finished_) {
      std::this_thread::yield();
    }
  }

private:
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> finished_ = false;
};

AppServer::AppServer(std::unique_ptr<Impl> impl, uint16_t port, size_t threads)
    : impl_(std::move(impl)), port_(port), threads_(threads) {}

AppServer::~AppServer() = default;

StatusOr<std::unique_ptr<AppServer>> AppServer::start(const apps::App& app, size_t threads) {
  if (threads == 0) {
    return invalidArgumentError("an app server needs at least one thread");
  }
  auto impl = std::make_unique<Impl>(app, threads);
  const int port = impl->bind();
  if (port <= 0) {
    return unavailableError("app " + app.pod().id() + ": cannot bind a port on 127.0.0.1");
  }
  impl->run();
  return std::unique_ptr<AppServer>(
      new AppServer(std::move(impl), static_cast<uint16_t>(port), threads));
}

}  // namespace meshsim::sim::serve
