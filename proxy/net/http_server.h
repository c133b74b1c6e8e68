#pragma once

// File: proxy/net/http_server.h
//
// An HTTP/1.1 server on real sockets: accepts TCP connections on one address, parses requests
// with the codec and hands each to a RequestHandler (a proxy listener, the admin page), then
// writes the handler's response back. It is the downstream half of real-network mode, Envoy's
// HTTP connection manager in front of the proxy core.
//
// Per connection:
// - Keep-alive, and pipelining handled safely: one request at a time reaches the handler, and
//   responses go out in request order. Bytes of later requests wait in the read buffer; when it
//   is full the server stops reading, so TCP flow control holds the client back.
// - Edge limits from HttpServerOptions::limits: an oversized header section or too many header
//   fields get 431, a body over the limit 413, conflicting Content-Length/Transfer-Encoding
//   (request smuggling) and other malformed input 400, HTTP/1.0 426 (as Istio does). Each error
//   response carries "connection: close"; the connection is then closed after a short
//   lingering read so that the client sees the response rather than a reset.
// - Timeouts with Envoy's statuses: 408 "request header timeout" (request_headers_timeout),
//   408 "request timeout" (request_timeout), and a silent close when idle (idle_timeout).
// - Envoy's HTTP/1.1 edge behaviour: a request with "Expect: 100-continue" whose body has not
//   arrived yet gets "100 Continue" (the expectation is still passed on, as Istio has Envoy
//   proxy it); an absolute-form request target ("GET http://host/path") is routed on the URI's
//   authority, which replaces Host (an https URI on this plaintext listener gets 403, any other
//   scheme or a malformed URI 400); the client's FIN ends the connection (no half-close): a
//   request still with the handler is cancelled, also when reading has paused because pipelined
//   requests fill the read buffer (Envoy's early close detection while reading is disabled).
// - Memory is bounded by read_buffer_bytes, the codec limits (one partial request) and one
//   response being written.
//
// Example:
//   auto server = HttpServer::create(dispatcher, {config::kLoopback, 0}, handler).value();
//   std::cout << "listening on port " << server->port();
//   io_context.run();

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_set>

#include <boost/asio/ip/tcp.hpp>

#include "proxy/core/status.h"
#include "proxy/event/asio_dispatcher.h"
#include "proxy/http/codec.h"
#include "proxy/upstream/transport.h"

namespace meshsim::proxy::net {

// A cap on the connections open across several servers on one io_context, as Envoy's overload
// manager caps a whole proxy's downstream connections (global_downstream_max_connections):
// while `max` are open among the servers that share it, each of them accepts a new connection
// and closes it at once (counted in downstream_cx_overflow). Servers keep `open` up to date; it
// is read and written on the io_context's thread only.
struct SharedConnectionLimit {
  size_t max = 0;  // Zero: no limit.
  size_t open = 0;
};

struct HttpServerOptions {
  // Header size and count, body size (see http::CodecLimits).
  http::CodecLimits limits;
  // Closes a connection after this long without a byte read or written while no request is
  // with the handler (Envoy's idle_timeout of the connection manager, 1 h by default). Also ends
  // a connection whose client stopped reading its responses. Zero disables.
  Duration idle_timeout = std::chrono::hours(1);
  // Answers 408 "request header timeout" and closes when a request's header section is not
  // complete this long after its first byte arrived (Envoy's request_headers_timeout): the
  // defence against slowloris clients. Zero disables (Envoy's default).
  Duration request_headers_timeout = Duration::zero();
  // Answers 408 "request timeout" and closes when a whole request (header and body) is not
  // received this long after its first byte (Envoy's request_timeout). Zero disables.
  Duration request_timeout = Duration::zero();
  // Bytes read from the socket at a time, and the most bytes of pipelined requests held while
  // an earlier request is with the handler.
  size_t read_buffer_bytes = size_t{16} * 1024;
  // Connections beyond this many are closed as soon as they are accepted. Zero: no limit.
  size_t max_connections = 0;
  // A limit shared with other servers (see SharedConnectionLimit); null: none.
  std::shared_ptr<SharedConnectionLimit> shared_limit;
  // How long a connection keeps reading (and discarding) after an error response before it
  // closes, so that the client reads the response instead of getting a reset.
  Duration linger_timeout = std::chrono::seconds(2);
};

// Counters of one server, named after the statistics of Envoy's HTTP connection manager.
struct HttpServerStats {
  uint64_t downstream_cx_total = 0;
  uint64_t downstream_cx_active = 0;
  // Connections refused because max_connections were open.
  uint64_t downstream_cx_overflow = 0;
  // Connections closed by idle_timeout.
  uint64_t downstream_cx_idle_timeout = 0;
  // Requests refused by the codec (400, 413, 426, 431, 501), each closing its connection.
  uint64_t downstream_cx_protocol_error = 0;
  // Requests handed to the handler.
  uint64_t downstream_rq_total = 0;
  uint64_t downstream_rq_header_timeout = 0;
  uint64_t downstream_rq_timeout = 0;
  // Responses written, by class.
  uint64_t downstream_rq_2xx = 0;
  uint64_t downstream_rq_3xx = 0;
  uint64_t downstream_rq_4xx = 0;
  uint64_t downstream_rq_5xx = 0;
};

// Returns what the handler is told about an accepted connection, given the peer's and the
// server's own address. The default gives {source: remote, destination: local}, no peer
// identity, no mTLS.
using ConnectionInfoFn =
    std::function<ConnectionInfo(const config::Address& remote, const config::Address& local)>;

class HttpServer {
public:
  // Binds `address` (port 0: an ephemeral port, see port()) and starts accepting on the
  // dispatcher's io_context. Fails with Unavailable when the address cannot be bound (in use,
  // not permitted). `dispatcher` and `handler` must outlive the server. The handler is called on
  // the io_context thread; its `done` may run inline or later on that thread.
  static StatusOr<std::unique_ptr<HttpServer>> create(AsioDispatcher& dispatcher,
                                                      config::Address address,
                                                      RequestHandler& handler,
                                                      HttpServerOptions options = {},
                                                      ConnectionInfoFn connection_info = nullptr);
  // Stops accepting and closes every connection at once. A response the handler delivers later
  // for one of them is dropped.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the ephemeral one when created with port 0).
  uint16_t port() const { return port_; }
  const HttpServerStats& stats() const { return stats_; }
  const HttpServerOptions& options() const { return options_; }

private:
  class Connection;

  HttpServer(AsioDispatcher& dispatcher, RequestHandler& handler, HttpServerOptions options,
             ConnectionInfoFn connection_info);
  void accept();
  void onAccept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
  void onConnectionClosed(Connection* connection);

  AsioDispatcher& dispatcher_;
  RequestHandler& handler_;
  const HttpServerOptions options_;
  ConnectionInfoFn connection_info_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  HttpServerStats stats_;
  std::unordered_set<Connection*> connections_;
  // Cleared by the destructor; pending accept completions check it before touching `this`.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace meshsim::proxy::net
