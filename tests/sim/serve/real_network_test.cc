#include "sim/net/real_network.h"

#include <future>

#include <gtest/gtest.h>

#include "proxy/core/random.h"
#include "proxy/net/http_server.h"
#include "tests/proxy/net/net_test_util.h"

namespace meshsim::sim::net {
namespace {

using proxy::net::testing::IoThread;

// Records the ConnectionInfo each request arrives with, and answers 200.
class RecordingHandler : public proxy::RequestHandler {
public:
  void onRequest(const proxy::ConnectionInfo& connection, proxy::http::RequestPtr,
                 proxy::ResponseCallback done) override {
    seen.push_back(connection);
    auto r = std::make_unique<proxy::http::Response>();
    r->status = 200;
    done(std::move(r), proxy::ResetReason::None);
  }
  std::vector<proxy::ConnectionInfo> seen;
};

// A pool's connections stand for the proxy that opened them, not for the exchange that happened
// to open them: a cancellation of that first exchange must not follow later requests.
TEST(RealNetworkTest, ConnectionIdentityCarriesNoExchangeState) {
  IoThread io;
  proxy::SeededRandom random(1);
  RecordingHandler handler;
  std::unique_ptr<RealNetwork> network;
  std::unique_ptr<proxy::net::HttpServer> server;
  const Address virtual_address{proxy::config::ipv4(10, 1, 0, 11), 8080};
  io.call([&] {
    network = std::make_unique<RealNetwork>(io.dispatcher(), random);
    server =
        proxy::net::HttpServer::create(io.dispatcher(), {proxy::config::kLoopback, 0}, handler, {},
                                       [&](proxy::config::Address remote, proxy::config::Address) {
                                         return network->connectionInfo(remote, virtual_address);
                                       })
            .value();
    network->bind(virtual_address, {proxy::config::kLoopback, server->port()});
    return 0;
  });
  const auto send = [&](proxy::CancellationPtr cancel) {
    std::promise<int> status;
    io.call([&] {
      proxy::ConnectionInfo from{{proxy::config::ipv4(10, 1, 0, 10), 0},
                                 virtual_address,
                                 nullptr,
                                 false,
                                 std::move(cancel),
                                 std::chrono::seconds(2)};
      auto request = std::make_unique<proxy::http::Request>();
      request->authority = "hello";
      network->send(from, virtual_address, std::move(request),
                    [&](proxy::http::ResponsePtr r, proxy::ResetReason) {
                      status.set_value(r == nullptr ? 0 : r->status);
                    });
      return 0;
    });
    return status.get_future().get();
  };
  auto first = std::make_shared<proxy::Cancellation>();
  EXPECT_EQ(send(first), 200);
  first->cancel();  // the first exchange is over; its sender gives up on it late
  EXPECT_EQ(send(nullptr), 200);
  io.call([&] {
    EXPECT_EQ(handler.seen.size(), 2u);
    for (const auto& c : handler.seen) {
      // The server's own per-connection cancellation (its client may hang up), never the
      // sender's, and not cancelled by the sender giving up on an exchange already over.
      EXPECT_NE(c.cancel, nullptr);
      EXPECT_NE(c.cancel, first);
      EXPECT_TRUE(c.cancel == nullptr || !c.cancel->cancelled());
      EXPECT_EQ(c.source.ip, proxy::config::ipv4(10, 1, 0, 10));
    }
    server.reset();
    network.reset();
    return 0;
  });
}

// A pod's loopback port that its app stopped listening on (a restart, a killed pod) is refused,
// not taken literally as a server of this machine's that happens to listen on that port.
TEST(RealNetworkTest, AnUnboundLoopbackPortOfAPodIsRefused) {
  IoThread io;
  proxy::SeededRandom random(1);
  RecordingHandler handler;
  std::unique_ptr<RealNetwork> network;
  std::unique_ptr<proxy::net::HttpServer> server;
  const uint32_t pod_ip = proxy::config::ipv4(10, 1, 0, 11);
  uint16_t port = 0;
  io.call([&] {
    network = std::make_unique<RealNetwork>(io.dispatcher(), random);
    server = proxy::net::HttpServer::create(io.dispatcher(), {proxy::config::kLoopback, 0}, handler)
                 .value();
    port = server->port();
    network->bindLocal(pod_ip, port, {proxy::config::kLoopback, port});
    return 0;
  });
  const auto send = [&] {
    std::promise<std::pair<int, proxy::ResetReason>> result;
    io.call([&] {
      proxy::ConnectionInfo from{{pod_ip, 0}, {proxy::config::kLoopback, port}, nullptr, false,
                                 nullptr,     std::chrono::seconds(2)};
      auto request = std::make_unique<proxy::http::Request>();
      request->authority = "localhost";
      network->send(from, {proxy::config::kLoopback, port}, std::move(request),
                    [&](proxy::http::ResponsePtr r, proxy::ResetReason reset) {
                      result.set_value({r == nullptr ? 0 : r->status, reset});
                    });
      return 0;
    });
    return result.get_future().get();
  };
  EXPECT_EQ(send().first, 200);
  io.call([&] {
    network->unbindLocal(pod_ip, port);
    return 0;
  });
  const auto refused = send();
  EXPECT_EQ(refused.first, 0);
  EXPECT_EQ(refused.second, proxy::ResetReason::ConnectFailure);
  io.call([&] {
    EXPECT_EQ(handler.seen.size(), 1u);
    server.reset();
    network.reset();
    return 0;
  });
}

}  // namespace
}  // namespace meshsim::sim::net
