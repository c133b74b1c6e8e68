#include "sim/net/virtual_network.h"

#include <gtest/gtest.h>

#include "proxy/event/virtual_dispatcher.h"

namespace meshsim::sim::net {
namespace {

using proxy::config::ipv4;

// A handler that keeps every request's callback until the test answers it.
class HoldingHandler : public proxy::RequestHandler {
public:
  void onRequest(const proxy::ConnectionInfo&, proxy::http::RequestPtr,
                 proxy::ResponseCallback done) override {
    held.push_back(std::move(done));
  }
  void answerAll(int status) {
    for (auto& done : held) {
      auto r = std::make_unique<proxy::http::Response>();
      r->status = status;
      done(std::move(r), proxy::ResetReason::None);
    }
    held.clear();
  }
  std::vector<proxy::ResponseCallback> held;
};

class VirtualNetworkTest : public ::testing::Test {
protected:
  VirtualNetworkTest() : random_(1), network_(loop_, random_) {}

  struct Outcome {
    bool done = false;
    int status = 0;
    proxy::ResetReason reset = proxy::ResetReason::None;
    proxy::MonotonicTime at{};
  };

  void send(uint32_t from_ip, Address to, Outcome& out) {
    proxy::ConnectionInfo from{{from_ip, 0}, to, nullptr, false, nullptr, {}};
    network_.send(from, to, std::make_unique<proxy::http::Request>(),
                  [this, &out](proxy::http::ResponsePtr r, proxy::ResetReason reset) {
                    out.done = true;
                    out.status = r == nullptr ? 0 : r->status;
                    out.reset = reset;
                    out.at = loop_.now();
                  });
  }

  proxy::VirtualDispatcher loop_;
  proxy::SeededRandom random_;
  VirtualNetwork network_;
  const uint32_t client_ = ipv4(10, 1, 0, 10);
  const Address server_{ipv4(10, 1, 0, 11), 8080};
};

TEST_F(VirtualNetworkTest, ResetInFlightEndsTheExchangeAndDropsTheLateAnswer) {
  HoldingHandler h;
  network_.listen(server_, h);
  Outcome a, b;
  send(client_, server_, a);
  loop_.runUntilIdle();
  ASSERT_EQ(h.held.size(), 1u);
  network_.resetInFlight(h);
  loop_.runUntilIdle();
  EXPECT_TRUE(a.done);
  EXPECT_EQ(a.reset, proxy::ResetReason::ConnectionTermination);
  // The dead handler answers later: nobody hears it, and the slot is reused safely.
  send(client_, server_, b);
  h.answerAll(200);
  loop_.runUntilIdle();
  EXPECT_EQ(a.status, 0);
  ASSERT_EQ(h.held.size(), 1u);  // b arrived
  h.answerAll(201);
  loop_.runUntilIdle();
  EXPECT_TRUE(b.done);
  EXPECT_EQ(b.status, 201);
}

TEST_F(VirtualNetworkTest, ResetBeforeDeliveryNeverReachesTheHandler) {
  HoldingHandler h;
  network_.listen(server_, h);
  Outcome a;
  send(client_, server_, a);
  network_.resetInFlight(h);  // the request is still on the wire
  loop_.runUntilIdle();
  EXPECT_TRUE(h.held.empty());
  EXPECT_EQ(a.reset, proxy::ResetReason::ConnectionTermination);
}

TEST_F(VirtualNetworkTest, DroppedPartitionTimesOutAndRejectedOneRefusesAtOnce) {
  HoldingHandler h;
  network_.listen(server_, h);
  const auto start = loop_.now();
  network_.partition({client_}, {server_.ip}, /*drop=*/true);
  Outcome dropped, reverse;
  send(client_, server_, dropped);
  send(server_.ip, {client_, 80}, reverse);  // both directions are cut
  loop_.runUntilIdle();
  EXPECT_TRUE(h.held.empty());
  EXPECT_EQ(dropped.reset, proxy::ResetReason::ConnectFailure);
  EXPECT_EQ(dropped.at - start, VirtualNetwork::kConnectTimeout);
  EXPECT_EQ(reverse.at - start, VirtualNetwork::kConnectTimeout);

  network_.partition({client_}, {server_.ip}, /*drop=*/false);
  Outcome rejected;
  const auto t = loop_.now();
  send(client_, server_, rejected);
  loop_.runUntilIdle();
  EXPECT_EQ(rejected.reset, proxy::ResetReason::ConnectFailure);
  EXPECT_LT(rejected.at - t, std::chrono::milliseconds(1));

  network_.heal({server_.ip}, {client_});
  Outcome healed;
  send(client_, server_, healed);
  loop_.runUntilIdle();
  ASSERT_EQ(h.held.size(), 1u);
  h.answerAll(200);
  loop_.runUntilIdle();
  EXPECT_EQ(healed.status, 200);
}

TEST_F(VirtualNetworkTest, PartitionAppliesAfterVirtualIpResolution) {
  HoldingHandler h;
  network_.listen(server_, h);
  const Address vip{ipv4(10, 96, 0, 10), 80};
  network_.addVirtualIp(vip, {server_});
  network_.partition({client_}, {server_.ip}, /*drop=*/false);
  Outcome a;
  send(client_, vip, a);
  loop_.runUntilIdle();
  EXPECT_EQ(a.reset, proxy::ResetReason::ConnectFailure);
  network_.healAll();
  network_.removeVirtualIp(vip);
  Outcome b;
  send(client_, vip, b);  // nothing listens on the ClusterIP itself
  loop_.runUntilIdle();
  EXPECT_EQ(b.reset, proxy::ResetReason::ConnectFailure);
  EXPECT_TRUE(h.held.empty());
}

}  // namespace
}  // namespace meshsim::sim::net
