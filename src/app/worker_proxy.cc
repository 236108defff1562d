// Proxying, the request side: a client's request goes to its site's upstream
// over a pooled or new connection (worker_upstream.cc), and the response streams
// back (worker_relay.cc). Both connections are slots of the same slab, linked
// while the exchange lasts; each side's output is bounded by its chunk, so a slow
// reader slows the other side down instead of growing a buffer.
#include <cstring>

#include "ringway/acme/hop_marker.h"
#include "ringway/app/worker.h"
#include "ringway/http/request_rewriter.h"

namespace ringway::app {

namespace {

using proxy::ProxyError;
using Stage = Relay::Stage;

}  // namespace

Connection* Worker::peer_of(const Connection& connection) {
  if (!connection.relay.linked) return nullptr;
  Connection& peer = connections_[connection.relay.peer_slot];
  if (!peer.in_use || peer.generation != connection.relay.peer_generation) return nullptr;
  return &peer;
}

void Worker::link(Connection& client, Connection& upstream) {
  client.relay.linked = upstream.relay.linked = true;
  client.relay.peer_slot = slot_of(upstream);
  client.relay.peer_generation = upstream.generation;
  upstream.relay.peer_slot = slot_of(client);
  upstream.relay.peer_generation = client.generation;
}

void Worker::unlink(Connection& connection) {
  if (Connection* peer = peer_of(connection)) peer->relay.linked = false;
  connection.relay.linked = false;
}

bool Worker::start_proxy(Connection& client, const http::RequestHead& head,
                         std::string_view request, std::uint32_t route_index) {
  const proxy::UpstreamRoute& route = routes_[route_index];
  client.relay = Relay{};
  client.relay.route = route_index;
  Exchange& exchange = start_exchange(client);
  exchange.method = head.method;
  exchange.client_keep_alive = head.keep_alive && !stopping_;
  exchange.logged = pending_request(head, exchange.client_keep_alive, request.size(), now_unix_ns_);
  exchange.body = http::request_body_framing(head);
  if (head.has_content_length && head.content_length > route.body_bytes_max) {
    return answer_status(client, exchange.logged,
                         proxy::error_status(ProxyError::request_body_too_large), false);
  }
  // The head stays readable for the access log and for a retry on a new connection.
  keep_request_copy(client, request);
  UpstreamStart started = start_upstream(client, {}, true);
  if (started == UpstreamStart::unreachable) {
    return answer_status(client, exchange.logged,
                         proxy::error_status(ProxyError::upstream_unreachable), false);
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
        client);  // re-armed one buffer at a time while the body streams (prep_receive)
  }
  return true;
}

// Puts the client's request (its head, rewritten from the kept copy, then
// body_so_far) on a connection of its route: a pooled one when may_reuse, else a
// new one; on the site's fallback when the route has none to give. The client
// is linked to that connection unless the route and its fallback are unreachable.
Worker::UpstreamStart Worker::start_upstream(Connection& client, std::string_view body_so_far,
                                             bool may_reuse) {
  // A marked request cannot switch, and tries the local upstream all the same.
  if (failover_.skip_local(client.relay.route, now_ms_)) switch_to_fallback(client);
  Connection* upstream = may_reuse ? take_idle_upstream(client.relay.route) : nullptr;
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
    timers_.schedule(upstream->timer, now_ms_ + config_of(*upstream).timeouts.upstream_response_ms);
    transport_.flush(*upstream);
  }
  return UpstreamStart::started;
}

void Worker::keep_request_copy(Connection& client, std::string_view request) {
  client.exchange->request_copy = transport_.input_pool().take();
  std::memcpy(client.exchange->request_copy, request.data(), request.size());
  client.exchange->request_copy_bytes = static_cast<std::uint32_t>(request.size());
  rebase(client.exchange->logged, request.data(), client.exchange->request_copy);
}

bool Worker::write_upstream_request(Connection& client, Connection& upstream,
                                    std::string_view body_so_far) {
  // Parsing the kept copy again gives views that stay valid, for a retry too.
  std::string_view copy{client.exchange->request_copy, client.exchange->request_copy_bytes};
  if (http::parse_request_head(copy, head_, parser_limits_).status != http::ParseStatus::complete) {
    return false;
  }
  const proxy::UpstreamRoute& route = routes_[client.relay.route];
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

// Called from consume_input while the client's request body is on its way:
// forwards what the upstream's output has room for and returns how much it took.
std::size_t Worker::forward_request_body(Connection& client, std::string_view bytes) {
  Connection* upstream = peer_of(client);
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

void Worker::request_complete(Connection& client) {
  // Pipelined requests wait until this response has gone out.
  client.relay.stage = Stage::response_head;
  client.pause();
}

}  // namespace ringway::app
