#pragma once

// File: sim/net/virtual_network.h
//
// The in-process network. Addresses map to RequestHandlers (proxy listeners, apps); virtual IPs
// (Service ClusterIPs, LoadBalancer addresses) forward to backends the way kube-proxy does.
// Requests and responses travel as message objects, each hop one dispatcher event, so nothing
// is ever delivered inline and every run with the same seed is identical.
//
// Loopback (127.0.0.1) is per pod: a sidecar reaching 127.0.0.1:8080 reaches the app in its own
// pod, found by the sender's source IP.

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/core/random.h"
#include "proxy/event/dispatcher.h"
#include "proxy/upstream/transport.h"

namespace meshsim::sim::net {

using proxy::config::Address;

class VirtualNetwork : public proxy::UpstreamTransport {
public:
  VirtualNetwork(proxy::Dispatcher& dispatcher, proxy::RandomGenerator& random)
      : dispatcher_(dispatcher), random_(random) {}

  // Makes `handler` receive what is sent to `address`. It must outlive the network or be
  // removed with unlisten().
  void listen(Address address, proxy::RequestHandler& handler);
  void unlisten(Address address);
  // Makes `handler` receive what a sender whose source IP is `pod_ip` sends to 127.0.0.1:`port`.
  void listenLocal(uint32_t pod_ip, uint16_t port, proxy::RequestHandler& handler);
  // Sends what arrives at `vip` to one of `backends`, chosen at random per request (kube-proxy's
  // iptables mode). An empty list refuses connections.
  void addVirtualIp(Address vip, std::vector<Address> backends);

  // proxy::UpstreamTransport
  void send(const proxy::ConnectionInfo& from, Address to, proxy::http::RequestPtr request,
            proxy::ResponseCallback done) override;

  uint64_t deliveredRequests() const { return delivered_; }

private:
  static uint64_t key(Address a) { return (uint64_t{a.ip} << 16) | a.port; }

  proxy::Dispatcher& dispatcher_;
  proxy::RandomGenerator& random_;
  std::unordered_map<uint64_t, proxy::RequestHandler*> handlers_;
  std::unordered_map<uint64_t, proxy::RequestHandler*> local_;  // key(pod_ip, port)
  std::unordered_map<uint64_t, std::vector<Address>> virtual_ips_;
  uint64_t delivered_ = 0;
};

}  // namespace meshsim::sim::net
