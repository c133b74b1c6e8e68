#pragma once

// File: proxy/upstream/transport.h
//
// How requests travel between proxies and apps. The simulation implements these seams with a
// virtual network that hands message objects from hop to hop; real-network mode implements
// them with sockets and the HTTP/1.1 codec.

#include <chrono>
#include <memory>
#include <utility>

#include "proxy/config/proxy_config.h"
#include "proxy/core/unique_function.h"
#include "proxy/http/message.h"

namespace meshsim::proxy {

// Why an exchange ended without response headers (Envoy's StreamResetReason, trimmed).
enum class ResetReason {
  None,
  ConnectFailure,  // nothing listens at the address, or the connection was refused
  RemoteReset,     // the peer reset the stream before answering
  // The upstream connection closed (or was reset by the kernel of a dead peer) before a whole
  // response arrived: HTTP/1.1's way of failing mid-exchange (Envoy: 503 UC).
  ConnectionTermination,
  Timeout,
  Overflow,
};
const char* toString(ResetReason r);

// A sender's way to give up on an exchange it started, as Envoy resets a stream (HTTP/1.1:
// closes the connection): a route or per-try timeout, an app that stops waiting. The receiver
// of the request may register what to do when that happens; the sender calls cancel(). Used on
// the loop's thread only.
class Cancellation {
public:
  void cancel() {
    if (cancelled_) {
      return;
    }
    cancelled_ = true;
    if (on_cancel_) {
      UniqueFunction<void()> f = std::move(on_cancel_);
      f();
    }
  }
  bool cancelled() const { return cancelled_; }
  void setOnCancel(UniqueFunction<void()> f) { on_cancel_ = std::move(f); }

private:
  bool cancelled_ = false;
  UniqueFunction<void()> on_cancel_;
};
using CancellationPtr = std::shared_ptr<Cancellation>;

// What a receiver knows about the connection a request came in on.
struct ConnectionInfo {
  config::Address source;
  config::Address destination;
  // The peer's identity, as mTLS and Istio's metadata exchange reveal it; null for a client
  // outside the mesh or without a sidecar.
  config::WorkloadInfoConstSharedPtr peer;
  // Whether the hop is Istio mutual TLS (both ends have a proxy).
  bool mtls = false;
  // Set when the sender may give up on the exchange (null: it never does).
  CancellationPtr cancel;
  // How long the sender waits for the connection to be established (the cluster's
  // connectTimeout); zero: the transport's default (Istio's, 10 s).
  std::chrono::nanoseconds connect_timeout{0};
};

// Receives the outcome of one exchange: a response, or a reset reason with a null response.
using ResponseCallback = UniqueFunction<void(http::ResponsePtr, ResetReason)>;

// Something that accepts HTTP requests at an address: a proxy listener or an app.
class RequestHandler {
public:
  virtual ~RequestHandler() = default;
  // Handles one request. `done` must be called exactly once, from a later dispatcher event
  // or inline (the transport that delivered the request guarantees its own caller is never
  // called back inline).
  virtual void onRequest(const ConnectionInfo& connection, http::RequestPtr request,
                         ResponseCallback done) = 0;
};

class UpstreamTransport {
public:
  virtual ~UpstreamTransport() = default;
  // Sends `request` from `from` to `to`. `done` runs exactly once on the caller's dispatcher,
  // never inline: with the response, or with a reset reason (ConnectFailure when nothing
  // listens at `to`).
  virtual void send(const ConnectionInfo& from, config::Address to, http::RequestPtr request,
                    ResponseCallback done) = 0;
  // Sends a copy of `request`, which the caller keeps and may change once this returns (a
  // router's retries send the same request again). The default copies it and calls send(); a
  // transport that serialises requests writes the bytes at once and copies nothing.
  virtual void sendCopy(const ConnectionInfo& from, config::Address to,
                        const http::Request& request, ResponseCallback done) {
    send(from, to, std::make_unique<http::Request>(request), std::move(done));
  }
};

}  // namespace meshsim::proxy
