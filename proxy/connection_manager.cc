#include "proxy/connection_manager.h"

#include <array>
#include <cstring>
#include <utility>

#include "proxy/http/codec.h"
#include "proxy/router/route_actions.h"
#include "proxy/router/router_filter.h"

namespace meshsim::proxy {

std::string generateRequestId(RandomGenerator& random) {
  // Two hex digits per byte from one table look-up (every proxied request makes an id).
  static constexpr auto kHexPairs = [] {
    std::array<char, 512> t{};
    constexpr char kHex[] = "0123456789abcdef";
    for (int b = 0; b < 256; ++b) {
      t[2 * b] = kHex[b >> 4];
      t[2 * b + 1] = kHex[b & 0xf];
    }
    return t;
  }();
  uint64_t hi = random.random();
  uint64_t lo = random.random();
  hi = (hi & ~(uint64_t{0xf0} << 8)) | (uint64_t{0x40} << 8);    // byte 6: version 4
  lo = (lo & ~(uint64_t{0xc0} << 56)) | (uint64_t{0x80} << 56);  // byte 8: RFC 4122 variant
  // Where each byte's two digits go in 8-4-4-4-12; the dashes are already there.
  static constexpr std::array<uint8_t, 16> kAt = {0,  2,  4,  6,  9,  11, 14, 16,
                                                  19, 21, 24, 26, 28, 30, 32, 34};
  std::string out(36, '-');
  for (int i = 0; i < 8; ++i) {
    std::memcpy(out.data() + kAt[i], &kHexPairs[2 * ((hi >> (56 - 8 * i)) & 0xff)], 2);
    std::memcpy(out.data() + kAt[8 + i], &kHexPairs[2 * ((lo >> (56 - 8 * i)) & 0xff)], 2);
  }
  return out;
}

// One request from arrival to its answer (Envoy's ActiveStream): the request, its StreamInfo,
// where the chain stopped, the router's state, and the connection manager's list links.
class ConnectionManager::ActiveStream final : public filters::StreamCallbacks,
                                              public std::enable_shared_from_this<ActiveStream> {
public:
  ActiveStream(ConnectionManager& hcm, http::RequestPtr request, ResponseCallback done)
      : hcm_(hcm), request_(std::move(request)), done_(std::move(done)) {}

  // filters::StreamCallbacks
  http::Request& request() override { return *request_; }
  filters::StreamInfo& streamInfo() override { return info_; }
  filters::ProxyContext& context() override { return hcm_.context_; }
  void sendLocalReply(http::ResponsePtr response, stats::ResponseFlags flags) override {
    hcm_.finish(*this, std::move(response), flags);
  }
  void encodeHeaders(http::ResponsePtr response, stats::ResponseFlags flags) override {
    hcm_.finish(*this, std::move(response), flags);
  }
  void continueDecoding() override {
    if (!finished_) {
      stopped_at_ = hcm_.chain_.decode(*this, stopped_at_ + 1);
    }
  }
  void wakeUpAfter(Duration delay, UniqueFunction<void()> wake_up) override {
    wake_up_ = std::move(wake_up);
    if (wake_timer_ == nullptr) {
      wake_timer_ = hcm_.context_.dispatcher.createTimer([this] {
        UniqueFunction<void()> f = std::move(wake_up_);
        f();
      });
    }
    wake_timer_->enable(delay);
  }
  config::ServiceInfoConstSharedPtr passthroughService(std::string_view host) override {
    return hcm_.passthroughService(host);
  }
  router::UpstreamRequest& upstreamRequest() override { return upstream_; }
  std::shared_ptr<filters::StreamCallbacks> keepAlive() override {
    // In flight, a copy of the connection manager's own reference: a plain count, where
    // shared_from_this() locks a weak pointer with an atomic compare-and-swap.
    return self_ != nullptr ? self_ : shared_from_this();
  }

  // Runs the chain from its first filter.
  void decode() { stopped_at_ = hcm_.chain_.decode(*this, 0); }

  // Marks the stream answered (once) and stops its wake-up; false if it already was.
  bool end() {
    if (finished_) {
      return false;
    }
    finished_ = true;
    if (wake_timer_ != nullptr) {
      wake_timer_->disable();
    }
    wake_up_ = nullptr;
    return true;
  }

  ConnectionManager& hcm_;
  filters::StreamInfo info_;
  http::RequestPtr request_;
  ResponseCallback done_;
  bool finished_ = false;
  // Set while onRequest() runs the stream: answered then, it needs no deferred destruction.
  bool inline_ = false;
  size_t stopped_at_ = 0;  // the filter that stopped the chain
  TimerPtr wake_timer_;
  UniqueFunction<void()> wake_up_;
  router::UpstreamRequest upstream_;
  // The connection manager's list of streams in flight (see link()).
  ActiveStreamSharedPtr self_;
  ActiveStream* prev_ = nullptr;
  ActiveStream* next_ = nullptr;
};

ConnectionManager::ConnectionManager(filters::ProxyContext& context,
                                     const filters::FilterChain& chain,
                                     filters::StatsRecorder& recorder,
                                     const config::Listener& listener,
                                     router::RouteTableConstSharedPtr routes,
                                     std::shared_ptr<const void> owner)
    : context_(context),
      chain_(chain),
      recorder_(recorder),
      listener_(&listener),
      owner_(std::move(owner)),
      routes_(std::move(routes)) {}

ConnectionManager::~ConnectionManager() {
  while (active_ != nullptr) {
    ActiveStream* s = active_;
    active_ = s->next_;
    s->prev_ = s->next_ = nullptr;
    ActiveStreamSharedPtr last = std::move(s->self_);
  }
}

void ConnectionManager::reconfigure(const config::Listener& listener,
                                    router::RouteTableConstSharedPtr routes,
                                    std::shared_ptr<const void> owner) {
  listener_ = &listener;
  owner_ = std::move(owner);
  routes_ = std::move(routes);
  vhost_table_.reset();  // lets the old table go with the requests that still use it
  vhost_ = nullptr;
}

void ConnectionManager::onRequest(const ConnectionInfo& connection, http::RequestPtr request,
                                  ResponseCallback done) {
  if (connection.cancel != nullptr && connection.cancel->cancelled()) {
    // The client gave up before the request arrived: nothing reaches the filters.
    done(nullptr, ResetReason::ConnectionTermination);
    return;
  }
  auto stream = std::make_shared<ActiveStream>(*this, std::move(request), std::move(done));
  filters::StreamInfo& info = stream->info_;
  http::Request& req = *stream->request_;
  info.table = routes_;
  info.downstream = connection;
  info.start = context_.dispatcher.now();
  info.outbound = isOutbound();
  info.request_bytes = stats::wireSize(req);  // as received, before our header changes
  link(stream);
  stream->inline_ = true;
  // The edge limits of the HTTP codec (`meshsim serve` parses bytes under the same ones), for a
  // request handed over as an object: an oversized header section never reaches the filters.
  // stats::wireSize() is the header section's size plus the body's: the header size is reused.
  if (const int status = http::limitStatus(req, info.request_bytes - req.body.size());
      status != 0) {
    finish(*stream, filters::localResponse(status, ""), 0);
    return;
  }
  const size_t fragment = req.path.find('#');
  if (fragment != std::string::npos && !listener_->reject_path_with_fragment) {
    req.path.resize(fragment);  // before normalisation, as Envoy's maybeNormalizePath
  }
  prepareRequest(connection, req);
  if (context_.access_log.enabled()) {
    info.log = std::make_unique<stats::AccessLogEntry>(
        stats::beginAccessLogEntry(info.start, req, config::toString(connection.destination),
                                   config::toString(connection.source)));
  }
  if (fragment != std::string::npos && listener_->reject_path_with_fragment) {
    finish(*stream, filters::localResponse(400, ""), 0);  // the path normalisation failed
  } else {
    resolveRoute(*stream);
    stream->decode();
  }
  stream->inline_ = false;
  if (!stream->finished_ && connection.cancel != nullptr) {
    // The client may go away while the request is in flight (Envoy: downstream reset).
    connection.cancel->setOnCancel([weak = std::weak_ptr<ActiveStream>(stream)] {
      if (auto s = weak.lock()) {
        s->hcm_.onStreamReset(*s);
      }
    });
  }
}

void ConnectionManager::prepareRequest(const ConnectionInfo& connection, http::Request& request) {
  request.path = router::normalizePath(request.path);
  if (listener_->use_remote_address) {
    // Edge proxy: the peer is the client; its x-forwarded-* and x-request-id are not trusted.
    if (connection.source.ip != peer_ip_ || peer_text_.empty()) {
      peer_ip_ = connection.source.ip;  // one client sends many requests: formatted once
      peer_text_ = config::ipToString(peer_ip_);
    }
    const std::string& peer = peer_text_;
    if (const std::string* xff = request.headers.get("x-forwarded-for")) {
      request.headers.set("x-forwarded-for", *xff + "," + peer);
    } else {
      request.headers.set("x-forwarded-for", peer);
    }
    request.headers.setReferenceKey(http::headers::kXEnvoyExternalAddress, peer);
    request.headers.remove("x-envoy-internal");
    request.headers.setReferenceKey(http::headers::kXForwardedProto, request.scheme);
    request.headers.setOwned("x-request-id", generateRequestId(context_.random));
  } else if (!request.headers.has("x-request-id")) {
    request.headers.setOwned("x-request-id", generateRequestId(context_.random));
  }
}

void ConnectionManager::resolveRoute(ActiveStream& stream) {
  filters::StreamInfo& info = stream.info_;
  const http::Request& request = *stream.request_;
  // A client sends many requests to one host: the last host's virtual host is remembered
  // (found again only when the authority or the route table changes).
  if (info.table != vhost_table_ || request.authority != vhost_authority_) {
    vhost_table_ = info.table;
    vhost_authority_ = request.authority;
    vhost_ = vhost_table_->findVirtualHost(vhost_authority_);
  }
  const config::VirtualHost* vhost = vhost_;
  if (vhost == nullptr) {
    return;
  }
  context_.countCoverage(vhost->coverage_key);
  if (vhost->require_tls && request.scheme != "https") {
    info.tls_redirect = true;
    return;
  }
  const config::Route* route = router::RouteTable::findRoute(*vhost, request);
  if (route == nullptr) {
    return;
  }
  info.route = route;
  context_.countCoverage(route->coverage_key);
  if (info.log != nullptr) {
    info.log->route_name = route->name;
  }
  if (route->kind != config::Route::Kind::Route) {
    return;
  }
  // The route's cluster, or a weighted random choice among its clusters (made once per
  // request, as Envoy does); none when no cluster has weight.
  const config::RouteAction& action = route->action;
  if (action.clusters.size() == 1) {
    info.weighted = &action.clusters.front();
  } else if (const uint32_t total = action.total_weight(); total != 0) {
    uint64_t pick = context_.random.uniform(total);
    info.weighted = &action.clusters.back();
    for (const auto& c : action.clusters) {
      if (pick < c.weight) {
        info.weighted = &c;
        break;
      }
      pick -= c.weight;
    }
  }
  if (info.weighted == nullptr) {
    return;
  }
  info.cluster = context_.clusters.findShared(info.weighted->name, info.weighted->name_hash);
  if (info.cluster != nullptr) {
    context_.countCoverage(info.cluster->config().coverage_key);
    info.service = info.cluster->config().service;
    if (info.log != nullptr) {
      info.log->upstream_cluster = info.cluster->config().name;
    }
  }
}

void ConnectionManager::finish(ActiveStream& stream, http::ResponsePtr response,
                               stats::ResponseFlags flags) {
  if (!stream.end()) {
    return;
  }
  flags |= stream.info_.flags;
  chain_.encode(stream, *response);
  response->headers.set("server", listener_->server_name);
  response->response_flags = flags;
  recorder_.record(stream.info_, *response, flags, context_.dispatcher.now());
  ResponseCallback done = std::move(stream.done_);
  done(std::move(response), ResetReason::None);
  release(stream);
}

void ConnectionManager::onStreamReset(ActiveStream& stream) {
  if (stream.finished_) {
    return;
  }
  chain_.onStreamReset(stream);
  stream.end();
  const stats::ResponseFlags flags =
      stream.info_.flags | stats::ResponseFlag::DownstreamConnectionTermination;
  recorder_.recordCancelled(stream.info_, flags, context_.dispatcher.now());
  // Its sender is told with a reset it no longer listens for, so the transport's bookkeeping
  // ends.
  ResponseCallback done = std::move(stream.done_);
  done(nullptr, ResetReason::ConnectionTermination);
  release(stream);
}

config::ServiceInfoConstSharedPtr ConnectionManager::passthroughService(std::string_view host) {
  auto it = passthrough_services_.find(std::string(host));
  if (it == passthrough_services_.end()) {
    it = passthrough_services_
             .emplace(std::string(host), std::make_shared<config::ServiceInfo>(config::ServiceInfo{
                                             std::string(host), "PassthroughCluster", "unknown"}))
             .first;
  }
  return it->second;
}

// The connection manager owns each stream while it is in flight, in an intrusive list (no
// allocation per request).
void ConnectionManager::link(const ActiveStreamSharedPtr& stream) {
  stream->self_ = stream;
  stream->next_ = active_;
  if (active_ != nullptr) {
    active_->prev_ = stream.get();
  }
  active_ = stream.get();
}

// Drops the connection manager's reference to a finished stream. A stream answered while
// onRequest() runs is destroyed when it returns; otherwise once the current event has returned
// (the dispatcher's deferredDelete, as Envoy's), because the stream may be running a timer
// callback right now.
void ConnectionManager::release(ActiveStream& stream) {
  if (stream.self_ == nullptr) {
    return;
  }
  (stream.prev_ != nullptr ? stream.prev_->next_ : active_) = stream.next_;
  if (stream.next_ != nullptr) {
    stream.next_->prev_ = stream.prev_;
  }
  stream.prev_ = stream.next_ = nullptr;
  if (stream.inline_) {
    stream.self_.reset();  // onRequest() still holds it
    return;
  }
  context_.dispatcher.deferredDelete(std::move(stream.self_));
}

}  // namespace meshsim::proxy
