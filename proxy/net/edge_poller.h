#pragma once

// File: proxy/net/edge_poller.h
//
// Waiting for bytes without a system call per wait. Asio 1.74 re-arms every wait for
// readability with epoll_ctl (and async_read_some spends a recv that fails with EAGAIN instead),
// so a proxy that waits for the next request or response on each side paid one extra system
// call per side per request. An EdgePoller is one edge-triggered epoll set per io_context: a
// socket is added once, when its connection opens, and its watcher hears of every arrival of
// bytes (or of a hang-up or error) until it is removed. The set itself is one descriptor that
// Asio waits on, so the loop makes one epoll_ctl per batch of events, not per request.
//
// Contract for a watcher (edge-triggered): after onPollReadable() it must read until a read
// returns would_block or less than it asked for; bytes that arrive later raise a new call. When
// the event says the peer hung up (peerClosed(events)), a short read is not the end: the peer's
// FIN may have come in the same segment as its last bytes, and no further event will announce
// it, so the watcher must read on until end of stream (or would_block). Everything runs on the
// io_context's one thread.
//
// Example:
//   token_ = EdgePoller::of(io).add(socket_.native_handle(), *this);
//   ...
//   EdgePoller::of(io).remove(token_);  // before closing the socket
//   socket_.close();

#include <cstdint>
#include <vector>

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace meshsim::proxy::net {

class EdgePoller : public boost::asio::execution_context::service {
public:
  class Watcher {
  public:
    virtual ~Watcher() = default;
    // Bytes arrived, or the peer hung up or the socket failed (a read will say which).
    // `events` is the epoll event mask (EPOLLIN, EPOLLRDHUP, EPOLLHUP, EPOLLERR); see
    // peerClosed().
    virtual void onPollReadable(uint32_t events) = 0;
  };

  // Whether `events` says that the peer has sent its FIN or the connection is gone (RDHUP, HUP
  // or ERR): no more bytes will arrive, so reading until end of stream cannot block.
  static bool peerClosed(uint32_t events);

  using key_type = EdgePoller;
  static boost::asio::execution_context::id id;

  explicit EdgePoller(boost::asio::execution_context& context);
  ~EdgePoller() override;

  // The poller of the io_context that runs `context` (created on first use).
  static EdgePoller& of(boost::asio::execution_context& context) {
    return boost::asio::use_service<EdgePoller>(context);
  }

  // Watches `fd` for readability until remove(). Returns a token (never 0), or 0 when the
  // descriptor cannot be watched (then the caller closes the connection).
  uint64_t add(int fd, Watcher& watcher);
  // Stops the calls to the watcher of `token` at once, also for events already fetched. Call it
  // before closing the socket. A token of 0 is ignored.
  void remove(uint64_t token);

private:
  void shutdown() override;
  void arm();
  void onEvents();

  struct Slot {
    Watcher* watcher = nullptr;
    uint32_t generation = 1;
  };

  static constexpr int kRoundsPerWake = 4;
  static constexpr int kBusyBatch = 4;

  int epoll_fd_ = -1;
  boost::asio::posix::stream_descriptor descriptor_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  bool armed_ = false;
};

}  // namespace meshsim::proxy::net
