#include "proxy/net/edge_poller.h"

#include <sys/epoll.h>

#include <array>
#include <cerrno>
#include <system_error>

#include "proxy/event/asio_loop_clock.h"

namespace meshsim::proxy::net {

namespace {

boost::asio::io_context& ioContextOf(boost::asio::execution_context& context) {
  // proxy/net runs on io_context only (AsioDispatcher owns one).
  return static_cast<boost::asio::io_context&>(context);
}

int createEpoll() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_create1");
  }
  return fd;
}

}  // namespace

boost::asio::execution_context::id EdgePoller::id;

bool EdgePoller::peerClosed(uint32_t events) {
  return (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
}

EdgePoller::EdgePoller(boost::asio::execution_context& context)
    : boost::asio::execution_context::service(context),
      epoll_fd_(createEpoll()),
      descriptor_(ioContextOf(context), epoll_fd_) {}

EdgePoller::~EdgePoller() = default;  // descriptor_ closes the epoll set

void EdgePoller::shutdown() {
  boost::system::error_code ignored;
  descriptor_.cancel(ignored);
  slots_.clear();
  free_.clear();
}

uint64_t EdgePoller::add(int fd, Watcher& watcher) {
  uint32_t index;
  if (free_.empty()) {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    index = free_.back();
    free_.pop_back();
  }
  Slot& slot = slots_[index];
  const uint64_t token = (uint64_t{slot.generation} << 32) | index;
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  event.data.u64 = token;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    free_.push_back(index);
    return 0;
  }
  slot.watcher = &watcher;
  if (!armed_) {
    arm();
  }
  return token;
}

void EdgePoller::remove(uint64_t token) {
  if (token == 0) {
    return;
  }
  const auto index = static_cast<uint32_t>(token);
  if (index >= slots_.size() || slots_[index].generation != static_cast<uint32_t>(token >> 32)) {
    return;
  }
  // Closing the socket takes it out of the epoll set; until then a stale event finds the
  // generation changed.
  Slot& slot = slots_[index];
  slot.watcher = nullptr;
  ++slot.generation;
  free_.push_back(index);
}

void EdgePoller::arm() {
  armed_ = true;
  descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [this](const boost::system::error_code& ec) {
                           armed_ = false;
                           if (ec) {
                             return;  // cancelled: the io_context is shutting down
                           }
                           onEvents();
                           arm();
                         });
}

void EdgePoller::onEvents() {
  // Under load more bytes arrive while a batch is handled; fetching them at once saves the trip
  // through Asio's loop (its epoll_wait, then re-arming this set with epoll_ctl) per batch. A
  // few rounds at most, so that timers and posted work are not kept waiting; a small batch says
  // the loop is not busy, and asking again would mostly find nothing.
  std::array<epoll_event, 128> events;
  for (int round = 0; round < kRoundsPerWake; ++round) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 0);
    for (int i = 0; i < n; ++i) {
      const uint64_t token = events[i].data.u64;
      const auto index = static_cast<uint32_t>(token);
      if (index >= slots_.size()) {
        continue;
      }
      Slot& slot = slots_[index];
      if (slot.generation != static_cast<uint32_t>(token >> 32) || slot.watcher == nullptr) {
        continue;  // removed meanwhile (perhaps by an earlier watcher of this batch)
      }
      const LoopClock::Event event;  // One clock read for all this arrival's work.
      slot.watcher->onPollReadable(events[i].events);
    }
    if (n < kBusyBatch) {
      break;
    }
  }
}

}  // namespace meshsim::proxy::net
