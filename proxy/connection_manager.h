#pragma once

// File: proxy/connection_manager.h
//
// The HTTP connection manager of one listener (Envoy's HCM): the lifecycle of every request it
// receives. It prepares the request (path normalisation, x-forwarded-*, x-request-id), resolves
// its route (virtual host, route, the weighted cluster pick, the cluster), runs the proxy's
// filter chain over it, and ends it exactly once: with the response a filter or the router
// produced (through every filter's encodeHeaders(), then the server header and the stats
// recorder), or, when the client goes away first (stream reset), as 0 DC.
//
// Example (what Proxy does per listener port):
//   ConnectionManager hcm(context, chain, recorder, listener, route_table, owner);
//   network.listen(address, hcm);

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/filters/filter.h"
#include "proxy/filters/filter_chain.h"
#include "proxy/filters/stats_recorder.h"

namespace meshsim::proxy {

class ConnectionManager : public RequestHandler {
public:
  // `owner` keeps `listener` alive (the snapshot or shared configuration it belongs to).
  // `context`, `chain` and `recorder` must outlive the connection manager.
  ConnectionManager(filters::ProxyContext& context, const filters::FilterChain& chain,
                    filters::StatsRecorder& recorder, const config::Listener& listener,
                    router::RouteTableConstSharedPtr routes, std::shared_ptr<const void> owner);
  // Requests still in flight go with the connection manager (their callbacks find them gone).
  ~ConnectionManager() override;
  ConnectionManager(const ConnectionManager&) = delete;
  ConnectionManager& operator=(const ConnectionManager&) = delete;

  // A new configuration for this port (an LDS/RDS push). Requests in flight keep the route
  // table they matched alive themselves.
  void reconfigure(const config::Listener& listener, router::RouteTableConstSharedPtr routes,
                   std::shared_ptr<const void> owner);
  // Whether a request is in flight through this listener.
  bool busy() const { return active_ != nullptr; }

  // proxy::RequestHandler
  void onRequest(const ConnectionInfo& connection, http::RequestPtr request,
                 ResponseCallback done) override;

private:
  class ActiveStream;
  using ActiveStreamSharedPtr = std::shared_ptr<ActiveStream>;

  bool isOutbound() const { return listener_->direction == config::TrafficDirection::Outbound; }
  void prepareRequest(const ConnectionInfo& connection, http::Request& request);
  // Selects the virtual host, the route, the weighted cluster and the cluster state.
  void resolveRoute(ActiveStream& stream);
  // Ends `stream` with `response`: encode through the chain, server header, stats, downstream.
  void finish(ActiveStream& stream, http::ResponsePtr response, stats::ResponseFlags flags);
  // The client went away: the filters drop what they started; recorded as 0 DC.
  void onStreamReset(ActiveStream& stream);
  config::ServiceInfoConstSharedPtr passthroughService(std::string_view host);
  void link(const ActiveStreamSharedPtr& stream);
  void release(ActiveStream& stream);

  filters::ProxyContext& context_;
  const filters::FilterChain& chain_;
  filters::StatsRecorder& recorder_;
  const config::Listener* listener_;
  std::shared_ptr<const void> owner_;  // of *listener_
  router::RouteTableConstSharedPtr routes_;
  std::unordered_map<std::string, config::ServiceInfoConstSharedPtr> passthrough_services_;
  ActiveStream* active_ = nullptr;  // head of the streams in flight
  // The virtual host of the last request's authority in `vhost_table_` (see resolveRoute()).
  router::RouteTableConstSharedPtr vhost_table_;
  std::string vhost_authority_;
  const config::VirtualHost* vhost_ = nullptr;
  // The last downstream peer's address and its text (x-forwarded-for at an edge proxy).
  uint32_t peer_ip_ = 0;
  std::string peer_text_;
};

// A random UUID version 4 ("f81d4fae-7dec-41d0-a765-00a0c91e6bf6") drawn from `random`, as
// Envoy generates for x-request-id.
std::string generateRequestId(RandomGenerator& random);

}  // namespace meshsim::proxy
