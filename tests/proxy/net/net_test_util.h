#pragma once

// Helpers for the real-socket tests of proxy/net and sim/serve: an io_context on a background
// thread, a blocking raw client with a receive deadline (so a broken server fails the test
// instead of hanging it), and simple request handlers. Everything binds 127.0.0.1 port 0.

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "proxy/event/asio_dispatcher.h"
#include "proxy/http/codec.h"
#include "proxy/upstream/transport.h"

namespace meshsim::proxy::net::testing {

using boost::asio::ip::tcp;

// Every wait in these tests is bounded by this.
inline constexpr auto kTestDeadline = std::chrono::seconds(10);

// An io_context run by a background thread, with its dispatcher.
class IoThread {
public:
  IoThread() : dispatcher_(io_), work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~IoThread() { stop(); }

  void stop() {
    if (thread_.joinable()) {
      work_.reset();
      io_.stop();
      thread_.join();
    }
  }

  AsioDispatcher& dispatcher() { return dispatcher_; }
  boost::asio::io_context& io() { return io_; }

  // Runs `f` on the io thread and returns its result.
  template <typename F>
  auto call(F f) -> decltype(f()) {
    using R = decltype(f());
    std::packaged_task<R()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    if (result.wait_for(kTestDeadline) != std::future_status::ready) {
      ADD_FAILURE() << "io thread did not run the call in time";
      std::abort();
    }
    return result.get();
  }

private:
  boost::asio::io_context io_;
  AsioDispatcher dispatcher_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

// A blocking client on its own io_context; reads fail after the deadline instead of hanging.
class RawClient {
public:
  explicit RawClient(uint16_t port, std::chrono::milliseconds deadline = kTestDeadline)
      : socket_(io_) {
    socket_.connect(tcp::endpoint(boost::asio::ip::address_v4::loopback(), port));
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(deadline.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((deadline.count() % 1000) * 1000);
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  void send(std::string_view bytes) {
    boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()));
  }

  // Reads one response; nullptr (and a test failure) on a close, error or the deadline.
  http::ResponsePtr readResponse(bool head = false) {
    if (head) {
      parser_.expectHeadResponse();
    }
    while (true) {
      if (!pending_.empty()) {
        auto r = parser_.feed(pending_);
        if (r.status == http::ParseStatus::Complete) {
          pending_.erase(0, r.consumed);
          return std::move(r.message);
        }
        if (r.status == http::ParseStatus::Error) {
          ADD_FAILURE() << "malformed response: " << r.error.message;
          return nullptr;
        }
        pending_.clear();
      }
      char buf[16384];
      const ssize_t n = recvSome(buf, sizeof(buf));
      if (n <= 0) {
        ADD_FAILURE() << (n == 0 ? "connection closed before a response" : "no response in time");
        return nullptr;
      }
      pending_.assign(buf, static_cast<size_t>(n));
    }
  }

  // Reads until the server closes; returns whether it did (before the deadline) and keeps what
  // arrived in received().
  bool waitForClose() {
    char buf[16384];
    while (true) {
      const ssize_t n = recvSome(buf, sizeof(buf));
      if (n == 0 || (n < 0 && errno == ECONNRESET)) {
        return true;
      }
      if (n < 0) {
        return false;  // The deadline (EAGAIN) or another error.
      }
      received_.append(buf, static_cast<size_t>(n));
    }
  }

  const std::string& received() const { return received_; }
  tcp::socket& socket() { return socket_; }

private:
  // A plain recv: SO_RCVTIMEO bounds it (Asio's synchronous reads would poll without limit).
  ssize_t recvSome(char* buf, size_t size) {
    ssize_t n;
    do {
      n = ::recv(socket_.native_handle(), buf, size, 0);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  boost::asio::io_context io_;
  tcp::socket socket_;
  http::ResponseParser parser_;
  std::string pending_;
  std::string received_;
};

// Answers every request at once with 200 and a body naming the method and path.
class EchoHandler : public RequestHandler {
public:
  void onRequest(const ConnectionInfo& /*connection*/, http::RequestPtr request,
                 ResponseCallback done) override {
    ++requests;
    auto r = std::make_unique<http::Response>();
    r->status = 200;
    r->headers.add("content-type", "text/plain");
    r->body = request->method + " " + request->path + " " + std::to_string(request->body.size());
    last_body = request->body;
    done(std::move(r), ResetReason::None);
  }
  // Read from the io thread only (or after it stopped).
  int requests = 0;
  std::string last_body;
};

}  // namespace meshsim::proxy::net::testing
