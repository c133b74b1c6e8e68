#include "proxy/net/edge_poller.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

namespace meshsim::proxy::net {
namespace {

class CountingWatcher : public EdgePoller::Watcher {
public:
  explicit CountingWatcher(int fd) : fd_(fd) {}
  void onPollReadable(uint32_t events) override {
    ++calls;
    hung_up = hung_up || EdgePoller::peerClosed(events);
    char buf[64];
    while (true) {  // edge-triggered: drain
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (n <= 0) {
        eof = eof || n == 0;
        break;
      }
      bytes += static_cast<size_t>(n);
    }
  }
  int calls = 0;
  size_t bytes = 0;
  bool eof = false;
  bool hung_up = false;

private:
  int fd_;
};

class EdgePollerTest : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  void TearDown() override {
    for (int fd : fds_) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
  void send(const char* text) { ASSERT_GT(::write(fds_[1], text, strlen(text)), 0); }
  void poll() {
    io_.restart();
    io_.poll();
  }
  boost::asio::io_context io_;
  int fds_[2] = {-1, -1};
};

TEST_F(EdgePollerTest, EveryArrivalCallsTheWatcherWithoutReArming) {
  EdgePoller& poller = EdgePoller::of(io_);
  CountingWatcher w(fds_[0]);
  const uint64_t token = poller.add(fds_[0], w);
  ASSERT_NE(token, 0u);
  poll();
  EXPECT_EQ(w.calls, 0);  // nothing arrived yet
  for (int i = 1; i <= 3; ++i) {
    send("ping");
    poll();
    EXPECT_EQ(w.calls, i);
    EXPECT_EQ(w.bytes, 4u * static_cast<size_t>(i));
    EXPECT_FALSE(w.hung_up);
  }
  ::close(fds_[1]);  // a hang-up is an arrival too
  fds_[1] = -1;
  poll();
  EXPECT_EQ(w.calls, 4);
  EXPECT_TRUE(w.eof);
  EXPECT_TRUE(w.hung_up);
  poller.remove(token);
}

TEST_F(EdgePollerTest, RemovedWatcherHearsNothingEvenForFetchedEvents) {
  EdgePoller& poller = EdgePoller::of(io_);
  CountingWatcher w(fds_[0]);
  const uint64_t token = poller.add(fds_[0], w);
  send("x");
  poller.remove(token);  // before the loop fetches the event
  poll();
  EXPECT_EQ(w.calls, 0);
  poller.remove(token);  // twice is harmless
  poller.remove(0);
  // The slot is reused with a new generation: the old token cannot reach the new watcher.
  CountingWatcher other(fds_[0]);
  const int copy = ::dup(fds_[0]);
  const uint64_t again = poller.add(copy, other);
  EXPECT_NE(again, token);
  poller.remove(token);
  send("y");
  poll();
  EXPECT_EQ(other.calls, 1);
  poller.remove(again);
  ::close(copy);
}

TEST_F(EdgePollerTest, BadDescriptorIsRefused) {
  CountingWatcher w(-1);
  EXPECT_EQ(EdgePoller::of(io_).add(-1, w), 0u);
}

}  // namespace
}  // namespace meshsim::proxy::net
