#pragma once

// File: sim/net/real_network.h
//
// The transport of real-network mode (`meshsim serve`): the counterpart of VirtualNetwork on
// real sockets. The world keeps its virtual addresses (pod IPs 10.1.0.x, Service ClusterIPs);
// this network maps each to a real server on loopback (a proxy listener, an app) and carries
// requests there over TCP through keep-alive connection pools, one per sender and upstream.
//
// - Loopback is per pod, as in VirtualNetwork: a sidecar sending to 127.0.0.1:8080 reaches the
//   app of its own pod, found by the sender's source IP. A loopback address with no such
//   binding is taken literally: a real server on this machine (e.g. a ServiceEntry endpoint).
// - Virtual IPs forward to one of their backends, chosen at random per request (kube-proxy).
// - Istio's mTLS tells a server who its peer is. Here the pools report each connection they
//   open, so an in-process server can ask connectionInfo() which proxy is at the other end.
//
// Example:
//   RealNetwork network(dispatcher, random);
//   network.bind({pod_ip, 8080}, {config::kLoopback, sidecar_server->port()});
//   auto proxy = Proxy::create(config, dispatcher, network, random).value();

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/core/random.h"
#include "proxy/event/asio_dispatcher.h"
#include "proxy/net/connection_pool.h"
#include "proxy/upstream/transport.h"

namespace meshsim::sim::net {

using proxy::config::Address;

class RealNetwork : public proxy::UpstreamTransport {
public:
  // Pools use `pool_options` unless setUpstreamOptions() says otherwise. `dispatcher` and
  // `random` must outlive the network.
  RealNetwork(proxy::AsioDispatcher& dispatcher, proxy::RandomGenerator& random,
              const proxy::net::ConnectionPoolOptions& pool_options = {});
  ~RealNetwork() override;
  RealNetwork(const RealNetwork&) = delete;
  RealNetwork& operator=(const RealNetwork&) = delete;

  // Makes what is sent to the virtual `address` reach the real server at `real`. A `plaintext`
  // server is an app without a sidecar: a sender that starts Istio's mutual TLS with it fails
  // its handshake, a connection failure (as in VirtualNetwork).
  void bind(Address address, Address real, bool plaintext = false);
  // Makes what a sender with source IP `pod_ip` sends to 127.0.0.1:`port` reach `real`.
  void bindLocal(uint32_t pod_ip, uint16_t port, Address real);
  // Undoes bind() and bindLocal(): connections there are refused from now on (a loopback port
  // once bound stays the pod's: it is not taken literally afterwards).
  void unbind(Address address);
  void unbindLocal(uint32_t pod_ip, uint16_t port);
  // Sends what arrives at `vip` to one of `backends` (virtual addresses), replacing earlier
  // ones. An empty list refuses connections.
  void addVirtualIp(Address vip, std::vector<Address> backends);
  void removeVirtualIp(Address vip);
  // Pools to the real server `real` use `options` (e.g. at most as many connections as a
  // thread-per-connection app has threads). Applies to pools created afterwards.
  void setUpstreamOptions(Address real, const proxy::net::ConnectionPoolOptions& options);

  // What a server that accepted a connection from the real address `remote` should be told,
  // `destination` being the virtual address it stands for: the identity of the proxy whose
  // pool opened the connection, or an outside client with no identity.
  proxy::ConnectionInfo connectionInfo(Address remote, Address destination) const;

  // proxy::UpstreamTransport. `done` runs on the dispatcher, never inline; ConnectFailure when
  // nothing is bound at `to`.
  void send(const proxy::ConnectionInfo& from, Address to, proxy::http::RequestPtr request,
            proxy::ResponseCallback done) override;
  // Serialises `request` on the way out; no copy is made.
  void sendCopy(const proxy::ConnectionInfo& from, Address to, const proxy::http::Request& request,
                proxy::ResponseCallback done) override;

  struct PoolInfo {
    uint32_t source_ip;  // the sender's virtual IP
    const proxy::net::HttpConnectionPool* pool;
  };
  // Every pool opened so far, in opening order (for the admin page).
  std::vector<PoolInfo> pools() const;

private:
  // One pool and the identity of the proxy that sends through it.
  class Upstream;

  static uint64_t key(Address a) { return (uint64_t{a.ip} << 16) | a.port; }
  Upstream& upstreamFor(const proxy::ConnectionInfo& from, Address to, Address real);
  // The pool that carries what `from` sends to `to`; null (and `done` failed with
  // ConnectFailure, later) when nothing is bound there.
  proxy::net::HttpConnectionPool* route(const proxy::ConnectionInfo& from, Address to,
                                        proxy::ResponseCallback& done);

  proxy::AsioDispatcher& dispatcher_;
  proxy::RandomGenerator& random_;
  const proxy::net::ConnectionPoolOptions pool_options_;
  std::unordered_map<uint64_t, proxy::net::ConnectionPoolOptions> upstream_options_;
  std::unordered_map<uint64_t, Address> bound_;
  std::unordered_set<uint64_t> plaintext_;  // bound_ keys of plaintext servers
  // key(pod_ip, port); nullopt: unbound (refused), not taken literally.
  std::unordered_map<uint64_t, std::optional<Address>> local_;
  std::unordered_map<uint64_t, std::vector<Address>> virtual_ips_;
  // Keyed by the sender's source IP and the real upstream.
  std::unordered_map<uint64_t, std::unordered_map<uint64_t, std::unique_ptr<Upstream>>> upstreams_;
  std::vector<const Upstream*> upstream_order_;
  // The identity behind each open pool connection, by its local address.
  std::unordered_map<uint64_t, proxy::ConnectionInfo> peers_;
};

}  // namespace meshsim::sim::net
