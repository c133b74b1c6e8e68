#include "sim/net/virtual_network.h"

namespace meshsim::sim::net {

void VirtualNetwork::listen(Address address, proxy::RequestHandler& handler) {
  handlers_[key(address)] = &handler;
}

void VirtualNetwork::unlisten(Address address) {
  handlers_.erase(key(address));
}

void VirtualNetwork::listenLocal(uint32_t pod_ip, uint16_t port, proxy::RequestHandler& handler) {
  local_[key(Address{pod_ip, port})] = &handler;
}

void VirtualNetwork::addVirtualIp(Address vip, std::vector<Address> backends) {
  virtual_ips_[key(vip)] = std::move(backends);
}

void VirtualNetwork::send(const proxy::ConnectionInfo& from, Address to,
                          proxy::http::RequestPtr request, proxy::ResponseCallback done) {
  proxy::RequestHandler* handler = nullptr;
  if (to.ip == proxy::config::kLoopback) {
    auto it = local_.find(key(Address{from.source.ip, to.port}));
    handler = it == local_.end() ? nullptr : it->second;
  } else {
    if (auto vip = virtual_ips_.find(key(to)); vip != virtual_ips_.end()) {
      const auto& backends = vip->second;
      if (!backends.empty()) {
        to = backends[backends.size() == 1 ? 0 : random_.uniform(backends.size())];
      }
    }
    auto it = handlers_.find(key(to));
    handler = it == handlers_.end() ? nullptr : it->second;
  }
  if (handler == nullptr) {
    dispatcher_.post(
        [done = std::move(done)]() mutable { done(nullptr, proxy::ResetReason::ConnectFailure); });
    return;
  }
  ++delivered_;
  proxy::ConnectionInfo connection{from.source, to, from.peer, from.mtls};
  dispatcher_.post([this, handler, connection = std::move(connection), request = std::move(request),
                    done = std::move(done)]() mutable {
    handler->onRequest(connection, std::move(request),
                       [this, done = std::move(done)](proxy::http::ResponsePtr response,
                                                      proxy::ResetReason reset) mutable {
                         dispatcher_.post([done = std::move(done), response = std::move(response),
                                           reset]() mutable { done(std::move(response), reset); });
                       });
  });
}

}  // namespace meshsim::sim::net
