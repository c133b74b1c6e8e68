#pragma once

// File: proxy/net/connection_pool.h
//
// The upstream half of real-network mode: an HTTP/1.1 client with a pool of keep-alive
// connections to one upstream address, like one Envoy HTTP/1 connection pool.
//
// - A request goes out on an idle connection when there is one (the most recently used
//   first), else on a new connection while fewer than max_connections are open, else it waits
//   in a bounded FIFO queue.
// - Each connection carries one request at a time and always has a read outstanding, so a close
//   by the upstream is noticed while the connection is idle, not when the next request fails.
// - A request sent on a reused connection that the upstream closes before any response byte
//   arrives (the keep-alive race) is sent again on a new connection if its method is idempotent.
// - Failures map to ResetReason as the router expects: refused or timed-out connects are
//   ConnectFailure (503 UF), a close or malformed response before it completed RemoteReset
//   (503 UR), a full queue Overflow (503 UO), response_timeout Timeout (504 UT).
//
// Example:
//   HttpConnectionPool pool(dispatcher, {config::kLoopback, 8080});
//   pool.send(request, [](http::ResponsePtr r, ResetReason reset) { ... });

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/event/asio_dispatcher.h"
#include "proxy/http/codec.h"
#include "proxy/upstream/transport.h"

namespace meshsim::proxy::net {

struct ConnectionPoolOptions {
  // Limits on responses (a body over max_body_bytes is a RemoteReset).
  http::CodecLimits limits;
  // A connect that has not completed after this long fails with ConnectFailure (Istio's
  // default connectTimeout for clusters is 10 s).
  Duration connect_timeout = std::chrono::seconds(10);
  // Closes a connection that has carried no request this long (Envoy's upstream idle_timeout,
  // 1 h), measured from the end of its last response. Zero disables.
  Duration idle_timeout = std::chrono::hours(1);
  // Fails a request with Timeout when its response has not completed this long after it was
  // sent. Zero disables (route timeouts belong to the router).
  Duration response_timeout = Duration::zero();
  // Envoy's default circuit-breaker thresholds.
  size_t max_connections = 1024;
  size_t max_pending_requests = 1024;
  size_t read_buffer_bytes = size_t{16} * 1024;
};

// Counters named after Envoy's cluster statistics.
struct ConnectionPoolStats {
  uint64_t upstream_cx_total = 0;
  uint64_t upstream_cx_active = 0;
  uint64_t upstream_cx_connect_fail = 0;
  uint64_t upstream_cx_connect_timeout = 0;
  uint64_t upstream_cx_destroy_remote = 0;
  uint64_t upstream_cx_idle_timeout = 0;
  uint64_t upstream_cx_protocol_error = 0;
  // Closed because the sender gave up on the request it carried.
  uint64_t upstream_cx_destroy_local_with_active_rq = 0;
  uint64_t upstream_rq_total = 0;
  uint64_t upstream_rq_pending_overflow = 0;
  uint64_t upstream_rq_retry = 0;  // Sent again after the keep-alive race.
  uint64_t upstream_rq_timeout = 0;
};

// Learns about every connection a pool opens. In-process servers use it to find out who is at
// the other end of a connection they accept (the identity Istio's mTLS would carry).
class ConnectionObserver {
public:
  virtual ~ConnectionObserver() = default;
  // A connection from `local` is being opened. Called before the upstream can accept it.
  virtual void onConnectionOpening(const config::Address& local) = 0;
  // The connection from `local` has closed.
  virtual void onConnectionClosed(const config::Address& local) = 0;
};

class HttpConnectionPool {
public:
  // Connects to `upstream` on the dispatcher's io_context. `dispatcher` and `observer` (may be
  // null) must outlive the pool.
  HttpConnectionPool(AsioDispatcher& dispatcher, config::Address upstream,
                     ConnectionPoolOptions options = {}, ConnectionObserver* observer = nullptr);
  // Closes every connection. The callbacks of requests not yet answered are destroyed without
  // being called.
  ~HttpConnectionPool();
  HttpConnectionPool(const HttpConnectionPool&) = delete;
  HttpConnectionPool& operator=(const HttpConnectionPool&) = delete;

  // Sends `request` to the upstream. `done` runs exactly once on the io_context thread, never
  // inline: with the response (its hop-by-hop fields removed), or with a reset reason (see the
  // file comment). The request is serialised before send() returns; the caller keeps it.
  // `cancel`, when set, is the sender's way to give up on the exchange (a route or per-try
  // timeout): the connection carrying it is closed, as Envoy resets an HTTP/1.1 stream, so the
  // upstream sees its client go away; `done` then runs with ConnectionTermination.
  void send(const http::Request& request, ResponseCallback done, CancellationPtr cancel = nullptr);
  void send(const http::RequestPtr& request, ResponseCallback done) {
    send(*request, std::move(done));
  }

  const config::Address& upstream() const { return upstream_; }
  const ConnectionPoolStats& stats() const { return stats_; }
  size_t idleConnections() const { return idle_.size(); }
  size_t pendingRequests() const { return pending_.size(); }

private:
  class Connection;
  // A request waiting for a connection, or the one a connection carries.
  struct Pending {
    std::string bytes;  // As written on the wire (empty once handed to a connection).
    ResponseCallback done;
    CancellationPtr cancel;   // The sender's, if it may give up.
    bool head = false;        // HEAD: the response has no body.
    bool idempotent = false;  // May be sent again after the keep-alive race.
    bool retried = false;
  };
  // What a request's exchange needs besides its bytes.
  static Pending describe(const http::Request& request, ResponseCallback done,
                          CancellationPtr cancel);
  // Hands `pending` to the idle `connection`, unless its sender has given up meanwhile.
  void assign(Connection* connection, Pending pending);

  void failLater(Pending pending, ResetReason reason);
  // Hands queued requests to idle connections and opens connections for the rest.
  void serviceQueue();
  void onConnected(Connection* connection);
  void onIdle(Connection* connection);
  // `was_connecting`: the connection closed before its connect completed.
  void onClosed(Connection* connection, bool was_connecting);
  void retry(Pending pending);

  AsioDispatcher& dispatcher_;
  const config::Address upstream_;
  const ConnectionPoolOptions options_;
  ConnectionObserver* observer_;
  ConnectionPoolStats stats_;
  std::deque<Pending> pending_;
  std::vector<Connection*> idle_;  // Most recently idle last.
  std::unordered_set<Connection*> connections_;
  size_t connecting_ = 0;
};

}  // namespace meshsim::proxy::net
