#include "proxy/net/connection_pool.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/net/http_server.h"
#include "tests/proxy/net/net_test_util.h"

namespace meshsim::proxy::net {
namespace {

using testing::EchoHandler;
using testing::IoThread;
using testing::kTestDeadline;
using testing::tcp;

struct Outcome {
  http::ResponsePtr response;
  ResetReason reset = ResetReason::None;
  bool inline_call = false;  // `done` ran inside send(): never allowed
};

http::RequestPtr request(std::string method = "GET", std::string path = "/") {
  auto r = std::make_unique<http::Request>();
  r->method = std::move(method);
  r->path = std::move(path);
  r->authority = "upstream";
  return r;
}

// A scripted upstream on a thread of its own: accepts connections one after another and runs
// `script` on each (blocking I/O). Used where a well-behaved server cannot misbehave on cue.
class ScriptedUpstream {
public:
  using Script = std::function<void(tcp::socket&, int index)>;
  ScriptedUpstream(int connections, Script script)
      : acceptor_(io_, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0)),
        thread_([this, connections, script = std::move(script)] {
          for (int i = 0; i < connections; ++i) {
            tcp::socket s(io_);
            boost::system::error_code ec;
            acceptor_.accept(s, ec);
            if (ec) {
              return;
            }
            timeval tv{5, 0};
            setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
            script(s, i);
          }
        }) {}
  ~ScriptedUpstream() {
    // Shutting a listening socket down wakes an accept() still waiting for a connection that
    // a failing test never made.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    thread_.join();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // Reads one request header section (requests in these tests have no body), byte by byte with
  // a plain recv so that SO_RCVTIMEO bounds the wait.
  static bool readRequest(tcp::socket& s) {
    std::string seen;
    char c;
    while (seen.size() < 4 || seen.compare(seen.size() - 4, 4, "\r\n\r\n") != 0) {
      if (::recv(s.native_handle(), &c, 1, 0) != 1) {
        return false;
      }
      seen.push_back(c);
    }
    return true;
  }

private:
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

class ConnectionPoolTest : public ::testing::Test {
protected:
  ~ConnectionPoolTest() override {
    io_.call([this] {
      pool_.reset();
      server_.reset();
      return 0;
    });
  }

  void startServer() {
    server_ = io_.call([this] {
      return HttpServer::create(io_.dispatcher(), {config::kLoopback, 0}, echo_).value();
    });
  }
  void makePool(uint16_t port, ConnectionPoolOptions options = {}) {
    io_.call([&] {
      pool_ = std::make_unique<HttpConnectionPool>(
          io_.dispatcher(), config::Address{config::kLoopback, port}, options);
      return 0;
    });
  }

  // Sends on the io thread; the future is set when `done` runs.
  std::future<Outcome> sendAsync(http::RequestPtr r) {
    auto promise = std::make_shared<std::promise<Outcome>>();
    auto future = promise->get_future();
    io_.call([&] {
      auto in_send = std::make_shared<bool>(true);
      pool_->send(std::move(r), [promise, in_send](http::ResponsePtr response, ResetReason reset) {
        promise->set_value({std::move(response), reset, *in_send});
      });
      *in_send = false;
      return 0;
    });
    return future;
  }
  Outcome send(http::RequestPtr r) {
    auto future = sendAsync(std::move(r));
    if (future.wait_for(kTestDeadline) != std::future_status::ready) {
      ADD_FAILURE() << "no outcome in time";
      std::abort();
    }
    Outcome o = future.get();
    EXPECT_FALSE(o.inline_call) << "done ran inline";
    return o;
  }
  ConnectionPoolStats stats() {
    return io_.call([this] { return pool_->stats(); });
  }

  IoThread io_;
  EchoHandler echo_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<HttpConnectionPool> pool_;
};

TEST_F(ConnectionPoolTest, ReusesOneKeepAliveConnection) {
  startServer();
  makePool(server_->port());
  for (int i = 0; i < 3; ++i) {
    Outcome o = send(request("GET", "/" + std::to_string(i)));
    ASSERT_NE(o.response, nullptr);
    EXPECT_EQ(o.response->status, 200);
    EXPECT_EQ(o.response->body, "GET /" + std::to_string(i) + " 0");
  }
  EXPECT_EQ(stats().upstream_cx_total, 1u);
  EXPECT_EQ(stats().upstream_rq_total, 3u);
  EXPECT_EQ(io_.call([this] { return pool_->idleConnections(); }), 1u);
}

// Envoy's upstream idle_timeout: a connection that has carried no request for that long is
// closed, and the upstream sees the close. A new connection's timer waited for its connect
// deadline (10 s by default) before it first looked at idleness, so a pool held what a load
// peak had opened for the whole connect timeout, whatever its idle timeout (tools/bench/soak's
// descriptors stayed above their idle level).
TEST_F(ConnectionPoolTest, ClosesAConnectionIdleForItsIdleTimeout) {
  startServer();
  ConnectionPoolOptions options;
  options.idle_timeout = std::chrono::milliseconds(200);  // connect_timeout stays 10 s
  makePool(server_->port(), options);
  const auto sent = std::chrono::steady_clock::now();
  Outcome o = send(request());
  ASSERT_NE(o.response, nullptr);
  EXPECT_EQ(o.response->status, 200);
  // Far less than the connect timeout, and bounded so that the test fails rather than waits.
  const auto deadline = sent + std::chrono::seconds(5);
  while (stats().upstream_cx_active != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto closed_after = std::chrono::steady_clock::now() - sent;
  EXPECT_EQ(stats().upstream_cx_active, 0u) << "the idle connection is still open";
  EXPECT_EQ(stats().upstream_cx_idle_timeout, 1u);
  EXPECT_GE(closed_after, options.idle_timeout) << "closed before its idle timeout";
  // The upstream saw the close.
  while (io_.call([this] { return server_->stats().downstream_cx_active; }) != 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(io_.call([this] { return server_->stats().downstream_cx_active; }), 0u);
  // The next request opens a new connection.
  EXPECT_EQ(send(request()).response->status, 200);
  EXPECT_EQ(stats().upstream_cx_total, 2u);
}

TEST_F(ConnectionPoolTest, OpensConnectionsForConcurrentRequests) {
  startServer();
  makePool(server_->port());
  std::vector<std::future<Outcome>> futures;
  io_.call([&] {
    // All four in one go, so that none finds a connection freed by another.
    for (int i = 0; i < 4; ++i) {
      auto promise = std::make_shared<std::promise<Outcome>>();
      futures.push_back(promise->get_future());
      pool_->send(request(), [promise](http::ResponsePtr response, ResetReason reset) {
        promise->set_value({std::move(response), reset, false});
      });
    }
    return 0;
  });
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(kTestDeadline), std::future_status::ready);
    EXPECT_EQ(f.get().response->status, 200);
  }
  EXPECT_EQ(stats().upstream_cx_total, 4u);
}

TEST_F(ConnectionPoolTest, RefusedConnectIsConnectFailure) {
  uint16_t closed_port = 0;
  {
    boost::asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
    closed_port = a.local_endpoint().port();
  }
  makePool(closed_port);
  Outcome o = send(request());
  EXPECT_EQ(o.response, nullptr);
  EXPECT_EQ(o.reset, ResetReason::ConnectFailure);
  EXPECT_EQ(stats().upstream_cx_connect_fail, 1u);
  EXPECT_EQ(stats().upstream_cx_active, 0u);
}

TEST_F(ConnectionPoolTest, ConnectTimeoutIsConnectFailure) {
  // A listener whose accept queue is full drops further SYNs, so connects hang.
  boost::asio::io_context io;
  tcp::acceptor full(io);
  full.open(tcp::v4());
  full.bind(tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  full.listen(0);
  // Non-blocking connects straight from POSIX: Asio's synchronous connect would wait.
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(full.local_endpoint().port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // EINPROGRESS, or at once: either way the connection takes a place in the queue.
    (void)::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    fillers.push_back(fd);
  }
  ConnectionPoolOptions options;
  options.connect_timeout = std::chrono::milliseconds(200);
  makePool(full.local_endpoint().port(), options);
  Outcome o = send(request());
  EXPECT_EQ(o.reset, ResetReason::ConnectFailure);
  EXPECT_EQ(stats().upstream_cx_connect_timeout, 1u);
  for (const int fd : fillers) {
    ::close(fd);
  }
}

TEST_F(ConnectionPoolTest, CloseBeforeTheResponseIsConnectionTermination) {
  ScriptedUpstream upstream(1, [](tcp::socket& s, int) {
    ScriptedUpstream::readRequest(s);
    s.close();
  });
  makePool(upstream.port());
  Outcome o = send(request());
  EXPECT_EQ(o.response, nullptr);
  EXPECT_EQ(o.reset, ResetReason::ConnectionTermination);
}

TEST_F(ConnectionPoolTest, DecodesAChunkedResponseAndDropsHopByHopFields) {
  ScriptedUpstream upstream(1, [](tcp::socket& s, int) {
    ScriptedUpstream::readRequest(s);
    const std::string response =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
        "Keep-Alive: timeout=5\r\nX-App: 1\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(response));
  });
  makePool(upstream.port());
  Outcome o = send(request());
  ASSERT_NE(o.response, nullptr);
  EXPECT_EQ(o.response->body, "hello world");
  EXPECT_EQ(o.response->headers.size(), 1u);
  EXPECT_NE(o.response->headers.get("x-app"), nullptr);
}

TEST_F(ConnectionPoolTest, SkipsInterimResponses) {
  ScriptedUpstream upstream(1, [](tcp::socket& s, int) {
    ScriptedUpstream::readRequest(s);
    const std::string response =
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
    boost::asio::write(s, boost::asio::buffer(response));
  });
  makePool(upstream.port());
  Outcome o = send(request("PUT"));
  ASSERT_NE(o.response, nullptr);
  EXPECT_EQ(o.response->status, 201);
  EXPECT_EQ(o.response->body, "ok");
}

TEST_F(ConnectionPoolTest, RetriesAnIdempotentRequestLostToTheKeepAliveRace) {
  // The first connection answers once, then takes the next request and closes without an
  // answer, as an upstream closing an idle connection does when the request crosses the close.
  ScriptedUpstream upstream(2, [](tcp::socket& s, int index) {
    ScriptedUpstream::readRequest(s);
    const std::string ok =
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n" + std::string(index == 0 ? "a" : "b");
    if (index == 0) {
      boost::asio::write(s, boost::asio::buffer(ok));
      ScriptedUpstream::readRequest(s);
      s.close();
      return;
    }
    boost::asio::write(s, boost::asio::buffer(ok));
  });
  makePool(upstream.port());
  EXPECT_EQ(send(request()).response->body, "a");
  Outcome second = send(request());
  ASSERT_NE(second.response, nullptr);
  EXPECT_EQ(second.response->body, "b");
  EXPECT_EQ(stats().upstream_rq_retry, 1u);
  EXPECT_EQ(stats().upstream_cx_total, 2u);
}

TEST_F(ConnectionPoolTest, DoesNotRetryAPost) {
  ScriptedUpstream upstream(1, [](tcp::socket& s, int) {
    ScriptedUpstream::readRequest(s);
    boost::asio::write(
        s, boost::asio::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")));
    ScriptedUpstream::readRequest(s);
    s.close();
  });
  makePool(upstream.port());
  EXPECT_EQ(send(request()).response->status, 200);
  Outcome post = send(request("POST"));
  EXPECT_EQ(post.reset, ResetReason::ConnectionTermination);
  EXPECT_EQ(stats().upstream_rq_retry, 0u);
}

TEST_F(ConnectionPoolTest, NeverReusesAConnectionClosedWithTheResponse) {
  // The first connection answers keep-alive and closes in the same segment (corked write, then
  // FIN): no second readiness event comes, so the pool must see the close in the event that
  // brought the response. The POST that follows must go out on a new connection.
  ScriptedUpstream upstream(2, [](tcp::socket& s, int index) {
    ScriptedUpstream::readRequest(s);
    const std::string ok =
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n" + std::string(index == 0 ? "a" : "b");
    if (index == 0) {
      const int on = 1;
      setsockopt(s.native_handle(), IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
      boost::asio::write(s, boost::asio::buffer(ok));
      ::shutdown(s.native_handle(), SHUT_WR);
      s.close();  // A request sent here now would be answered with a reset.
      return;
    }
    boost::asio::write(s, boost::asio::buffer(ok));
  });
  makePool(upstream.port());
  EXPECT_EQ(send(request()).response->body, "a");
  Outcome post = send(request("POST"));
  ASSERT_NE(post.response, nullptr) << "reset: " << toString(post.reset);
  EXPECT_EQ(post.response->status, 200);
  EXPECT_EQ(post.response->body, "b");
  EXPECT_EQ(stats().upstream_cx_total, 2u);
  EXPECT_EQ(stats().upstream_rq_retry, 0u);
}

TEST_F(ConnectionPoolTest, OverflowsWhenTheQueueIsFull) {
  class Silent : public RequestHandler {
  public:
    void onRequest(const ConnectionInfo&, http::RequestPtr, ResponseCallback done) override {
      held.push_back(std::move(done));
    }
    std::vector<ResponseCallback> held;
  } silent;
  auto server = io_.call([&] {
    return HttpServer::create(io_.dispatcher(), {config::kLoopback, 0}, silent).value();
  });
  ConnectionPoolOptions options;
  options.max_connections = 1;
  options.max_pending_requests = 1;
  makePool(server->port(), options);
  // In one go: the first request waits for the only connection to open, the queue is then full.
  auto overflowed = std::make_shared<std::promise<Outcome>>();
  auto outcome = overflowed->get_future();
  io_.call([&] {
    pool_->send(request(), [](http::ResponsePtr, ResetReason) {});
    auto in_send = std::make_shared<bool>(true);
    pool_->send(request(), [overflowed, in_send](http::ResponsePtr r, ResetReason reset) {
      overflowed->set_value({std::move(r), reset, *in_send});
    });
    *in_send = false;
    return 0;
  });
  ASSERT_EQ(outcome.wait_for(kTestDeadline), std::future_status::ready);
  const Outcome o = outcome.get();
  EXPECT_EQ(o.reset, ResetReason::Overflow);
  EXPECT_FALSE(o.inline_call);
  EXPECT_EQ(stats().upstream_rq_pending_overflow, 1u);
  io_.call([&] {
    pool_.reset();  // Drops the first request's callback unanswered.
    server.reset();
    silent.held.clear();
    return 0;
  });
}

}  // namespace
}  // namespace meshsim::proxy::net
