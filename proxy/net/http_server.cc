#include "proxy/net/http_server.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
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

bool statusForbidsBody(int status) {
  return status / 100 == 1 || status == 204 || status == 304;
}

// Tells when the header section of a request arriving in pieces has ended: at the first
// "\r\n\r\n" after the request line began (empty lines before it do not count, RFC 9112
// section 2.2). Only partial requests are scanned; a request that arrives whole never is.
class HeaderEndScanner {
public:
  void reset() { *this = HeaderEndScanner(); }
  bool done() const { return done_; }
  void scan(std::string_view data) {
    for (const char c : data) {
      if (!started_) {
        if (c == '\r' || c == '\n') {
          continue;
        }
        started_ = true;
      }
      tail_ = (tail_ << 8) | static_cast<unsigned char>(c);
      if (tail_ == 0x0d0a0d0aU) {
        done_ = true;
        return;
      }
    }
  }

private:
  uint32_t tail_ = 0;  // The last four bytes.
  bool started_ = false;
  bool done_ = false;
};

// An absolute-form request target (RFC 9112 section 3.2.2) taken apart as Envoy's HTTP/1 codec
// does (allow_absolute_url, on by default).
struct AbsoluteTarget {
  enum class Verdict { Ok, Malformed, HttpsInPlaintext };
  Verdict verdict = Verdict::Malformed;
  std::string authority;
  std::string path;  // Path and query; "/" when the URI has neither.
};

bool isAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isAsciiAlnum(char c) {
  return isAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool isSchemeByte(char c) {
  return isAsciiAlnum(c) || c == '+' || c == '-' || c == '.';
}

// RFC 3986 host (reg-name or IP literal) and port characters.
bool isHostByte(char c) {
  return isAsciiAlnum(c) ||
         std::string_view("-._~%!$&'()*+,;=[]:").find(c) != std::string_view::npos;
}

AbsoluteTarget parseAbsoluteTarget(std::string_view target) {
  AbsoluteTarget out;
  const size_t colon = target.find("://");
  if (colon == 0 || colon == std::string_view::npos) {
    return out;
  }
  const std::string_view scheme = target.substr(0, colon);
  for (const char c : scheme) {
    if (!isSchemeByte(c)) {
      return out;
    }
  }
  const std::string_view rest = target.substr(colon + 3);
  const size_t end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, end);
  // No userinfo (RFC 9110 section 4.2.4), a host, and a port of digits if any.
  if (authority.empty() || authority.front() == ':') {
    return out;
  }
  for (const char c : authority) {
    if (!isHostByte(c)) {
      return out;
    }
  }
  if (const size_t port = authority.rfind(':');
      port != std::string_view::npos && authority.find(']', port) == std::string_view::npos) {
    for (const char c : authority.substr(port + 1)) {
      if (!isAsciiDigit(c)) {
        return out;
      }
    }
  }
  if (http::equalsIgnoreCase(scheme, "https")) {
    out.verdict = AbsoluteTarget::Verdict::HttpsInPlaintext;
    return out;
  }
  if (!http::equalsIgnoreCase(scheme, "http")) {
    return out;
  }
  out.verdict = AbsoluteTarget::Verdict::Ok;
  out.authority.assign(authority);
  if (end == std::string_view::npos) {
    out.path = "/";
  } else if (rest[end] == '?') {
    out.path = "/" + std::string(rest.substr(end));
  } else {
    out.path.assign(rest.substr(end));
  }
  return out;
}

}  // namespace

// One accepted connection. It lives while its socket is open or an Asio operation or a handler
// callback still refers to it (see Ref); the server only tracks the open ones.
class HttpServer::Connection : public EdgePoller::Watcher {
public:
  Connection(HttpServer& server, tcp::socket socket, ConnectionInfo info)
      : server_(&server),
        handler_(server.handler_),
        options_(server.options_),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        info_(std::move(info)),
        parser_(options_.limits),
        buffer_(std::make_unique_for_overwrite<char[]>(options_.read_buffer_bytes)) {}

  void addRef() { ++refs_; }
  void release() {
    if (--refs_ == 0) {
      delete this;
    }
  }

  void start() {
    // The client may go away with a request in flight: the handler hears of it (Envoy resets
    // the stream; a proxy records 0 DC and resets its own upstream attempt). One per connection,
    // as a connection carries one request at a time.
    info_.cancel = std::make_shared<Cancellation>();
    ErrorCode ec;
    socket_.non_blocking(true, ec);
    if (ec) {
      closeNow();
      return;
    }
    poll_token_ =
        EdgePoller::of(socket_.get_executor().context()).add(socket_.native_handle(), *this);
    if (poll_token_ == 0) {
      closeNow();
      return;
    }
    last_activity_ = LoopClock::now();
    if (options_.idle_timeout > Duration::zero()) {
      armTimer(last_activity_ + options_.idle_timeout);
    }
    read_first_ = true;  // The request may be here already.
    resumeReading();
  }

  // EdgePoller::Watcher: bytes arrived (or the client hung up).
  void onPollReadable(uint32_t events) override {
    edge_ = true;
    if (EdgePoller::peerClosed(events)) {
      // The FIN may have come with the last bytes: read on to the end of the stream, since no
      // further event will announce it.
      peer_closed_ = true;
    }
    if (waiting_) {
      waiting_ = false;
      readNow();
      return;
    }
    if (peer_closed_ && !reading_ && !posted_ && bufferFull()) {
      closeOnHangUpWhileFull();
    }
  }

  // Closes at once, without notifying the server (which is being destroyed).
  void abandon() {
    server_ = nullptr;
    closeNow();
  }

private:
  ~Connection() override = default;

  HttpServerStats* stats() { return server_ != nullptr ? &server_->stats_ : nullptr; }

  void count(uint64_t HttpServerStats::*counter) {
    if (HttpServerStats* s = stats()) {
      ++(s->*counter);
    }
  }

  // Reading -----------------------------------------------------------------------------------
  //
  // The socket is in the loop's EdgePoller from the start: every arrival of bytes calls
  // onPollReadable(), so waiting for the next request costs no system call (an Asio wait would
  // re-arm with epoll_ctl, async_read_some would spend a recv failing with EAGAIN). Bytes are
  // read with a non-blocking recv until it returns less than asked, or, once the client has
  // hung up, until the end of the stream: its FIN may have arrived with the request, and a
  // short read does not show it. When the connection cannot take bytes (the buffer is full), an
  // arrival is remembered and read when it can.

  // The buffer holds nothing but unparsed bytes: reading waits for the request in flight.
  bool bufferFull() const { return begin_ == 0 && end_ == options_.read_buffer_bytes; }

  // The client hung up while reading waits for room: the end of its stream will not be read
  // before the request with the handler is answered, which may be never (no route timeout). As
  // Envoy detects an early close while reading is disabled and closes (no half-close), close
  // now: the request in flight is cancelled, the requests queued behind it are dropped.
  void closeOnHangUpWhileFull() { closeNow(); }

  // Makes room at the end of the buffer; false when it is full of unparsed bytes.
  bool makeRoom() {
    if (begin_ == end_) {
      begin_ = end_ = 0;
    } else if (end_ == options_.read_buffer_bytes) {
      if (bufferFull()) {
        return false;
      }
      std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    return true;
  }

  // Whether the connection takes more bytes now.
  bool wantsBytes() const { return !closed_ && (!close_after_write_ || lingering_); }

  // Arranges for the next bytes to be read, if the connection wants any.
  void resumeReading() {
    if (waiting_ || reading_ || posted_ || !wantsBytes()) {
      return;  // Inside readNow(), its loop decides what comes next.
    }
    if (!makeRoom()) {
      read_first_ = true;  // Full: TCP flow control now holds the client back.
      return;
    }
    if (read_first_ || edge_) {
      readNow();
      return;
    }
    waiting_ = true;  // The next arrival calls readNow().
  }

  // Reads and handles what is there, a few buffers at most so that one busy client cannot hold
  // the event loop; then waits for more, or lets other connections run first.
  void readNow() {
    reading_ = true;
    for (int round = 0; round < kReadsPerTurn; ++round) {
      read_first_ = false;
      if (!makeRoom()) {
        read_first_ = true;
        reading_ = false;
        if (peer_closed_) {
          closeOnHangUpWhileFull();  // The FIN came with these bytes: no event will follow.
        }
        return;
      }
      ErrorCode ec;
      const size_t room = options_.read_buffer_bytes - end_;
      edge_ = false;  // This read takes what the arrivals so far brought.
      const size_t n = socket_.read_some(boost::asio::buffer(buffer_.get() + end_, room), ec);
      if (ec == boost::asio::error::would_block) {
        reading_ = false;
        resumeReading();
        return;
      }
      if (ec) {
        // End of stream or error. A response still with the handler is dropped (Envoy resets
        // the stream when the downstream closes); a partial request is abandoned.
        reading_ = false;
        closeNow();
        return;
      }
      // More may be waiting, or the end of the stream, and no readiness event would say so.
      read_first_ = n == room || peer_closed_;
      last_activity_ = LoopClock::now();
      if (lingering_) {
        lingered_bytes_ += n;
        if (lingered_bytes_ > kMaxLingerBytes) {
          reading_ = false;
          closeNow();
          return;
        }
      } else {
        end_ += n;
        processInput();
      }
      if (!read_first_ || !wantsBytes()) {
        reading_ = false;
        resumeReading();
        return;
      }
    }
    // Still more to read: come back after the connections that are waiting.
    reading_ = false;
    posted_ = true;
    boost::asio::post(socket_.get_executor(), [ref = Ref(this)] {
      ref->posted_ = false;
      if (!ref->closed_) {
        ref->readNow();
      }
    });
  }

  // Parses buffered bytes into requests, one at a time: nothing is parsed while a request is
  // with the handler or a response is being written.
  void processInput() {
    if (processing_) {
      return;  // A response written inline; the loop below goes on.
    }
    processing_ = true;
    while (!in_flight_ && !writing_ && !closed_ && !close_after_write_ && begin_ < end_) {
      const std::string_view data(buffer_.get() + begin_, end_ - begin_);
      const bool was_idle = parser_.idle();
      http::RequestParseResult result = parser_.feed(data);
      if (result.status == http::ParseStatus::NeedMore) {
        begin_ = end_ = 0;  // The parser keeps what it needs of an unfinished request.
        onPartialRequest(was_idle, data);
        if (!continue_sent_ && parser_.expectsContinue()) {
          sendContinue();
        }
        break;
      }
      if (result.status == http::ParseStatus::Error) {
        count(&HttpServerStats::downstream_cx_protocol_error);
        sendError(result.error.http_status, "");
        break;
      }
      begin_ += result.consumed;
      in_request_ = false;
      continue_sent_ = false;
      dispatch(std::move(result));
    }
    processing_ = false;
    resumeReading();
  }

  // A request has begun but is not complete: start its clocks.
  void onPartialRequest(bool was_idle, std::string_view data) {
    if (parser_.idle()) {
      return;
    }
    if (was_idle || !in_request_) {
      in_request_ = true;
      request_start_ = LoopClock::now();
      header_end_.reset();
    }
    if (!header_end_.done()) {
      header_end_.scan(data);
    }
    Clock::time_point deadline = Clock::time_point::max();
    if (options_.request_headers_timeout > Duration::zero() && !header_end_.done()) {
      deadline = request_start_ + options_.request_headers_timeout;
    }
    if (options_.request_timeout > Duration::zero()) {
      deadline = std::min(deadline, request_start_ + options_.request_timeout);
    }
    armTimer(deadline);
  }

  void dispatch(http::RequestParseResult result) {
    count(&HttpServerStats::downstream_rq_total);
    if (result.http10) {
      // Envoy (and so Istio) refuses HTTP/1.0 unless accept_http_10 is set.
      count(&HttpServerStats::downstream_cx_protocol_error);
      sendError(426, "");
      return;
    }
    http::RequestPtr request = std::move(result.message);
    if (!takeAbsoluteTarget(*request)) {
      return;
    }
    removeHopByHopHeaders(request->headers);
    // "Expect: 100-continue" goes on upstream, as Istio has Envoy proxy it
    // (proxy_100_continue); the pool skips the upstream's interim answer.
    keep_alive_ = result.keep_alive;
    head_request_ = request->method == "HEAD";
    in_flight_ = true;
    handler_.onRequest(info_, std::move(request),
                       [ref = Ref(this)](http::ResponsePtr response, ResetReason reset) {
                         ref->onResponse(std::move(response), reset);
                       });
  }

  // An absolute-form target ("http://host/path"): as Envoy's codec, route on the URI's
  // authority, which replaces Host, and keep its path. Returns false after refusing the
  // request: 400 for a malformed URI or a scheme other than http(s), 403 for https on this
  // plaintext listener (Envoy's check at an edge that uses the remote address, as Istio's
  // gateways do). Origin-form, OPTIONS "*" and CONNECT's authority-form pass unchanged.
  bool takeAbsoluteTarget(http::Request& request) {
    const std::string_view path = request.path;
    if ((!path.empty() && path.front() == '/') || request.method == "CONNECT" ||
        (request.method == "OPTIONS" && path == "*")) {
      return true;
    }
    AbsoluteTarget target = parseAbsoluteTarget(path);
    switch (target.verdict) {
      case AbsoluteTarget::Verdict::Ok:
        request.authority = std::move(target.authority);
        request.path = std::move(target.path);
        return true;
      case AbsoluteTarget::Verdict::HttpsInPlaintext:
        count(&HttpServerStats::downstream_cx_protocol_error);
        sendError(403, "");
        return false;
      case AbsoluteTarget::Verdict::Malformed:
        break;
    }
    count(&HttpServerStats::downstream_cx_protocol_error);
    sendError(400, "");
    return false;
  }

  // Writing -----------------------------------------------------------------------------------

  // Tells a client that waits for "100 Continue" before sending the body to go on (what Envoy
  // answers itself when it does not proxy the expectation). Interim: the connection stays in
  // the same request.
  void sendContinue() {
    continue_sent_ = true;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    out_.assign(kContinue);
    ErrorCode ec;
    const size_t n = socket_.write_some(boost::asio::buffer(out_), ec);
    if (!ec && n == out_.size()) {
      last_activity_ = LoopClock::now();
      return;
    }
    if (ec && ec != boost::asio::error::would_block) {
      closeNow();
      return;
    }
    const size_t done = ec ? 0 : n;
    writing_ = true;  // Parsing waits until it is out, as for a response.
    boost::asio::async_write(
        socket_, boost::asio::buffer(out_.data() + done, out_.size() - done),
        [ref = Ref(this)](const ErrorCode& write_ec, size_t /*n*/) { ref->onWrite(write_ec); });
  }

  void onResponse(http::ResponsePtr response, ResetReason reset) {
    in_flight_ = false;
    if (closed_) {
      return;
    }
    if (response == nullptr) {
      response = std::make_unique<http::Response>();
      response->status = 503;
      response->body =
          std::string("upstream connect error or disconnect/reset before headers. reset reason: ") +
          toString(reset);
      response->headers.set("content-type", "text/plain");
    }
    removeHopByHopHeaders(response->headers);
    if (!keep_alive_ || server_ == nullptr) {
      response->headers.add("connection", "close");
      close_after_write_ = true;
    }
    write(*response);
  }

  // Answers an error with `status` and "connection: close", then closes.
  void sendError(int status, std::string_view body) {
    http::Response response;
    response.status = status;
    response.body.assign(body);
    if (!body.empty()) {
      response.headers.add("content-type", "text/plain");
    }
    response.headers.add("connection", "close");
    close_after_write_ = true;
    head_request_ = false;
    write(response);
  }

  // Writes the response with one non-blocking send, which takes all of it unless the client's
  // window is full; only then does an asynchronous write finish the job.
  void write(const http::Response& response) {
    countStatus(response.status);
    writeResponse(response, out_);
    if (head_request_ && !statusForbidsBody(response.status)) {
      // A response to HEAD announces the length of the body it does not carry.
      out_.resize(out_.size() - response.body.size());
    }
    ErrorCode ec;
    const size_t n = socket_.write_some(boost::asio::buffer(out_), ec);
    if (!ec && n == out_.size()) {
      onWritten();
      return;
    }
    if (ec && ec != boost::asio::error::would_block) {
      closeNow();
      return;
    }
    const size_t done = ec ? 0 : n;
    writing_ = true;
    boost::asio::async_write(
        socket_, boost::asio::buffer(out_.data() + done, out_.size() - done),
        [ref = Ref(this)](const ErrorCode& write_ec, size_t /*n*/) { ref->onWrite(write_ec); });
  }

  void countStatus(int status) {
    switch (status / 100) {
      case 2:
        count(&HttpServerStats::downstream_rq_2xx);
        break;
      case 3:
        count(&HttpServerStats::downstream_rq_3xx);
        break;
      case 4:
        count(&HttpServerStats::downstream_rq_4xx);
        break;
      case 5:
        count(&HttpServerStats::downstream_rq_5xx);
        break;
      default:
        break;
    }
  }

  void onWrite(const ErrorCode& ec) {
    writing_ = false;
    if (closed_) {
      return;
    }
    if (ec) {
      closeNow();
      return;
    }
    onWritten();
  }

  // The whole response is out.
  void onWritten() {
    last_activity_ = LoopClock::now();
    if (close_after_write_) {
      lingeringClose();
      return;
    }
    processInput();
  }

  // Closing -----------------------------------------------------------------------------------

  // Sends FIN, then reads and discards what the client still sends for a while: closing with
  // unread bytes would make the kernel send a reset that can destroy the response in flight.
  void lingeringClose() {
    ErrorCode ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    lingering_ = true;
    begin_ = end_ = 0;
    linger_deadline_ = LoopClock::now() + options_.linger_timeout;
    armTimer(linger_deadline_);
    resumeReading();
  }

  void closeNow() {
    if (closed_) {
      return;
    }
    closed_ = true;
    EdgePoller::of(socket_.get_executor().context()).remove(poll_token_);
    poll_token_ = 0;
    ErrorCode ignored;
    socket_.close(ignored);
    timer_.cancel();
    if (server_ != nullptr) {
      server_->onConnectionClosed(this);
      server_ = nullptr;
    }
    if (in_flight_ && info_.cancel != nullptr) {
      const Ref keep(this);  // The handler may answer (and release its reference) right away.
      info_.cancel->cancel();
    }
    release();  // The reference the open socket held.
  }

  // Timeouts ----------------------------------------------------------------------------------
  //
  // One timer per connection, re-armed lazily: it is set for the earliest deadline that may
  // apply, and when it fires the state decides what happened and when to look again. The hot
  // path (whole requests, prompt responses) never touches it.

  void armTimer(Clock::time_point deadline) {
    if (closed_ || deadline == Clock::time_point::max() ||
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

  void onTimer() {
    timer_armed_ = false;
    if (closed_) {
      return;
    }
    const Clock::time_point now = LoopClock::now();
    if (lingering_) {
      if (now >= linger_deadline_) {
        closeNow();
      } else {
        armTimer(linger_deadline_);
      }
      return;
    }
    Clock::time_point next = Clock::time_point::max();
    if (in_request_) {
      if (options_.request_headers_timeout > Duration::zero() && !header_end_.done()) {
        const Clock::time_point deadline = request_start_ + options_.request_headers_timeout;
        if (now >= deadline) {
          count(&HttpServerStats::downstream_rq_header_timeout);
          in_request_ = false;
          sendError(408, "request header timeout");
          return;
        }
        next = std::min(next, deadline);
      }
      if (options_.request_timeout > Duration::zero()) {
        const Clock::time_point deadline = request_start_ + options_.request_timeout;
        if (now >= deadline) {
          count(&HttpServerStats::downstream_rq_timeout);
          in_request_ = false;
          sendError(408, "request timeout");
          return;
        }
        next = std::min(next, deadline);
      }
    }
    if (options_.idle_timeout > Duration::zero()) {
      if (in_flight_) {
        // The handler owns the request's timing (route timeouts); look again later.
        next = std::min(next, now + options_.idle_timeout);
      } else {
        const Clock::time_point deadline = last_activity_ + options_.idle_timeout;
        if (now >= deadline) {
          count(&HttpServerStats::downstream_cx_idle_timeout);
          closeNow();
          return;
        }
        next = std::min(next, deadline);
      }
    }
    armTimer(next);
  }

  static constexpr size_t kMaxLingerBytes = size_t{1} << 20;
  static constexpr int kReadsPerTurn = 4;

  HttpServer* server_;  // Null once closed or once the server is gone.
  RequestHandler& handler_;
  const HttpServerOptions& options_;  // The server's; read only while open.
  tcp::socket socket_;
  boost::asio::steady_timer timer_;
  ConnectionInfo info_;
  http::RequestParser parser_;

  // Read buffer; bytes [begin_, end_) are received but not yet parsed.
  std::unique_ptr<char[]> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  // The response being written.
  std::string out_;

  unsigned refs_ = 1;         // The open socket's reference, released by closeNow().
  bool waiting_ = false;      // Idle until the next arrival of bytes.
  bool posted_ = false;       // A read is posted to run after the other connections.
  bool edge_ = false;         // Bytes arrived that no read has taken yet.
  bool peer_closed_ = false;  // The poller saw the client hang up: read to the end of stream.
  uint64_t poll_token_ = 0;   // In the EdgePoller while open.
  bool reading_ = false;      // Inside readNow().
  bool read_first_ = false;   // Bytes may be waiting that no readiness event will announce.
  bool processing_ = false;   // Inside processInput().
  bool writing_ = false;      // An asynchronous write is finishing a response.
  bool in_flight_ = false;    // A request is with the handler.
  bool keep_alive_ = true;    // Of the request with the handler.
  bool head_request_ = false;
  bool continue_sent_ = false;  // "100 Continue" went out for the request being received.
  bool close_after_write_ = false;
  bool lingering_ = false;
  bool closed_ = false;
  size_t lingered_bytes_ = 0;

  bool in_request_ = false;  // Part of a request has arrived, not all of it.
  HeaderEndScanner header_end_;
  Clock::time_point request_start_{};
  Clock::time_point last_activity_{};
  Clock::time_point linger_deadline_{};

  bool timer_armed_ = false;
  Clock::time_point timer_expiry_{};
  uint64_t timer_generation_ = 0;
};

// ---------------------------------------------------------------------------------------------

HttpServer::HttpServer(AsioDispatcher& dispatcher, RequestHandler& handler,
                       HttpServerOptions options, ConnectionInfoFn connection_info)
    : dispatcher_(dispatcher),
      handler_(handler),
      options_(std::move(options)),
      connection_info_(std::move(connection_info)),
      acceptor_(dispatcher.ioContext()) {}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::create(AsioDispatcher& dispatcher,
                                                         config::Address address,
                                                         RequestHandler& handler,
                                                         HttpServerOptions options,
                                                         ConnectionInfoFn connection_info) {
  if (options.read_buffer_bytes == 0) {
    return invalidArgumentError("read_buffer_bytes must be positive");
  }
  std::unique_ptr<HttpServer> server(
      new HttpServer(dispatcher, handler, std::move(options), std::move(connection_info)));
  const Endpoint endpoint = toEndpoint(address);
  ErrorCode ec;
  auto& acceptor = server->acceptor_;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  }
  if (!ec) {
    server->port_ = acceptor.local_endpoint(ec).port();
  }
  if (ec) {
    return unavailableError("cannot listen on " + config::toString(address) + ": " + ec.message());
  }
  server->accept();
  return server;
}

HttpServer::~HttpServer() {
  *alive_ = false;
  ErrorCode ignored;
  acceptor_.close(ignored);
  if (options_.shared_limit != nullptr) {
    options_.shared_limit->open -= connections_.size();
  }
  try {
    const std::vector<Connection*> open(connections_.begin(), connections_.end());
    connections_.clear();
    for (Connection* c : open) {
      c->abandon();
    }
  } catch (const std::exception&) {
    // Out of memory or a timer that failed to cancel: nothing more can be done on the way out.
  }
}

void HttpServer::accept() {
  acceptor_.async_accept([this, alive = alive_](const ErrorCode& ec, tcp::socket socket) {
    if (*alive) {
      onAccept(ec, std::move(socket));
    }
  });
}

void HttpServer::onAccept(const ErrorCode& ec, tcp::socket socket) {
  if (ec == boost::asio::error::operation_aborted) {
    return;
  }
  if (ec) {
    // Out of descriptors or memory: back off instead of spinning on the error.
    dispatcher_.postAfter(std::chrono::milliseconds(100), [this, alive = alive_] {
      if (*alive) {
        accept();
      }
    });
    return;
  }
  accept();
  SharedConnectionLimit* shared = options_.shared_limit.get();
  if ((options_.max_connections != 0 && connections_.size() >= options_.max_connections) ||
      (shared != nullptr && shared->max != 0 && shared->open >= shared->max)) {
    ++stats_.downstream_cx_overflow;
    return;  // `socket` closes as it goes out of scope.
  }
  ErrorCode ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  const config::Address remote = toAddress(socket.remote_endpoint(ignored));
  const config::Address local = toAddress(socket.local_endpoint(ignored));
  ConnectionInfo info = connection_info_
                            ? connection_info_(remote, local)
                            : ConnectionInfo{remote, local, nullptr, false, nullptr, {}};
  auto* connection = new Connection(*this, std::move(socket), std::move(info));
  connections_.insert(connection);
  if (shared != nullptr) {
    ++shared->open;
  }
  ++stats_.downstream_cx_total;
  ++stats_.downstream_cx_active;
  connection->start();
}

void HttpServer::onConnectionClosed(Connection* connection) {
  if (connections_.erase(connection) != 0) {
    --stats_.downstream_cx_active;
    if (options_.shared_limit != nullptr) {
      --options_.shared_limit->open;
    }
  }
}

}  // namespace meshsim::proxy::net
