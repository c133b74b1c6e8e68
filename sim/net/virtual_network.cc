#include "sim/net/virtual_network.h"

namespace meshsim::sim::net {

void VirtualNetwork::listen(Address address, proxy::RequestHandler& handler, bool plaintext) {
  handlers_[key(address)] = &handler;
  if (plaintext) {
    plaintext_.insert(key(address));
  } else {
    plaintext_.erase(key(address));
  }
}

void VirtualNetwork::unlisten(Address address) {
  handlers_.erase(key(address));
  plaintext_.erase(key(address));
}

void VirtualNetwork::listenLocal(uint32_t pod_ip, uint16_t port, proxy::RequestHandler& handler) {
  local_[key(Address{pod_ip, port})] = &handler;
}

void VirtualNetwork::unlistenLocal(uint32_t pod_ip, uint16_t port) {
  local_.erase(key(Address{pod_ip, port}));
}

void VirtualNetwork::addVirtualIp(Address vip, std::vector<Address> backends) {
  virtual_ips_[key(vip)] = std::move(backends);
}

void VirtualNetwork::removeVirtualIp(Address vip) {
  virtual_ips_.erase(key(vip));
}

void VirtualNetwork::partition(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                               bool drop) {
  for (uint32_t x : a) {
    for (uint32_t y : b) {
      partitions_[pairKey(x, y)] = drop;
      partitions_[pairKey(y, x)] = drop;
    }
  }
}

void VirtualNetwork::heal(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  for (uint32_t x : a) {
    for (uint32_t y : b) {
      partitions_.erase(pairKey(x, y));
      partitions_.erase(pairKey(y, x));
    }
  }
}

void VirtualNetwork::release(uint32_t slot) {
  InFlight& f = in_flight_[slot];
  f.done = nullptr;
  f.handler = nullptr;
  f.connection = {};
  f.request = nullptr;
  f.response = nullptr;
  ++f.generation;
  free_slots_.push_back(slot);
}

void VirtualNetwork::deliver(uint32_t slot, uint32_t generation) {
  InFlight& f = in_flight_[slot];
  if (f.generation != generation) {
    return;  // reset before it arrived
  }
  // Taken out first: the handler may send more, which can grow in_flight_.
  proxy::RequestHandler* handler = f.handler;
  const proxy::ConnectionInfo connection = std::move(f.connection);
  proxy::http::RequestPtr request = std::move(f.request);
  handler->onRequest(connection, std::move(request),
                     [this, slot, generation](proxy::http::ResponsePtr response,
                                              proxy::ResetReason reset) mutable {
                       complete(slot, generation, std::move(response), reset);
                     });
}

void VirtualNetwork::complete(uint32_t slot, uint32_t generation, proxy::http::ResponsePtr response,
                              proxy::ResetReason reset) {
  InFlight& f = in_flight_[slot];
  if (f.generation != generation) {
    return;  // the exchange was reset (its handler died); the answer goes nowhere
  }
  f.handler = nullptr;  // answered: the handler's death no longer concerns it
  f.response = std::move(response);
  f.reset = reset;
  dispatcher_.post([this, slot, generation] { answer(slot, generation); });
}

void VirtualNetwork::answer(uint32_t slot, uint32_t generation) {
  InFlight& f = in_flight_[slot];
  if (f.generation != generation) {
    return;
  }
  proxy::ResponseCallback done = std::move(f.done);
  proxy::http::ResponsePtr response = std::move(f.response);
  const proxy::ResetReason reset = f.reset;
  release(slot);
  done(std::move(response), reset);
}

void VirtualNetwork::resetInFlight(const proxy::RequestHandler& handler) {
  for (uint32_t slot = 0; slot < in_flight_.size(); ++slot) {
    if (in_flight_[slot].handler != &handler) {
      continue;
    }
    proxy::ResponseCallback done = std::move(in_flight_[slot].done);
    release(slot);
    dispatcher_.post([done = std::move(done)]() mutable {
      done(nullptr, proxy::ResetReason::ConnectionTermination);
    });
  }
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
  if (!partitions_.empty()) {
    auto blocked = partitions_.find(pairKey(from.source.ip, to.ip));
    if (blocked != partitions_.end()) {
      auto fail = [done = std::move(done)]() mutable {
        done(nullptr, proxy::ResetReason::ConnectFailure);
      };
      if (blocked->second) {
        // The sender's own connect timeout (its cluster's), else Istio's default.
        dispatcher_.postAfter(from.connect_timeout.count() > 0
                                  ? from.connect_timeout
                                  : std::chrono::nanoseconds(kConnectTimeout),
                              std::move(fail));
      } else {
        dispatcher_.post(std::move(fail));
      }
      return;
    }
  }
  // Istio's mutual TLS to an app that speaks plain HTTP: the handshake fails (Envoy: "connection
  // failure, transport failure reason: TLS error").
  const bool handshake_fails = from.mtls && !plaintext_.empty() && plaintext_.count(key(to)) != 0;
  if (handler == nullptr || handshake_fails) {
    dispatcher_.post(
        [done = std::move(done)]() mutable { done(nullptr, proxy::ResetReason::ConnectFailure); });
    return;
  }
  ++delivered_;
  uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<uint32_t>(in_flight_.size());
    in_flight_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  InFlight& f = in_flight_[slot];
  f.done = std::move(done);
  f.handler = handler;
  f.connection = proxy::ConnectionInfo{from.source, to,          from.peer,
                                       from.mtls,   from.cancel, from.connect_timeout};
  f.request = std::move(request);
  const uint32_t generation = f.generation;
  dispatcher_.post([this, slot, generation] { deliver(slot, generation); });
}

}  // namespace meshsim::sim::net
