#include "proxy/net/http_server.h"

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
      "TE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: keep-alive\r\nExpect: 100-continue\r\n"
      "X-Kept: yes\r\n\r\n");
  ASSERT_NE(client.readResponse(), nullptr);
  const http::Request seen = io_.call([&] { return handler.last; });
  EXPECT_EQ(seen.headers.size(), 1u);
  ASSERT_NE(seen.headers.get("x-kept"), nullptr);
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

TEST_F(HttpServerTest, FailsToBindAPortInUse) {
  start(echo_);
  auto second = io_.call([&] {
    return HttpServer::create(io_.dispatcher(), {config::kLoopback, port()}, echo_).ok();
  });
  EXPECT_FALSE(second);
}

}  // namespace
}  // namespace meshsim::proxy::net
