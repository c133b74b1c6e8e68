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

#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
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
  // removed with unlisten(). A `plaintext` handler is an app without a sidecar: a sender that
  // starts Istio's mutual TLS with it fails its handshake, a connection failure.
  void listen(Address address, proxy::RequestHandler& handler, bool plaintext = false);
  void unlisten(Address address);
  // Makes `handler` receive what a sender whose source IP is `pod_ip` sends to 127.0.0.1:`port`.
  void listenLocal(uint32_t pod_ip, uint16_t port, proxy::RequestHandler& handler);
  void unlistenLocal(uint32_t pod_ip, uint16_t port);
  // Sends what arrives at `vip` to one of `backends`, chosen at random per request (kube-proxy's
  // iptables mode). An empty list refuses connections. Calling it again replaces the backends.
  void addVirtualIp(Address vip, std::vector<Address> backends);
  void removeVirtualIp(Address vip);

  // Ends every exchange delivered to `handler` that it has not answered yet: its sender sees the
  // connection terminate (ConnectionTermination) on the next event and the handler's answer, when
  // it comes, is dropped. A pod that dies takes its connections with it.
  void resetInFlight(const proxy::RequestHandler& handler);

  // Network partitions between two sets of IPs, both directions. A packet dropped (`drop`) makes
  // a connection attempt time out after the sender's connect timeout (ConnectionInfo, from its
  // cluster), or `kConnectTimeout` (Istio's default) when it has none; a rejected one is refused
  // at once. Exchanges already in flight are not affected.
  static constexpr std::chrono::seconds kConnectTimeout{10};
  void partition(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b, bool drop);
  // Heals the partitions between the two sets (every pair of IPs in them).
  void heal(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b);
  void healAll() { partitions_.clear(); }

  // proxy::UpstreamTransport
  void send(const proxy::ConnectionInfo& from, Address to, proxy::http::RequestPtr request,
            proxy::ResponseCallback done) override;

  uint64_t deliveredRequests() const { return delivered_; }

private:
  static uint64_t key(Address a) { return (uint64_t{a.ip} << 16) | a.port; }
  static uint64_t pairKey(uint32_t a, uint32_t b) { return (uint64_t{a} << 32) | b; }

  // An exchange from send() until its answer is delivered. The request (with its connection)
  // and then the answer wait here for their event, so the posted callbacks capture only the slot
  // and stay small enough not to allocate.
  struct InFlight {
    proxy::ResponseCallback done;
    // The receiver, until it answers (null afterwards: resetInFlight() leaves the slot alone).
    proxy::RequestHandler* handler = nullptr;
    uint32_t generation = 0;            // bumped when the slot is freed: late answers are dropped
    proxy::ConnectionInfo connection;   // until delivered
    proxy::http::RequestPtr request;    // until delivered
    proxy::http::ResponsePtr response;  // the answer, until delivered
    proxy::ResetReason reset = proxy::ResetReason::None;
  };
  void deliver(uint32_t slot, uint32_t generation);
  void complete(uint32_t slot, uint32_t generation, proxy::http::ResponsePtr response,
                proxy::ResetReason reset);
  void answer(uint32_t slot, uint32_t generation);
  void release(uint32_t slot);

  proxy::Dispatcher& dispatcher_;
  proxy::RandomGenerator& random_;
  std::unordered_map<uint64_t, proxy::RequestHandler*> handlers_;
  std::unordered_set<uint64_t> plaintext_;  // handlers_ keys of plaintext handlers
  std::unordered_map<uint64_t, proxy::RequestHandler*> local_;  // key(pod_ip, port)
  std::unordered_map<uint64_t, std::vector<Address>> virtual_ips_;
  std::unordered_map<uint64_t, bool> partitions_;  // pairKey(src, dst) -> drop (else reject)
  std::vector<InFlight> in_flight_;
  std::vector<uint32_t> free_slots_;
  uint64_t delivered_ = 0;
};

}  // namespace meshsim::sim::net
