#include "sim/net/real_network.h"

#include <utility>

namespace meshsim::sim::net {

class RealNetwork::Upstream : public proxy::net::ConnectionObserver {
public:
  Upstream(RealNetwork& network, proxy::ConnectionInfo identity, Address real,
           const proxy::net::ConnectionPoolOptions& options)
      : source_ip_(identity.source.ip),
        network_(network),
        identity_(std::move(identity)),
        pool_(network.dispatcher_, real, options, this) {}
  // Closes the pool first: it reports its connections closing to this observer.
  ~Upstream() override = default;

  uint32_t sourceIp() const { return source_ip_; }
  proxy::net::HttpConnectionPool& pool() { return pool_; }
  const proxy::net::HttpConnectionPool& pool() const { return pool_; }

  // proxy::net::ConnectionObserver
  void onConnectionOpening(const Address& local) override {
    network_.peers_[key(local)] = identity_;
  }
  void onConnectionClosed(const Address& local) override { network_.peers_.erase(key(local)); }

private:
  const uint32_t source_ip_;
  RealNetwork& network_;
  const proxy::ConnectionInfo identity_;
  // Declared last: destroyed first, while the observer is still whole.
  proxy::net::HttpConnectionPool pool_;
};

RealNetwork::RealNetwork(proxy::AsioDispatcher& dispatcher, proxy::RandomGenerator& random,
                         const proxy::net::ConnectionPoolOptions& pool_options)
    : dispatcher_(dispatcher), random_(random), pool_options_(pool_options) {}

RealNetwork::~RealNetwork() {
  // The pools report their connections closing into peers_, so they go first.
  upstream_order_.clear();
  upstreams_.clear();
}

void RealNetwork::bind(Address address, Address real, bool plaintext) {
  bound_[key(address)] = real;
  if (plaintext) {
    plaintext_.insert(key(address));
  } else {
    plaintext_.erase(key(address));
  }
}

void RealNetwork::bindLocal(uint32_t pod_ip, uint16_t port, Address real) {
  local_[key(Address{pod_ip, port})] = real;
}

void RealNetwork::addVirtualIp(Address vip, std::vector<Address> backends) {
  virtual_ips_[key(vip)] = std::move(backends);
}

void RealNetwork::unbind(Address address) {
  bound_.erase(key(address));
  plaintext_.erase(key(address));
}

void RealNetwork::unbindLocal(uint32_t pod_ip, uint16_t port) {
  // Still the pod's own port: refused now, not a server of this machine's on that port.
  local_[key(Address{pod_ip, port})] = std::nullopt;
}

void RealNetwork::removeVirtualIp(Address vip) {
  virtual_ips_.erase(key(vip));
}

void RealNetwork::setUpstreamOptions(Address real,
                                     const proxy::net::ConnectionPoolOptions& options) {
  upstream_options_[key(real)] = options;
}

proxy::ConnectionInfo RealNetwork::connectionInfo(Address remote, Address destination) const {
  if (auto it = peers_.find(key(remote)); it != peers_.end()) {
    proxy::ConnectionInfo info = it->second;
    info.destination = destination;
    return info;
  }
  return proxy::ConnectionInfo{remote, destination, nullptr, false, nullptr, {}};
}

void RealNetwork::send(const proxy::ConnectionInfo& from, Address to,
                       proxy::http::RequestPtr request, proxy::ResponseCallback done) {
  sendCopy(from, to, *request, std::move(done));  // serialised at once: nothing to keep
}

void RealNetwork::sendCopy(const proxy::ConnectionInfo& from, Address to,
                           const proxy::http::Request& request, proxy::ResponseCallback done) {
  if (proxy::net::HttpConnectionPool* pool = route(from, to, done)) {
    pool->send(request, std::move(done), from.cancel);
  }
}

proxy::net::HttpConnectionPool* RealNetwork::route(const proxy::ConnectionInfo& from, Address to,
                                                   proxy::ResponseCallback& done) {
  Address real;
  if (to.ip == proxy::config::kLoopback) {
    auto it = local_.find(key(Address{from.source.ip, to.port}));
    if (it != local_.end() && !it->second) {
      dispatcher_.post([done = std::move(done)]() mutable {
        done(nullptr, proxy::ResetReason::ConnectFailure);
      });
      return nullptr;
    }
    real = it != local_.end() ? *it->second : to;
  } else {
    if (auto vip = virtual_ips_.find(key(to)); vip != virtual_ips_.end()) {
      const auto& backends = vip->second;
      if (!backends.empty()) {
        to = backends[backends.size() == 1 ? 0 : random_.uniform(backends.size())];
      }
    }
    auto it = bound_.find(key(to));
    // Istio's mutual TLS to an app that speaks plain HTTP fails its handshake.
    if (it == bound_.end() || (from.mtls && plaintext_.count(key(to)) != 0)) {
      dispatcher_.post([done = std::move(done)]() mutable {
        done(nullptr, proxy::ResetReason::ConnectFailure);
      });
      return nullptr;
    }
    real = it->second;
  }
  return &upstreamFor(from, to, real).pool();
}

RealNetwork::Upstream& RealNetwork::upstreamFor(const proxy::ConnectionInfo& from, Address to,
                                                Address real) {
  auto& by_real = upstreams_[from.source.ip];
  std::unique_ptr<Upstream>& upstream = by_real[key(real)];
  if (upstream == nullptr) {
    // Who is on the other end of this pool's connections; nothing of one exchange (a
    // Cancellation) belongs in it.
    proxy::ConnectionInfo identity{Address{from.source.ip, 0}, to, from.peer, from.mtls, nullptr,
                                   from.connect_timeout};
    auto found = upstream_options_.find(key(real));
    proxy::net::ConnectionPoolOptions options =
        found != upstream_options_.end() ? found->second : pool_options_;
    if (from.connect_timeout.count() > 0) {  // the sending cluster's connectTimeout
      options.connect_timeout = std::chrono::duration_cast<proxy::Duration>(from.connect_timeout);
    }
    upstream = std::make_unique<Upstream>(*this, std::move(identity), real, options);
    upstream_order_.push_back(upstream.get());
  }
  return *upstream;
}

std::vector<RealNetwork::PoolInfo> RealNetwork::pools() const {
  std::vector<PoolInfo> out;
  out.reserve(upstream_order_.size());
  for (const Upstream* u : upstream_order_) {
    out.push_back({u->sourceIp(), &u->pool()});
  }
  return out;
}

}  // namespace meshsim::sim::net
