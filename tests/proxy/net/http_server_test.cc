#include "proxy/net/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/proxy/net/net_test_util.h"

namespace meshsim::proxy::net {
namespace {

using testing::EchoHandler;
using testing::IoThread;
using testing::RawClient;

// Remembers the last request; answers 200 at once.
class CapturingHandler : public RequestHandler {
public:
  void onRequest(const ConnectionInfo& connection, http::RequestPtr request,
                 ResponseCallback done) override {
    last = *request;
    last_connection = connection;
    done(std::make_unique<http::Response>(), ResetReason::None);
  }
  http::Request last;
  ConnectionInfo last_connection;
};

// Answers each request after a delay that shrinks with every request, so that later requests
// would overtake earlier ones if the server let them.
class ShrinkingDelayHandler : public RequestHandler {
public:
  explicit ShrinkingDelayHandler(Dispatcher& dispatcher) : dispatcher_(dispatcher) {}
  void onRequest(const ConnectionInfo& /*connection*/, http::RequestPtr request,
                 ResponseCallback done) override {
    const auto delay = std::chrono::milliseconds(delay_ms_ > 0 ? delay_ms_ : 0);
    delay_ms_ -= 5;
    dispatcher_.postAfter(delay, [path = request->path, done = std::move(done)]() mutable {
      auto r = std::make_unique<http::Response>();
      r->body = path;
      done(std::move(r), ResetReason::None);
    });
  }

private:
  Dispatcher& dispatcher_;
  int delay_ms_ = 50;
};

class HttpServerTest : public ::testing::Test {
protected:
  ~HttpServerTest() override {
    io_.call([this] {
      server_.reset();
      return 0;
    });
  }

  void start(RequestHandler& handler, HttpServerOptions options = {}) {
    server_ = io_.call([&] {
      auto s = HttpServer::create(io_.dispatcher(), {config::kLoopback, 0}, handler, options);
      EXPECT_TRUE(s.ok()) << s.status().toString();
      return std::move(s).value();
    });
  }
  uint16_t port() const { return server_->port(); }
  HttpServerStats stats() {
    return io_.call([this] { return server_->stats(); });
  }

  IoThread io_;
  EchoHandler echo_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesManyRequestsOnOneKeepAliveConnection) {
  start(echo_);
  RawClient client(port());
  for (int i = 0; i < 3; ++i) {
    client.send("GET /r" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n");
    auto r = client.readResponse();
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "GET /r" + std::to_string(i) + " 0");
  }
  const HttpServerStats s = stats();
  EXPECT_EQ(s.downstream_cx_total, 1u);
  EXPECT_EQ(s.downstream_rq_total, 3u);
  EXPECT_EQ(s.downstream_rq_2xx, 3u);
}

TEST_F(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  start(echo_);
  RawClient client(port());
  std::string burst;
  for (int i = 0; i < 200; ++i) {
    burst += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n";
  }
  client.send(burst);
  for (int i = 0; i < 200; ++i) {
    auto r = client.readResponse();
    ASSERT_NE(r, nullptr) << "response " << i;
    EXPECT_EQ(r->body, "GET /" + std::to_string(i) + " 0");
  }
}

TEST_F(HttpServerTest, SurvivesAFloodOfPipelinedRequestsAnsweredInline) {
  // Every read fills the buffer and every request is answered inline: the server must neither
  // recurse per buffer nor stall.
  start(echo_);
  RawClient client(port());
  constexpr int kRequests = 20000;
  std::string burst;
  for (int i = 0; i < kRequests; ++i) {
    burst += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n";
  }
  std::thread writer([&] { client.send(burst); });
  int answered = 0;
  for (; answered < kRequests; ++answered) {
    auto r = client.readResponse();
    if (r == nullptr || r->body != "GET /" + std::to_string(answered) + " 0") {
      break;
    }
  }
  writer.join();
  EXPECT_EQ(answered, kRequests);
}

TEST_F(HttpServerTest, KeepsPipelinedResponsesInOrderWhenTheHandlerAnswersLater) {
  ShrinkingDelayHandler handler(io_.dispatcher());
  start(handler);
  RawClient client(port());
  client.send(
      "GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /third HTTP/1.1\r\nHost: a\r\n\r\n");
  for (const char* path : {"/first", "/second", "/third"}) {
    auto r = client.readResponse();
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->body, path);
  }
}

TEST_F(HttpServerTest, DecodesAChunkedRequestBody) {
  start(echo_);
  RawClient client(port());
  client.send(
      "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  auto r = client.readResponse();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->body, "POST /upload 11");
  EXPECT_EQ(io_.call([this] { return echo_.last_body; }), "hello world");
}

TEST_F(HttpServerTest, AcceptsARequestArrivingByteByByte) {
  start(echo_);
  RawClient client(port());
  for (const char c : std::string("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")) {
    client.send(std::string(1, c));
  }
  auto r = client.readResponse();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->body, "GET /slow 0");
}

TEST_F(HttpServerTest, AnswersHeadWithoutABody) {
  start(echo_);
  RawClient client(port());
  client.send("HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n");
  auto head = client.readResponse(/*head=*/true);
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  // Had a body been sent, it would now be read as the next response.
  client.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
  auto next = client.readResponse();
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->body, "GET /after 0");
}

TEST_F(HttpServerTest, ClosesAfterAnsweringConnectionClose) {
  start(echo_);
  RawClient client(port());
  client.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(client.waitForClose());
  EXPECT_NE(client.received().find("HTTP/1.1 200 OK\r\n"), std::string::npos);
  EXPECT_NE(client.received().find("connection: close\r\n"), std::string::npos);
}

TEST_F(HttpServerTest, RefusesHttp10With426) {
  start(echo_);
  RawClient client(port());
  client.send("GET / HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(client.waitForClose());
  EXPECT_EQ(client.received().rfind("HTTP/1.1 426 ", 0), 0u) << client.received();
  EXPECT_EQ(io_.call([this] { return echo_.requests; }), 0);
}

TEST_F(HttpServerTest, DoesNotForwardHopByHopHeaders) {
  CapturingHandler handler;
  start(handler);
  RawClient client(port());
  client.send(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
      "TE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: keep-alive\r\nX-Kept: yes\r\n\r\n");
  ASSERT_NE(client.readResponse(), nullptr);
  const http::Request seen = io_.call([&] { return handler.last; });
  EXPECT_EQ(seen.headers.size(), 1u);
  ASSERT_NE(seen.headers.get("x-kept"), nullptr);
}

TEST_F(HttpServerTest, AnswersExpectContinueBeforeTheBody) {
  start(echo_);
  RawClient client(port());
  // The client holds the body back until it hears "100 Continue" (curl waits a second).
  client.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n");
  auto interim = client.readResponse();
  ASSERT_NE(interim, nullptr);
  EXPECT_EQ(interim->status, 100);
  client.send("hello");
  auto final_response = client.readResponse();
  ASSERT_NE(final_response, nullptr);
  EXPECT_EQ(final_response->status, 200);
  EXPECT_EQ(final_response->body, "POST /up 5");
  // The next request on the connection has no expectation: no interim answer.
  client.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  auto next = client.readResponse();
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "GET /next 0");
}

TEST_F(HttpServerTest, PassesTheExpectationOnAndSkipsTheInterimWhenTheBodyIsHere) {
  // Istio has Envoy proxy "Expect: 100-continue" (proxy_100_continue): the handler sees it.
  CapturingHandler handler;
  start(handler);
  RawClient client(port());
  client.send("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
  auto r = client.readResponse();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
  const http::Request seen = io_.call([&] { return handler.last; });
  ASSERT_NE(seen.headers.get("expect"), nullptr);
  EXPECT_EQ(*seen.headers.get("expect"), "100-continue");
  EXPECT_EQ(seen.body, "ok");
}

TEST_F(HttpServerTest, RoutesAnAbsoluteFormTargetOnItsAuthority) {
  CapturingHandler handler;
  start(handler);
  RawClient client(port());
  const struct {
    std::string target;
    std::string authority;
    std::string path;
  } cases[] = {
      {"http://hello.com/", "hello.com", "/"},
      {"http://hello.com", "hello.com", "/"},
      {"HTTP://hello.com:8080/a/b?c=d", "hello.com:8080", "/a/b?c=d"},
      {"http://hello.com?q=1", "hello.com", "/?q=1"},
      {"http://127.0.0.1:80/x", "127.0.0.1:80", "/x"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target);
    client.send("GET " + c.target + " HTTP/1.1\r\nHost: other.example\r\n\r\n");
    auto r = client.readResponse();
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, 200);
    const http::Request seen = io_.call([&] { return handler.last; });
    EXPECT_EQ(seen.authority, c.authority);
    EXPECT_EQ(seen.path, c.path);
  }
}

TEST_F(HttpServerTest, RefusesABadAbsoluteFormTarget) {
  start(echo_);
  const struct {
    std::string target;
    int status;
  } cases[] = {
      {"https://hello.com/", 403},  // https in the clear, as Envoy at an edge
      {"ftp://hello.com/", 400},     {"http:///x", 400},  {"http://user@hello.com/", 400},
      {"http://hello.com:8x/", 400}, {"hello.com/", 400}, {"://hello.com/", 400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target);
    RawClient client(port());
    client.send("GET " + c.target + " HTTP/1.1\r\nHost: hello.com\r\n\r\n");
    ASSERT_TRUE(client.waitForClose());
    EXPECT_EQ(client.received().rfind("HTTP/1.1 " + std::to_string(c.status) + " ", 0), 0u)
        << client.received();
  }
  EXPECT_EQ(io_.call([this] { return echo_.requests; }), 0);
}

TEST_F(HttpServerTest, ServersSharingALimitRefuseConnectionsBeyondIt) {
  HttpServerOptions options;
  options.shared_limit = std::make_shared<SharedConnectionLimit>();
  options.shared_limit->max = 2;
  start(echo_, options);
  EchoHandler other_handler;
  auto other = io_.call([&] {
    return HttpServer::create(io_.dispatcher(), {config::kLoopback, 0}, other_handler, options)
        .value();
  });
  auto client1 = std::make_unique<RawClient>(port());
  RawClient client2(other->port());
  for (RawClient* c : {client1.get(), &client2}) {
    c->send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    ASSERT_NE(c->readResponse(), nullptr);
  }
  // A third connection, to either server, is accepted and closed at once.
  RawClient refused(other->port());
  EXPECT_TRUE(refused.waitForClose());
  EXPECT_EQ(refused.received(), "");
  EXPECT_EQ(io_.call([&] { return other->stats().downstream_cx_overflow; }), 1u);
  // Once one closes there is room again.
  client1.reset();
  const auto deadline = std::chrono::steady_clock::now() + testing::kTestDeadline;
  while (io_.call([&] { return options.shared_limit->open; }) != 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  RawClient admitted(port());
  admitted.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_NE(admitted.readResponse(), nullptr);
  io_.call([&] {
    other.reset();
    return 0;
  });
  EXPECT_EQ(io_.call([&] { return options.shared_limit->open; }), 1u);
}

TEST_F(HttpServerTest, TellsTheHandlerWhereTheConnectionComesFrom) {
  CapturingHandler handler;
  start(handler);
  RawClient client(port());
  client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_NE(client.readResponse(), nullptr);
  const ConnectionInfo info = io_.call([&] { return handler.last_connection; });
  EXPECT_EQ(info.source.ip, config::kLoopback);
  EXPECT_EQ(info.source.port, client.socket().local_endpoint().port());
  EXPECT_EQ(info.destination.port, port());
  EXPECT_EQ(info.peer, nullptr);
}

TEST_F(HttpServerTest, ClosesAnIdleConnection) {
  HttpServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(100);
  start(echo_, options);
  RawClient client(port());
  client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_NE(client.readResponse(), nullptr);
  EXPECT_TRUE(client.waitForClose());
  EXPECT_EQ(stats().downstream_cx_idle_timeout, 1u);
  EXPECT_EQ(stats().downstream_cx_active, 0u);
}

// Sends `request` and the client's FIN in one segment (corked, then shut down for writing), as
// a client that sends one request and half-closes does when the kernel coalesces them.
void sendWithFin(RawClient& client, const std::string& request) {
  const int fd = client.socket().native_handle();
  const int on = 1;
  ASSERT_EQ(setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)), 0);
  client.send(request);
  ASSERT_EQ(::shutdown(fd, SHUT_WR), 0);
}

TEST_F(HttpServerTest, SeesAFinThatCameWithTheRequest) {
  // The request and its FIN arrive in one read: the server answers (inline here), then reads on
  // to the end of the stream and closes, instead of holding the socket in CLOSE-WAIT until the
  // idle timeout.
  start(echo_);
  for (int i = 0; i < 20; ++i) {
    RawClient client(port());
    sendWithFin(client, "GET /hc HTTP/1.1\r\nHost: hello.com\r\n\r\n");
    ASSERT_TRUE(client.waitForClose()) << "connection " << i << " left open";
    EXPECT_EQ(client.received().rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << client.received();
  }
  const HttpServerStats s = stats();
  EXPECT_EQ(s.downstream_cx_total, 20u);
  EXPECT_EQ(s.downstream_cx_active, 0u);
  EXPECT_EQ(s.downstream_rq_2xx, 20u);
}

// Holds the one request it is given, unanswered; keeps the connection's cancellation.
class Holding : public RequestHandler {
public:
  void onRequest(const ConnectionInfo& connection, http::RequestPtr /*request*/,
                 ResponseCallback done) override {
    ++requests;
    cancel = connection.cancel;
    held = std::move(done);
  }
  int requests = 0;
  CancellationPtr cancel;
  ResponseCallback held;
};

TEST_F(HttpServerTest, ResetsARequestInFlightWhenTheClientHangsUpWithIt) {
  // As Envoy's HTTP connection manager (no half-close): the end of the client's stream closes
  // the connection, and the handler hears that the exchange is cancelled.
  Holding holding;
  start(holding);
  RawClient client(port());
  sendWithFin(client, "GET /hc HTTP/1.1\r\nHost: hello.com\r\n\r\n");
  ASSERT_TRUE(client.waitForClose()) << "connection left open";
  EXPECT_EQ(client.received(), "");
  EXPECT_TRUE(io_.call([&] { return holding.cancel != nullptr && holding.cancel->cancelled(); }));
  EXPECT_EQ(stats().downstream_cx_active, 0u);
  io_.call([&] {
    holding.held = nullptr;
    return 0;
  });
}

// A request the handler holds, then more pipelined requests than the read buffer takes: the
// server stops reading (TCP flow control holds the client back), so no read reaches the end of
// the stream when the client hangs up. As Envoy, which detects an early close while reading is
// disabled, the hang-up must still close the connection and cancel the request in flight, not
// leave the socket in CLOSE-WAIT until the handler answers (with no route timeout: never).
// Both orders: the FIN on its own, after the buffer filled, and the FIN with the requests.

TEST_F(HttpServerTest, SeesAHangUpThatComesWhileItsReadBufferIsFull) {
  Holding holding;
  HttpServerOptions options;
  options.read_buffer_bytes = 1024;
  start(holding, options);
  std::string burst = "GET /first HTTP/1.1\r\nHost: a\r\n\r\n";
  while (burst.size() < 4 * options.read_buffer_bytes) {
    burst += "GET /queued HTTP/1.1\r\nHost: a\r\n\r\n";
  }
  for (const bool fin_with_bytes : {false, true}) {
    SCOPED_TRACE(fin_with_bytes ? "FIN with the requests" : "FIN on its own");
    RawClient client(port(), std::chrono::seconds(3));
    const int before = io_.call([&] { return holding.requests; });
    if (fin_with_bytes) {
      sendWithFin(client, burst);
    } else {
      client.send(burst);
      // The first request is with the handler, the buffer behind it full.
      for (int i = 0; i < 300 && io_.call([&] { return holding.requests; }) == before; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      ASSERT_EQ(::shutdown(client.socket().native_handle(), SHUT_WR), 0);
    }
    ASSERT_TRUE(client.waitForClose()) << "the hang-up went unnoticed";
    EXPECT_EQ(client.received(), "");
    EXPECT_EQ(io_.call([&] { return holding.requests; }), before + 1);
    EXPECT_TRUE(io_.call([&] { return holding.cancel != nullptr && holding.cancel->cancelled(); }));
    EXPECT_EQ(stats().downstream_cx_active, 0u);
    io_.call([&] {
      holding.held = nullptr;
      return 0;
    });
  }
}

TEST_F(HttpServerTest, FailsToBindAPortInUse) {
  start(echo_);
  auto second = io_.call([&] {
    return HttpServer::create(io_.dispatcher(), {config::kLoopback, port()}, echo_).ok();
  });
  EXPECT_FALSE(second);
}

}  // namespace
}  // namespace meshsim::proxy::net
