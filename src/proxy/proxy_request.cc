// Proxying, the request side: a client's request goes to its site's upstream
// over a pooled or new connection (upstream_pool.cc), and the response streams
// back (relay_response.cc). Both connections are slots of the same slab, linked
// while the exchange lasts; each side's output is bounded by its chunk, so a slow
// reader slows the other side down instead of growing a buffer.
#include <cstring>
#include <utility>

#include "ringway/acme/hop_marker.h"
#include "ringway/http/request_rewriter.h"
#include "ringway/proxy/proxy.h"

namespace ringway::proxy {

namespace {

using Stage = Relay::Stage;

}  // namespace

Proxy::Proxy(ProxyHost& host, transport::Transport& transport, io::TimerWheel& timers,
             ProxyClock clock, ProxySettings settings)
    : host_(host),
      transport_(transport),
      timers_(timers),
      clock_(clock),
      settings_(std::move(settings)),
      routes_(settings_.routes.routes),
      acme_peer_route_(settings_.routes.acme_peer),
      idle_upstreams_(routes_.size()),
      next_address_(routes_.size(), 0),
      upstream_error_logs_(routes_.size()),
      failover_(routes_.size()) {
  settings_.upstream_tls.resize(routes_.size());
  for (std::size_t route = 0; route < routes_.size(); ++route) {
    const base::Published<dns::AddressSet>* published =
        route < settings_.upstream_addresses.size() ? settings_.upstream_addresses[route] : nullptr;
    upstream_addresses_.push_back(published != nullptr
                                      ? base::Published<dns::AddressSet>::Reader(*published)
                                      : base::Published<dns::AddressSet>::Reader());
  }
}

void Proxy::refresh_addresses() {
  for (auto& addresses : upstream_addresses_) addresses.refresh();
}

RelayStream* Proxy::peer_of(const RelayStream& stream) {
  if (!stream.relay.linked) return nullptr;
  RelayStream& peer = host_.stream_at(stream.relay.peer_slot);
  if (!peer.in_use || peer.generation != stream.relay.peer_generation) return nullptr;
  return &peer;
}

void Proxy::link(RelayStream& client, RelayStream& upstream) {
  client.relay.linked = upstream.relay.linked = true;
  client.relay.peer_slot = upstream.slot;
  client.relay.peer_generation = upstream.generation;
  upstream.relay.peer_slot = client.slot;
  upstream.relay.peer_generation = client.generation;
}

void Proxy::unlink(RelayStream& stream) {
  if (RelayStream* peer = peer_of(stream)) peer->relay.linked = false;
  stream.relay.linked = false;
}

bool Proxy::start(RelayStream& client, const http::RequestHead& head, std::string_view request,
                  std::uint32_t route_index) {
  const UpstreamRoute& route = routes_[route_index];
  client.relay = Relay{};
  client.relay.route = route_index;
  Exchange& exchange = host_.start_exchange(client);
  exchange.method = head.method;
  exchange.client_keep_alive = head.keep_alive && !stopping_;
  exchange.logged =
      http::pending_request(head, exchange.client_keep_alive, request.size(), now_unix_ns());
  exchange.body = http::request_body_framing(head);
  if (head.has_content_length && head.content_length > route.body_bytes_max) {
    host_.answer_status(client, exchange.logged, error_status(ProxyError::request_body_too_large));
    return true;
  }
  // The head stays readable for the access log and for a retry on a new connection.
  keep_request_copy(client, request);
  UpstreamStart started = start_upstream(client, {}, true);
  if (started == UpstreamStart::unreachable) {
    host_.answer_status(client, exchange.logged, error_status(ProxyError::upstream_unreachable));
    return true;
  }
  if (started == UpstreamStart::does_not_fit) {
    fail_exchange(client, ProxyError::request_too_large);
    return true;
  }
  client.relay.stage = Stage::request;
  // Content-Length: 0 is complete with the head too: waiting for body bytes
  // left the client unpaused, so its half-close dropped the exchange.
  if (exchange.body.kind() == http::BodyKind::none || exchange.body.done()) {
    request_complete(client);
  } else {
    transport_.pause_receiving(
        client);  // re-armed one buffer at a time while the body streams (Transport::arm_receive)
  }
  return true;
}

// Puts the client's request (its head, rewritten from the kept copy, then
// body_so_far) on a connection of its route: a pooled one when may_reuse, else a
// new one; on the site's fallback when the route has none to give. The client
// is linked to that connection unless the route and its fallback are unreachable.
Proxy::UpstreamStart Proxy::start_upstream(RelayStream& client, std::string_view body_so_far,
                                           bool may_reuse) {
  // A marked request cannot switch, and tries the local upstream all the same.
  if (failover_.skip_local(client.relay.route, now_ms())) switch_to_fallback(client);
  RelayStream* upstream = may_reuse ? take_idle_upstream(client.relay.route) : nullptr;
  bool reused = upstream != nullptr;
  if (upstream == nullptr) upstream = open_upstream(client.relay.route);
  if (upstream == nullptr && switch_to_fallback(client)) {
    upstream = take_idle_upstream(client.relay.route);
    reused = upstream != nullptr;
    if (upstream == nullptr) upstream = open_upstream(client.relay.route);
  }
  if (upstream == nullptr) return UpstreamStart::unreachable;
  link(client, *upstream);
  upstream->exchange->method = client.exchange->method;
  upstream->exchange->reused = reused;
  if (!write_upstream_request(client, *upstream, body_so_far)) return UpstreamStart::does_not_fit;
  // A new connection sends once connected (and, for https, once the handshake is done).
  upstream->relay.stage = reused ? Stage::request : Stage::connecting;
  if (reused) {
    timers_.schedule(upstream->timer,
                     now_ms() + host_.config_of(*upstream).timeouts.upstream_response_ms);
    transport_.flush(*upstream);
  }
  return UpstreamStart::started;
}

void Proxy::keep_request_copy(RelayStream& client, std::string_view request) {
  client.exchange->request_copy = transport_.input_pool().take();
  std::memcpy(client.exchange->request_copy, request.data(), request.size());
  client.exchange->request_copy_bytes = static_cast<std::uint32_t>(request.size());
  http::rebase(client.exchange->logged, request.data(), client.exchange->request_copy);
}

bool Proxy::write_upstream_request(RelayStream& client, RelayStream& upstream,
                                   std::string_view body_so_far) {
  // Parsing the kept copy again gives views that stay valid, for a retry too.
  std::string_view copy{client.exchange->request_copy, client.exchange->request_copy_bytes};
  if (http::parse_request_head(copy, head_, settings_.parser_limits).status !=
      http::ParseStatus::complete) {
    return false;
  }
  const UpstreamRoute& route = routes_[client.relay.route];
  http::ProxyHeadOptions options;
  options.client_address = client.remote_ip;
  options.client_https = client.tls;
  if (route.host == config::UpstreamHost::upstream)
    options.upstream_host = route.upstream->authority;
  options.hop_header_name = acme::hop_header;
  options.hop_header_value = acme::hop_header_value;
  http::OutputArea out = transport_.output_area(upstream);
  if (!http::write_proxied_request_head(out, head_, options)) return false;
  if (out.capacity - out.size < body_so_far.size()) return false;
  upstream.exchange->request_head_bytes =
      static_cast<std::uint32_t>(out.size - upstream.output_bytes);
  if (!body_so_far.empty())
    std::memcpy(out.data + out.size, body_so_far.data(), body_so_far.size());
  upstream.output_bytes = static_cast<std::uint32_t>(out.size + body_so_far.size());
  return true;
}

// Called from the HTTP server's consume_input while the client's request body is on its way:
// forwards what the upstream's output has room for and returns how much it took.
std::size_t Proxy::forward_request_body(RelayStream& client, std::string_view bytes) {
  RelayStream* upstream = peer_of(client);
  if (upstream == nullptr) return bytes.size();
  http::OutputArea out = transport_.output_area(*upstream);
  std::size_t room = out.capacity - out.size;
  http::BodyScan scan = client.exchange->body.scan(bytes.substr(0, room));
  if (scan.error ||
      client.exchange->body.data_bytes() > routes_[client.relay.route].body_bytes_max) {
    fail_exchange(
        client, scan.error ? ProxyError::request_body_invalid : ProxyError::request_body_too_large);
    return bytes.size();
  }
  std::memcpy(out.data + out.size, bytes.data(), scan.consumed_bytes);
  upstream->output_bytes += static_cast<std::uint32_t>(scan.consumed_bytes);
  if (upstream->relay.stage != Stage::connecting) transport_.flush(*upstream);
  if (client.exchange->body.done()) {
    request_complete(client);
  } else if (scan.consumed_bytes < bytes.size()) {
    client.pause();  // the upstream's output is full: resumed when it drains
  }
  return scan.consumed_bytes;
}

void Proxy::request_complete(RelayStream& client) {
  // Pipelined requests wait until this response has gone out.
  client.relay.stage = Stage::response_head;
  client.pause();
}

}  // namespace ringway::proxy
