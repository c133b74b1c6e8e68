#include "proxy/net/connection_pool.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "proxy/event/asio_loop_clock.h"
#include "proxy/net/edge_poller.h"
#include "proxy/net/net_util.h"
#include "proxy/net/wire.h"

namespace meshsim::proxy::net {

namespace {
using boost::asio::ip::tcp;
using Clock = LoopClock::Clock;
using ErrorCode = boost::system::error_code;
}  // namespace

// One upstream connection. Like the server's connections it deletes itself once closed and no
// Asio operation refers to it any more.
class HttpConnectionPool::Connection : public EdgePoller::Watcher {
public:
  explicit Connection(HttpConnectionPool& pool)
      : pool_(&pool),
        options_(pool.options_),
        observer_(pool.observer_),
        socket_(pool.dispatcher_.ioContext()),
        timer_(pool.dispatcher_.ioContext()),
        parser_(options_.limits),
        buffer_(std::make_unique_for_overwrite<char[]>(options_.read_buffer_bytes)) {}

  void addRef() { ++refs_; }
  void release() {
    if (--refs_ == 0) {
      delete this;
    }
  }

  bool connecting() const { return state_ == State::Connecting; }

  void connect(const config::Address& upstream) {
    state_ = State::Connecting;
    connect_deadline_ = LoopClock::now() + options_.connect_timeout;
    armTimer(connect_deadline_);
    socket_.async_connect(toEndpoint(upstream),
                          [ref = Ref(this)](const ErrorCode& ec) { ref->onConnect(ec); });
    // The connect() call has been made, so the kernel has chosen the local port; the upstream
    // cannot accept before the io_context runs again.
    ErrorCode ec;
    const Endpoint local = socket_.local_endpoint(ec);
    if (!ec && observer_ != nullptr) {
      local_ = toAddress(local);
      registered_ = true;
      observer_->onConnectionOpening(local_);
    }
  }

  // Sends `pending` on this idle connection.
  void assign(Pending pending) {
    out_ = std::move(pending.bytes);
    current_ = std::move(pending);
    start();
  }

  // Sends `request` (described by `pending`, without bytes) on this idle connection,
  // serialised straight into the output buffer.
  void assign(const http::Request& request, Pending pending) {
    writeRequest(request, out_);
    current_ = std::move(pending);
    start();
  }

  // Closes at once, without notifying the pool (which is being destroyed).
  void abandon() {
    pool_ = nullptr;
    closeNow();
  }

private:
  enum class State { Connecting, Idle, Busy, Closed };

  ~Connection() override = default;

  template <typename Counter>
  void count(Counter counter) {
    if (pool_ != nullptr) {
      ++(pool_->stats_.*counter);
    }
  }

  // Writes the request in out_ (current_ describes it).
  void start() {
    state_ = State::Busy;
    got_bytes_ = false;
    if (current_.cancel != nullptr) {
      // Detached when the exchange ends (takeCurrent), so it never reaches a later one.
      current_.cancel->setOnCancel([ref = Ref(this)] { ref->onSenderGaveUp(); });
    }
    if (current_.head) {
      parser_.expectHeadResponse();
    }
    if (options_.response_timeout > Duration::zero()) {
      request_deadline_ = LoopClock::now() + options_.response_timeout;
      armTimer(request_deadline_);
    }
    // One non-blocking send takes the whole request unless the upstream's window is full.
    ErrorCode ec;
    const size_t n = socket_.write_some(boost::asio::buffer(out_), ec);
    if (!ec && n == out_.size()) {
      return;
    }
    if (ec && ec != boost::asio::error::would_block) {
      // Broken already; the EdgePoller reports it (a hang-up or error is an arrival too).
      return;
    }
    const size_t done = ec ? 0 : n;
    writing_ = true;
    boost::asio::async_write(
        socket_, boost::asio::buffer(out_.data() + done, out_.size() - done),
        [ref = Ref(this)](const ErrorCode& write_ec, size_t /*n*/) { ref->onWrite(write_ec); });
  }

  void onConnect(const ErrorCode& ec) {
    if (state_ != State::Connecting) {
      return;  // Timed out (and closed) meanwhile.
    }
    if (ec) {
      count(&ConnectionPoolStats::upstream_cx_connect_fail);
      closeNow();  // The pool fails the requests waiting for it.
      return;
    }
    ErrorCode ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    socket_.non_blocking(true, ignored);
    poll_token_ =
        EdgePoller::of(socket_.get_executor().context()).add(socket_.native_handle(), *this);
    if (poll_token_ == 0) {
      count(&ConnectionPoolStats::upstream_cx_connect_fail);
      closeNow();
      return;
    }
    state_ = State::Idle;
    idle_since_ = LoopClock::now();
    if (pool_ != nullptr) {
      pool_->onConnected(this);  // Usually hands it a queued request at once.
    }
    if (state_ == State::Idle) {
      armIdleTimer();
    }
  }

  void onWrite(const ErrorCode& ec) {
    writing_ = false;
    if (state_ == State::Closed) {
      return;
    }
    if (ec) {
      onBroken();
    }
  }

  // Reading: the socket is in the loop's EdgePoller while the connection is open, so a close by
  // the upstream is seen at once and response bytes are read with a non-blocking recv as they
  // arrive, with no system call to wait (see EdgePoller). When the event says the upstream hung
  // up, reading goes on to the end of the stream: a server that answers and closes in one
  // segment leaves no second event, and its connection must not go back to the pool.
  void onPollReadable(uint32_t events) override {
    if (state_ == State::Closed) {
      return;
    }
    if (EdgePoller::peerClosed(events)) {
      peer_closed_ = true;
    }
    while (true) {
      ErrorCode read_ec;
      const size_t n = socket_.read_some(
          boost::asio::buffer(buffer_.get(), options_.read_buffer_bytes), read_ec);
      if (read_ec == boost::asio::error::would_block) {
        break;
      }
      if (read_ec) {
        onBroken();
        return;
      }
      if (!onData(std::string_view(buffer_.get(), n)) || state_ == State::Closed) {
        return;
      }
      if (n < options_.read_buffer_bytes && !peer_closed_) {
        break;  // Drained: the next arrival raises a new readiness event.
      }
    }
  }

  // Handles received bytes; returns false when the connection was closed.
  bool onData(std::string_view data) {
    if (state_ != State::Busy) {
      // Bytes nobody asked for: the connection cannot be trusted any more.
      count(&ConnectionPoolStats::upstream_cx_protocol_error);
      closeNow();
      return false;
    }
    got_bytes_ = true;
    while (true) {
      http::ResponseParseResult result = parser_.feed(data);
      if (result.status == http::ParseStatus::NeedMore) {
        return true;
      }
      if (result.status == http::ParseStatus::Error) {
        count(&ConnectionPoolStats::upstream_cx_protocol_error);
        fail(ResetReason::RemoteReset);
        return false;
      }
      data.remove_prefix(result.consumed);
      const int status = result.message->status;
      if (status / 100 == 1 && status != 101) {
        // An interim response (100 Continue, 103 Early Hints): the final one follows.
        if (data.empty()) {
          return true;
        }
        continue;
      }
      // Bytes after the response, or a write still in progress (an early response), leave the
      // connection in an unknown state: use it once only. A connection the upstream has closed
      // is never reused, whatever the response said.
      const bool reusable = result.keep_alive && data.empty() && !writing_ && !peer_closed_;
      if (peer_closed_) {
        count(&ConnectionPoolStats::upstream_cx_destroy_remote);
      }
      complete(std::move(result.message), reusable);
      // The caller's Ref keeps this connection alive through complete().
      return state_ != State::Closed;  // NOLINT(clang-analyzer-cplusplus.NewDelete)
    }
  }

  // The upstream closed the connection, or reading or writing failed.
  void onBroken() {
    if (state_ != State::Busy) {
      count(&ConnectionPoolStats::upstream_cx_destroy_remote);
      closeNow();
      return;
    }
    if (!got_bytes_ && reused_ && !current_.retried && pool_ != nullptr && current_.idempotent) {
      // The keep-alive race: the upstream closed the idle connection as the request went out.
      Pending pending = takeCurrent();
      // An asynchronous write may still refer to out_ until the close below aborts it.
      pending.bytes = writing_ ? out_ : std::move(out_);
      pending.retried = true;
      HttpConnectionPool* pool = pool_;
      count(&ConnectionPoolStats::upstream_cx_destroy_remote);
      closeNow();
      pool->retry(std::move(pending));
      return;
    }
    if (got_bytes_) {
      http::ResponseParseResult result = parser_.finish();
      if (result.status == http::ParseStatus::Complete) {
        complete(std::move(result.message), /*reusable=*/false);
        return;
      }
    }
    count(&ConnectionPoolStats::upstream_cx_destroy_remote);
    fail(ResetReason::ConnectionTermination);
  }

  // Delivers the response of the current request, then reuses or closes the connection.
  void complete(http::ResponsePtr response, bool reusable) {
    removeHopByHopHeaders(response->headers);
    Pending pending = takeCurrent();
    reused_ = true;
    if (reusable && pool_ != nullptr) {
      state_ = State::Idle;
      idle_since_ = LoopClock::now();
      armIdleTimer();
      pool_->onIdle(this);
    } else {
      closeNow();
    }
    pending.done(std::move(response), ResetReason::None);
  }

  // The sender reset the exchange this connection carries: close it, so that the upstream sees
  // its client go away, and tell the sender (later, as its own callback is running now).
  void onSenderGaveUp() {
    if (state_ != State::Busy || pool_ == nullptr) {
      return;
    }
    count(&ConnectionPoolStats::upstream_cx_destroy_local_with_active_rq);
    Pending pending = takeCurrent();
    HttpConnectionPool* pool = pool_;
    closeNow();
    pool->failLater(std::move(pending), ResetReason::ConnectionTermination);
  }

  // Fails the current request and closes the connection.
  void fail(ResetReason reason) {
    Pending pending = takeCurrent();
    closeNow();
    if (pending.done) {
      pending.done(nullptr, reason);
    }
  }

  // The exchange is over for this connection: the sender's cancel no longer reaches it (and no
  // longer keeps it alive).
  void detachCancel() {
    if (current_.cancel != nullptr) {
      current_.cancel->setOnCancel(UniqueFunction<void()>());
    }
  }

  // Ends the current exchange on this connection and hands over what describes it.
  Pending takeCurrent() {
    detachCancel();
    Pending pending = std::move(current_);
    current_ = Pending();
    return pending;
  }

  void closeNow() {
    if (state_ == State::Closed) {
      return;
    }
    detachCancel();
    const bool was_connecting = state_ == State::Connecting;
    state_ = State::Closed;
    EdgePoller::of(socket_.get_executor().context()).remove(poll_token_);
    poll_token_ = 0;
    ErrorCode ignored;
    socket_.close(ignored);
    timer_.cancel();
    if (registered_) {
      registered_ = false;
      observer_->onConnectionClosed(local_);
    }
    if (pool_ != nullptr) {
      HttpConnectionPool* pool = pool_;
      pool_ = nullptr;
      pool->onClosed(this, was_connecting);
    }
    release();  // The reference the open socket held.
  }

  // Timeouts: one lazily re-armed timer, as in the server (see http_server.cc).
  void armTimer(Clock::time_point deadline) {
    if (state_ == State::Closed || deadline == Clock::time_point::max() ||
        (timer_armed_ && deadline >= timer_expiry_)) {
      return;
    }
    timer_armed_ = true;
    timer_expiry_ = deadline;
    const uint64_t generation = ++timer_generation_;
    timer_.expires_at(deadline);
    timer_.async_wait([ref = Ref(this), generation](const ErrorCode& ec) {
      if (!ec && ref->timer_generation_ == generation) {
        ref->onTimer();
      }
    });
  }

  // The connection has just become idle: the timer must fire by the end of its idle timeout.
  // It usually does already (it looks again one idle timeout after it last fired, which was
  // before now), so this costs a comparison; it is re-armed only when it waits for something
  // later, such as the connect deadline of a new connection (10 s by default), which would
  // otherwise keep an idle connection open past a shorter idle timeout.
  void armIdleTimer() {
    if (options_.idle_timeout > Duration::zero()) {
      armTimer(idle_since_ + options_.idle_timeout);
    }
  }

  void onTimer() {
    timer_armed_ = false;
    const Clock::time_point now = LoopClock::now();
    Clock::time_point next = Clock::time_point::max();
    switch (state_) {
      case State::Closed:
        return;
      case State::Connecting:
        if (now >= connect_deadline_) {
          count(&ConnectionPoolStats::upstream_cx_connect_timeout);
          count(&ConnectionPoolStats::upstream_cx_connect_fail);
          closeNow();
          return;
        }
        next = connect_deadline_;
        break;
      case State::Busy:
        if (options_.response_timeout > Duration::zero()) {
          if (now >= request_deadline_) {
            count(&ConnectionPoolStats::upstream_rq_timeout);
            fail(ResetReason::Timeout);
            return;
          }
          next = request_deadline_;
        } else if (options_.idle_timeout > Duration::zero()) {
          next = now + options_.idle_timeout;
        }
        break;
      case State::Idle:
        if (options_.idle_timeout > Duration::zero()) {
          if (now >= idle_since_ + options_.idle_timeout) {
            count(&ConnectionPoolStats::upstream_cx_idle_timeout);
            closeNow();
            return;
          }
          next = idle_since_ + options_.idle_timeout;
        }
        break;
    }
    armTimer(next);
  }

  HttpConnectionPool* pool_;  // Null once closed or once the pool is gone.
  const ConnectionPoolOptions& options_;
  ConnectionObserver* observer_;
  tcp::socket socket_;
  boost::asio::steady_timer timer_;
  http::ResponseParser parser_;
  std::unique_ptr<char[]> buffer_;
  std::string out_;
  Pending current_;

  State state_ = State::Connecting;
  uint64_t poll_token_ = 0;  // In the EdgePoller while open.
  unsigned refs_ = 1;        // The open socket's reference, released by closeNow().
  bool writing_ = false;
  bool got_bytes_ = false;    // A byte of the current response arrived.
  bool peer_closed_ = false;  // The poller saw the upstream hang up: never reuse, read to EOF.
  bool reused_ = false;       // An earlier request completed on this connection.
  bool registered_ = false;
  config::Address local_;

  Clock::time_point connect_deadline_{};
  Clock::time_point request_deadline_{};
  Clock::time_point idle_since_{};
  bool timer_armed_ = false;
  Clock::time_point timer_expiry_{};
  uint64_t timer_generation_ = 0;
};

// ---------------------------------------------------------------------------------------------

HttpConnectionPool::HttpConnectionPool(AsioDispatcher& dispatcher, config::Address upstream,
                                       ConnectionPoolOptions options, ConnectionObserver* observer)
    : dispatcher_(dispatcher), upstream_(upstream), options_(options), observer_(observer) {}

HttpConnectionPool::~HttpConnectionPool() {
  try {
    const std::vector<Connection*> open(connections_.begin(), connections_.end());
    connections_.clear();
    idle_.clear();
    for (Connection* c : open) {
      c->abandon();
    }
  } catch (const std::exception&) {
    // Out of memory or a timer that failed to cancel: nothing more can be done on the way out.
  }
}

HttpConnectionPool::Pending HttpConnectionPool::describe(const http::Request& request,
                                                         ResponseCallback done,
                                                         CancellationPtr cancel) {
  Pending pending;
  pending.done = std::move(done);
  pending.cancel = std::move(cancel);
  pending.head = request.method == "HEAD";
  pending.idempotent = isIdempotent(request.method);
  return pending;
}

void HttpConnectionPool::send(const http::Request& request, ResponseCallback done,
                              CancellationPtr cancel) {
  ++stats_.upstream_rq_total;
  if (!idle_.empty()) {
    Connection* connection = idle_.back();
    idle_.pop_back();
    connection->assign(request, describe(request, std::move(done), std::move(cancel)));
    return;
  }
  Pending pending = describe(request, std::move(done), std::move(cancel));
  writeRequest(request, pending.bytes);
  if (connections_.size() >= options_.max_connections &&
      pending_.size() >= options_.max_pending_requests) {
    ++stats_.upstream_rq_pending_overflow;
    failLater(std::move(pending), ResetReason::Overflow);
    return;
  }
  pending_.push_back(std::move(pending));
  serviceQueue();
}

void HttpConnectionPool::failLater(Pending pending, ResetReason reason) {
  dispatcher_.post([pending = std::make_unique<Pending>(std::move(pending)), reason] {
    pending->done(nullptr, reason);
  });
}

void HttpConnectionPool::serviceQueue() {
  while (!pending_.empty() && !idle_.empty()) {
    Connection* connection = idle_.back();
    idle_.pop_back();
    Pending next = std::move(pending_.front());
    pending_.pop_front();
    assign(connection, std::move(next));
  }
  while (pending_.size() > connecting_ && connections_.size() < options_.max_connections) {
    auto* connection = new Connection(*this);
    connections_.insert(connection);
    ++connecting_;
    ++stats_.upstream_cx_total;
    ++stats_.upstream_cx_active;
    connection->connect(upstream_);
  }
}

void HttpConnectionPool::onConnected(Connection* connection) {
  --connecting_;
  onIdle(connection);
}

void HttpConnectionPool::onIdle(Connection* connection) {
  if (pending_.empty()) {
    idle_.push_back(connection);
    return;
  }
  Pending next = std::move(pending_.front());
  pending_.pop_front();
  assign(connection, std::move(next));
}

void HttpConnectionPool::assign(Connection* connection, Pending pending) {
  if (pending.cancel != nullptr && pending.cancel->cancelled()) {
    // Given up while it waited: never sent. The connection stays idle for the next one.
    failLater(std::move(pending), ResetReason::ConnectionTermination);
    onIdle(connection);
    return;
  }
  connection->assign(std::move(pending));
}

void HttpConnectionPool::onClosed(Connection* connection, bool was_connecting) {
  if (connections_.erase(connection) == 0) {
    return;
  }
  --stats_.upstream_cx_active;
  if (was_connecting) {
    // The connect failed. Each connection still connecting will take one queued request; fail
    // the rest, oldest first: the upstream refuses or does not answer, so waiting is no help.
    --connecting_;
    while (pending_.size() > connecting_) {
      Pending failed = std::move(pending_.front());
      pending_.pop_front();
      failLater(std::move(failed), ResetReason::ConnectFailure);
    }
    return;
  }
  if (auto it = std::find(idle_.begin(), idle_.end(), connection); it != idle_.end()) {
    idle_.erase(it);
  }
  serviceQueue();
}

void HttpConnectionPool::retry(Pending pending) {
  ++stats_.upstream_rq_retry;
  pending_.push_front(std::move(pending));
  serviceQueue();
}

}  // namespace meshsim::proxy::net
