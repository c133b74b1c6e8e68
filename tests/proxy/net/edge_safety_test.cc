// Safety at the edge: each case sends bad bytes (or good bytes too slowly) to an HttpServer over
// a real socket and checks the status, that the connection is closed, and that nothing reached
// the handler.

#include <poll.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/net/http_server.h"
#include "tests/proxy/net/net_test_util.h"

namespace meshsim::proxy::net {
namespace {

using testing::EchoHandler;
using testing::IoThread;
using testing::RawClient;

// Keeps every request and never answers.
class HoldingHandler : public RequestHandler {
public:
  void onRequest(const ConnectionInfo& /*connection*/, http::RequestPtr /*request*/,
                 ResponseCallback done) override {
    held.push_back(std::move(done));
  }
  std::vector<ResponseCallback> held;
};

class EdgeSafetyTest : public ::testing::Test {
protected:
  EdgeSafetyTest() {
    options_.limits.max_header_bytes = 1024;
    options_.limits.max_header_count = 10;
    options_.limits.max_body_bytes = 1024;
  }
  ~EdgeSafetyTest() override {
    io_.call([this] {
      server_.reset();
      holding_.held.clear();
      return 0;
    });
  }

  void start(RequestHandler* handler = nullptr) {
    RequestHandler& h = handler != nullptr ? *handler : echo_;
    server_ = io_.call([&] {
      return HttpServer::create(io_.dispatcher(), {config::kLoopback, 0}, h, options_).value();
    });
  }

  // Sends `bytes`, then expects `status` with "connection: close" and the connection closed.
  void expectRefused(const std::string& bytes, int status) {
    RawClient client(server_->port());
    client.send(bytes);
    ASSERT_TRUE(client.waitForClose()) << "connection left open";
    const std::string& got = client.received();
    EXPECT_EQ(got.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0), 0u) << got;
    EXPECT_NE(got.find("connection: close\r\n"), std::string::npos) << got;
    EXPECT_EQ(io_.call([this] { return echo_.requests; }), 0) << "a bad request got through";
  }

  HttpServerStats stats() {
    return io_.call([this] { return server_->stats(); });
  }

  IoThread io_;
  HttpServerOptions options_;
  EchoHandler echo_;
  HoldingHandler holding_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(EdgeSafetyTest, HeaderSectionOverTheLimitGets431) {
  start();
  expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(2000, 'x') + "\r\n\r\n", 431);
  EXPECT_EQ(stats().downstream_cx_protocol_error, 1u);
}

TEST_F(EdgeSafetyTest, HeaderThatNeverEndsGets431WithoutBeingBuffered) {
  start();
  // Far more than the limit, and no end of line: the server must stop at the limit.
  expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX-Endless: " + std::string(size_t{64} * 1024, 'x'),
                431);
}

TEST_F(EdgeSafetyTest, TooManyHeaderFieldsGet431) {
  start();
  std::string request = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 20; ++i) {
    request += "X-H" + std::to_string(i) + ": v\r\n";
  }
  expectRefused(request + "\r\n", 431);
}

TEST_F(EdgeSafetyTest, ContentLengthWithTransferEncodingGets400) {
  start();
  // CL.TE smuggling: a front end reading Content-Length would see one request, a back end
  // reading chunked would see a second one ("GET /admin") hidden in the body.
  expectRefused(
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 35\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
      400);
}

TEST_F(EdgeSafetyTest, TransferEncodingWithContentLengthGets400) {
  start();
  expectRefused(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
      "5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n",
      400);
}

TEST_F(EdgeSafetyTest, LastChunkEndedByABareLineFeedGets400AtOnce) {
  // Before: held until the idle timeout, waiting for a CRLF that never comes.
  options_.idle_timeout = std::chrono::seconds(60);
  start();
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  expectRefused(head + "1\r\na\r\n0\n\r\n", 400);
  expectRefused(head + "1\r\na\r\n0\r\n\n", 400);
  EXPECT_EQ(stats().downstream_cx_protocol_error, 2u);
}

TEST_F(EdgeSafetyTest, DifferingContentLengthsGet400) {
  start();
  expectRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
                400);
}

TEST_F(EdgeSafetyTest, TransferEncodingNotEndingInChunkedGets400) {
  start();
  expectRefused(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400);
}

TEST_F(EdgeSafetyTest, MalformedRequestLineGets400) {
  start();
  expectRefused("NOT A REQUEST\r\n\r\n", 400);
}

TEST_F(EdgeSafetyTest, DeclaredBodyOverTheLimitGets413) {
  start();
  expectRefused(
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4096\r\n\r\n" + std::string(4096, 'b'), 413);
}

TEST_F(EdgeSafetyTest, ChunkedBodyOverTheLimitGets413) {
  start();
  std::string request = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i) {
    request += "200\r\n" + std::string(512, 'c') + "\r\n";
  }
  expectRefused(request + "0\r\n\r\n", 413);
}

TEST_F(EdgeSafetyTest, SlowRequestHeadersGet408) {
  options_.request_headers_timeout = std::chrono::milliseconds(200);
  start();
  RawClient client(server_->port());
  client.send("GET / HTTP/1.1\r\nHost: a\r\n");  // ... and the rest never comes.
  ASSERT_TRUE(client.waitForClose());
  EXPECT_EQ(client.received().rfind("HTTP/1.1 408 ", 0), 0u) << client.received();
  EXPECT_NE(client.received().find("request header timeout"), std::string::npos);
  EXPECT_EQ(stats().downstream_rq_header_timeout, 1u);
}

TEST_F(EdgeSafetyTest, TricklingHeadersStillGet408) {
  // Bytes keep coming, but the header never ends in time: activity must not reset the clock.
  options_.request_headers_timeout = std::chrono::milliseconds(300);
  start();
  RawClient client(server_->port());
  client.send("GET / HTTP/1.1\r\nHost: a\r\n");
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    boost::system::error_code ec;
    client.socket().write_some(boost::asio::buffer("X-A: b\r\n", 8), ec);
    closed = ec.failed();
    pollfd p{client.socket().native_handle(), POLLIN, 0};
    closed = closed || ::poll(&p, 1, 50) > 0;  // Paces the trickle; wakes early on a reply.
  }
  ASSERT_TRUE(client.waitForClose());
  EXPECT_EQ(client.received().rfind("HTTP/1.1 408 ", 0), 0u) << client.received();
}

TEST_F(EdgeSafetyTest, SlowRequestBodyGets408) {
  options_.request_timeout = std::chrono::milliseconds(200);
  start();
  RawClient client(server_->port());
  client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly ten b");
  ASSERT_TRUE(client.waitForClose());
  EXPECT_EQ(client.received().rfind("HTTP/1.1 408 ", 0), 0u) << client.received();
  EXPECT_NE(client.received().find("request timeout"), std::string::npos);
  EXPECT_EQ(stats().downstream_rq_timeout, 1u);
}

TEST_F(EdgeSafetyTest, PipelinedFloodIsHeldBackNotBuffered) {
  // The handler never answers the first request, so the server must stop reading: what the
  // client manages to write is then bounded by the kernel's socket buffers, not by meshsim.
  options_.read_buffer_bytes = 4096;
  start(&holding_);
  RawClient client(server_->port());
  const std::string request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string chunk;
  while (chunk.size() < size_t{64} * 1024) {
    chunk += request;
  }
  client.socket().non_blocking(true);
  size_t written = 0;
  constexpr size_t kGiveUp = size_t{256} * 1024 * 1024;
  while (written < kGiveUp) {
    boost::system::error_code ec;
    const size_t n = client.socket().write_some(boost::asio::buffer(chunk), ec);
    if (ec == boost::asio::error::would_block) {
      pollfd p{client.socket().native_handle(), POLLOUT, 0};
      if (::poll(&p, 1, 500) == 0) {
        break;  // Blocked: the server has stopped reading.
      }
      continue;
    }
    ASSERT_FALSE(ec) << ec.message();
    written += n;
  }
  EXPECT_LT(written, kGiveUp) << "the server kept reading";
  EXPECT_EQ(io_.call([this] { return holding_.held.size(); }), 1u);
}

TEST_F(EdgeSafetyTest, ConnectionsOverTheLimitAreClosed) {
  options_.max_connections = 1;
  start();
  RawClient first(server_->port());
  first.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_NE(first.readResponse(), nullptr);
  RawClient second(server_->port());
  EXPECT_TRUE(second.waitForClose());
  EXPECT_EQ(stats().downstream_cx_overflow, 1u);
}

}  // namespace
}  // namespace meshsim::proxy::net
