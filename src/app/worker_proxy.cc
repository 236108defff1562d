// Proxying: a client's request goes to its site's upstream over a pooled or new
// connection, and the response streams back. Both connections are slots of the
// same slab, linked while the exchange lasts; each side's output is bounded by its
// chunk, so a slow reader slows the other side down instead of growing a buffer.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "ringway/app/worker.h"
#include "ringway/http/request_rewriter.h"
#include "ringway/http/response_parser.h"
#include "ringway/http/response_rewriter.h"
#include "ringway/log/error_log.h"
#include "ringway/preflight/socket_tuning.h"

namespace ringway::app {

namespace {

using Stage = Relay::Stage;

// " (N more like it in the last second)" after a rate-limited line, or nothing.
std::string suppressed_note(log::RateLimit& limit) {
  std::uint64_t count = limit.take_suppressed();
  if (count == 0) return {};
  return " (" + std::to_string(count) + " more upstream errors since the last line)";
}
using Role = Relay::Role;

// RFC 9110 9.2.2: repeating these has the effect of sending them once.
bool is_idempotent(http::Method method) {
  switch (method) {
    case http::Method::get:
    case http::Method::head:
    case http::Method::options:
    case http::Method::trace:
    case http::Method::put:
    case http::Method::delete_method:
      return true;
    default:
      return false;
  }
}

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
  Relay& relay = client.relay;
  relay = Relay{};
  relay.route = route_index;
  relay.method = head.method;
  relay.client_keep_alive = head.keep_alive && !stopping_;
  relay.logged = pending_request(head, relay.client_keep_alive, request.size(), now_unix_ns_);
  relay.body = http::request_body_framing(head);
  if (head.has_content_length && head.content_length > route.body_bytes_max) {
    return answer_status(client, relay.logged, 413, false);
  }
  // The head stays readable for the access log and for a retry on a new connection.
  keep_request_copy(client, request);
  UpstreamStart started = start_upstream(client, {}, true);
  if (started == UpstreamStart::unreachable) {
    return answer_status(client, relay.logged, 502, false);
  }
  if (started == UpstreamStart::does_not_fit) {
    fail_exchange(client, 502, "request head too large for the upstream buffer");
    return true;
  }
  relay.stage = Stage::request;
  // Content-Length: 0 is complete with the head too: waiting for body bytes
  // left the client unpaused, so its half-close dropped the exchange.
  if (relay.body.kind() == http::BodyKind::none || relay.body.done()) {
    request_complete(client);
  } else {
    pause_receiving(client);  // re-armed one buffer at a time while the body streams (prep_receive)
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
  if (local_upstream_skipped(client.relay.route)) switch_to_fallback(client);
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
  upstream->relay.method = client.relay.method;
  upstream->relay.reused = reused;
  if (!write_upstream_request(client, *upstream, body_so_far)) return UpstreamStart::does_not_fit;
  // A new connection sends once connected (and, for https, once the handshake is done).
  upstream->relay.stage = reused ? Stage::request : Stage::connecting;
  if (reused) {
    timers_.schedule(upstream->timer, now_ms_ + settings_.config->timeouts.upstream_response_ms);
    flush_output(*upstream);
  }
  return UpstreamStart::started;
}

void Worker::keep_request_copy(Connection& client, std::string_view request) {
  client.relay.request_copy = input_pool_.take();
  std::memcpy(client.relay.request_copy, request.data(), request.size());
  client.relay.request_copy_bytes = static_cast<std::uint32_t>(request.size());
  rebase(client.relay.logged, request.data(), client.relay.request_copy);
}

bool Worker::write_upstream_request(Connection& client, Connection& upstream,
                                    std::string_view body_so_far) {
  // Parsing the kept copy again gives views that stay valid, for a retry too.
  std::string_view copy{client.relay.request_copy, client.relay.request_copy_bytes};
  if (http::parse_request_head(copy, head_, parser_limits_).status != http::ParseStatus::complete) {
    return false;
  }
  const proxy::UpstreamRoute& route = routes_[client.relay.route];
  http::ProxyHeadOptions options;
  options.client_address = client.remote_ip;
  options.client_https = client.tls;
  if (route.host == config::UpstreamHost::upstream)
    options.upstream_host = route.upstream->authority;
  options.hop_header_name = hop_header;
  options.hop_header_value = "1";
  http::OutputArea out = output_area(upstream);
  if (!http::write_proxied_request_head(out, head_, options)) return false;
  if (out.capacity - out.size < body_so_far.size()) return false;
  upstream.relay.request_head_bytes = static_cast<std::uint32_t>(out.size - upstream.output_bytes);
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
  http::OutputArea out = output_area(*upstream);
  std::size_t room = out.capacity - out.size;
  http::BodyScan scan = client.relay.body.scan(bytes.substr(0, room));
  if (scan.error || client.relay.body.data_bytes() > routes_[client.relay.route].body_bytes_max) {
    fail_exchange(client, scan.error ? 400 : 413, scan.error ? "bad request body" : nullptr);
    return bytes.size();
  }
  std::memcpy(out.data + out.size, bytes.data(), scan.consumed_bytes);
  upstream->output_bytes += static_cast<std::uint32_t>(scan.consumed_bytes);
  if (upstream->relay.stage != Stage::connecting) flush_output(*upstream);
  if (client.relay.body.done()) {
    request_complete(client);
  } else if (scan.consumed_bytes < bytes.size()) {
    client.paused = true;  // the upstream's output is full: resumed when it drains
  }
  return scan.consumed_bytes;
}

void Worker::request_complete(Connection& client) {
  // Pipelined requests wait until this response has gone out.
  client.relay.stage = Stage::response_head;
  client.paused = true;
}

Connection* Worker::take_idle_upstream(std::uint32_t route_index) {
  std::vector<IdleUpstream>& pool = idle_upstreams_[route_index];
  while (!pool.empty()) {
    IdleUpstream idle = pool.back();
    pool.pop_back();
    Connection& upstream = connections_[idle.slot];
    if (!upstream.in_use || upstream.generation != idle.generation || upstream.closing ||
        upstream.relay.stage != Stage::none) {
      continue;
    }
    // Reused only while its address is still among the upstream's current ones.
    const auto& addresses = upstream_addresses_[route_index].get();
    if (addresses && addresses->generation != upstream.relay.address_generation) {
      close_connection(upstream);
      continue;
    }
    return &upstream;
  }
  return nullptr;
}

bool Worker::upstream_address(std::uint32_t route_index, std::uint32_t attempt,
                              sockaddr_storage& address, socklen_t& length,
                              std::uint64_t& generation) {
  const config::Upstream& target = *routes_[route_index].upstream;
  if (target.literal) {
    if (attempt > 0) return false;
    address = target.address;
    length = target.address_length;
    generation = 0;
    return true;
  }
  const auto& addresses = upstream_addresses_[route_index].get();
  if (!addresses || attempt >= addresses->addresses.size()) return false;
  // Attempt 0 takes this exchange's turn (open_upstream then moves the turn on);
  // attempt N tries the Nth address after that one.
  std::uint32_t first = next_address_[route_index] - (attempt > 0 ? 1 : 0);
  std::size_t index = (std::size_t{first} + attempt) % addresses->addresses.size();
  address = addresses->addresses[index];
  length = dns::address_length(address);
  generation = addresses->generation;
  return true;
}

Connection* Worker::open_upstream(std::uint32_t route_index, std::uint32_t attempt) {
  const config::Upstream& target = *routes_[route_index].upstream;
  sockaddr_storage address{};
  socklen_t address_length = 0;
  std::uint64_t generation = 0;
  if (free_head_ >= connections_.size()) return nullptr;
  if (!upstream_address(route_index, attempt, address, address_length, generation)) {
    log::RateLimit& limit = upstream_error_logs_[route_index];
    if (attempt == 0 && limit.allow(now_ms_)) {
      log::write_line(log::Level::error, "upstream %s: no address yet%s", target.authority.c_str(),
                      suppressed_note(limit).c_str());
    }
    return nullptr;
  }
  if (attempt == 0) ++next_address_[route_index];  // new connections take turns over the set
  int fd = ring_->open_stream_socket(address.ss_family);
  if (fd < 0) {
    log::write_line(log::Level::error, "upstream %s: socket: %s", target.authority.c_str(),
                    std::strerror(-fd));
    return nullptr;
  }
  int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  // The same keepalive and congestion control as the client side, whatever the sysctls say.
  preflight::apply_tcp_tuning(fd, settings_.config->tcp);
  Connection& upstream = take_slot(fd);
  upstream.relay.role = Role::upstream;
  upstream.relay.route = route_index;
  upstream.relay.attempt = attempt;
  upstream.relay.address_generation = generation;
  upstream.upstream_address = address;
  upstream.tls = settings_.upstream_tls[route_index] != nullptr;
  ring_->prep_connect(operation_for(OperationKind::connect, upstream), fd,
                      reinterpret_cast<const sockaddr*>(&upstream.upstream_address),
                      address_length);
  upstream.connecting = true;
  timers_.schedule(upstream.timer, now_ms_ + settings_.config->timeouts.upstream_connect_ms);
  return &upstream;
}

void Worker::on_connect(Connection& upstream, const io::Completion& completion) {
  upstream.connecting = false;
  if (upstream.closing) {
    release_if_done(upstream);
    return;
  }
  if (completion.outcome() != io::Outcome::done) {
    connect_failed(upstream, completion.error_text());
    return;
  }
  route_reached(upstream.relay.route);
  prep_receive(upstream);
  if (upstream.tls) {
    start_upstream_tls(upstream);
    return;
  }
  upstream.relay.stage = Stage::request;
  timers_.schedule(upstream.timer, now_ms_ + settings_.config->timeouts.upstream_response_ms);
  flush_output(upstream);
}

// Tries the upstream's next address, then the site's fallback; 502 once all failed.
void Worker::connect_failed(Connection& upstream, std::string_view reason) {
  log::RateLimit& limit = upstream_error_logs_[upstream.relay.route];
  if (limit.allow(now_ms_)) {
    log::write_line(log::Level::error, "upstream %s: connect %s: %.*s%s",
                    routes_[upstream.relay.route].upstream->authority.c_str(),
                    dns::format_address(upstream.upstream_address).c_str(),
                    static_cast<int>(reason.size()), reason.data(), suppressed_note(limit).c_str());
  }
  Connection* client = peer_of(upstream);
  std::uint32_t route = upstream.relay.route;
  std::uint32_t next_attempt = upstream.relay.attempt + 1;
  if (client != nullptr) unlink(*client);
  Connection* next = client != nullptr ? open_upstream(route, next_attempt) : nullptr;
  if (next != nullptr) {
    // Nothing reached the failed address: its queued request (head and any body
    // so far) moves to the next connection as it is.
    std::swap(next->output, upstream.output);
    std::swap(next->output_bytes, upstream.output_bytes);
    next->relay.request_head_bytes = upstream.relay.request_head_bytes;
    link(*client, *next);
    next->relay.method = client->relay.method;
  }
  bool moved = next != nullptr || (client != nullptr && fail_over(*client, upstream));
  close_connection(upstream);
  if (client != nullptr && !moved) fail_exchange(*client, 502, nullptr);
}

void Worker::upstream_output_drained(Connection& upstream) {
  Connection* client = peer_of(upstream);
  if (client == nullptr) return;
  if (client->relay.stage == Stage::response_head) upstream.relay.stage = Stage::response_head;
  // The client waited for room to forward more of its body.
  if (client->relay.stage == Stage::request && client->paused) resume_input(*client);
}

// Hands what waits in the upstream's input to the relay, which keeps (in the
// same chunk) whatever it cannot pass on yet.
void Worker::upstream_take_input(Connection& upstream) {
  std::string_view data = upstream.input_view();
  upstream.input_bytes = 0;
  upstream_receive(upstream, data, true);
  if (upstream.input != nullptr && upstream.input_bytes == 0) {
    input_pool_.give_back(upstream.input);  // an idle pooled connection holds no chunk
    upstream.input = nullptr;
  }
}

// A response body is read straight into the upstream's input chunk, as much as
// the client's output has room for: one receive (and one send, one TLS record)
// per up to a chunk instead of per 4 KiB ring buffer, and backpressure stays exact.
// Too little room takes the ring path, which keeps and pauses as before.
std::span<char> Worker::direct_receive_area(Connection& upstream) {
  constexpr std::size_t direct_bytes_min = 4096;
  if (upstream.relay.role != Role::upstream || upstream.tls ||
      upstream.relay.stage != Stage::response_body) {
    return {};
  }
  const Connection* client = peer_of(upstream);
  if (client == nullptr) return {};
  std::size_t room = output_pool_.chunk_bytes() - client->output_bytes;
  std::size_t free_input = input_pool_.chunk_bytes() - upstream.input_bytes;
  std::size_t bytes =
      std::min(room > upstream.input_bytes ? room - upstream.input_bytes : 0, free_input);
  if (bytes < direct_bytes_min) return {};
  if (upstream.input == nullptr) upstream.input = input_pool_.take();
  return {upstream.input + upstream.input_bytes, bytes};
}

// received_bytes: into input; 0 when it was cancelled (paused meanwhile).
void Worker::on_direct_receive(Connection& upstream, std::uint32_t received_bytes) {
  upstream.receiving_into_input = false;
  if (upstream.closing || upstream.lingering) return;
  upstream.input_bytes += received_bytes;
  if (!upstream.paused && upstream.input_bytes > 0) upstream_take_input(upstream);
}

void Worker::upstream_receive(Connection& upstream, std::string_view data, bool data_is_owned) {
  Connection* client = peer_of(upstream);
  if (client == nullptr) {
    close_connection(upstream);  // an idle pooled connection does not speak first
    return;
  }
  if (upstream.relay.stage == Stage::response_body) {
    relay_response_body(upstream, *client, data);
    return;
  }
  if (upstream.input_bytes > 0 && !data_is_owned) {
    std::size_t room = input_pool_.chunk_bytes() - upstream.input_bytes;
    if (data.size() > room) data = data.substr(0, room);  // the parser will say too large
    std::memcpy(upstream.input + upstream.input_bytes, data.data(), data.size());
    upstream.input_bytes += static_cast<std::uint32_t>(data.size());
    data = upstream.input_view();
  }
  http::ResponseParseResult result = http::parse_response_head(data, response_head_);
  while (result.status == http::ResponseParseStatus::complete && response_head_.is_interim()) {
    data.remove_prefix(result.head_bytes);  // 100 Continue and the like: the client does not wait
    result = http::parse_response_head(data, response_head_);
  }
  if (result.status == http::ResponseParseStatus::partial) {
    keep_leftover(upstream, data);  // closes the upstream when the head outgrows the chunk
    return;
  }
  if (result.status != http::ResponseParseStatus::complete) {
    fail_exchange(*client, 502, "upstream sent an invalid response head");
    return;
  }
  if (response_head_.status == 101) {  // we never ask for an upgrade
    fail_exchange(*client, 502, "upstream switched protocols unasked");
    return;
  }
  if (!forward_response_head(upstream, *client)) return;
  std::string_view body = data.substr(result.head_bytes);
  keep_leftover(upstream, {});
  relay_response_body(upstream, *client, body);
}

bool Worker::forward_response_head(Connection& upstream, Connection& client) {
  http::BodyFraming framing = http::response_body_framing(response_head_, upstream.relay.method);
  upstream.relay.upstream_reusable =
      http::upstream_connection_reusable(response_head_, framing.kind());
  // HTTP/1.0 has no chunked coding: such a client gets the chunk data alone.
  bool client_http10 = client.relay.logged.version_minor == 0;
  if (client_http10) framing.decode_chunks();
  // A close-delimited (or de-chunked) body ends for the client only when we close.
  client.relay.client_keep_alive = client.relay.client_keep_alive && !framing.ends_at_close();
  http::ProxyResponseOptions options;
  options.keep_alive = client.relay.client_keep_alive;
  options.client_http10 = client_http10;
  options.strict_transport_security =
      client.tls ? routes_[client.relay.route].hsts : std::string_view();
  http::OutputArea out = output_area(client);
  if (!http::write_proxied_response_head(out, response_head_, options)) {
    fail_exchange(client, 502, "upstream response head does not fit");
    return false;
  }
  client.output_bytes = static_cast<std::uint32_t>(out.size);
  client.relay.status = response_head_.status;
  client.relay.stage = Stage::response_body;
  upstream.relay.stage = Stage::response_body;
  upstream.relay.body = framing;
  timers_.schedule(upstream.timer, now_ms_ + settings_.config->timeouts.keepalive_ms);
  return true;
}

void Worker::relay_response_body(Connection& upstream, Connection& client, std::string_view bytes) {
  http::OutputArea out = output_area(client);
  std::size_t room = out.capacity - out.size;
  std::size_t written_bytes = 0;
  http::BodyScan scan =
      upstream.relay.body.copy_to(bytes.substr(0, room), out.data + out.size, written_bytes);
  if (scan.error) {
    upstream.relay.upstream_reusable = false;
    close_connection(upstream);
    client.close_after_send = true;  // the client sees the body end early
    finish_exchange(client);
    return;
  }
  client.output_bytes += static_cast<std::uint32_t>(written_bytes);
  client.relay.body_bytes += written_bytes;
  flush_output(client);
  if (upstream.relay.body.done()) {
    // Bytes after the end of the response: the upstream is out of step.
    if (scan.consumed_bytes < bytes.size()) upstream.relay.upstream_reusable = false;
    finish_exchange(client);
    return;
  }
  if (scan.consumed_bytes < bytes.size()) {
    // The client's output is full: keep the rest and stop reading the upstream
    // until it drains (resume_input continues from the kept bytes).
    keep_leftover(upstream, bytes.substr(scan.consumed_bytes));
    upstream.paused = true;
    pause_receiving(upstream);
  }
}

void Worker::client_output_drained(Connection& client) {
  Connection* upstream = peer_of(client);
  if (upstream != nullptr && upstream->paused) resume_input(*upstream);
}

void Worker::finish_exchange(Connection& client) {
  Connection* upstream = peer_of(client);
  log_access(client, client.relay.logged, client.relay.status,
             client.relay.logged.head_only ? 0 : client.relay.body_bytes);
  unlink(client);
  release_request_copy(client);
  client.relay.stage = Stage::none;
  if (upstream != nullptr) release_upstream(*upstream);
  if (!client.relay.client_keep_alive) client.close_after_send = true;
  if (client.closing) return;
  flush_output(client);
  if (client.paused && !client.close_after_send && client.output_bytes == 0) resume_input(client);
}

void Worker::release_upstream(Connection& upstream) {
  upstream.relay.linked = false;
  bool clean = upstream.relay.upstream_reusable && upstream.relay.body.done() &&
               upstream.input_bytes == 0 && upstream.held_buffers == 0 && !upstream.closing &&
               !upstream.peer_closed && !stopping_;
  if (!clean) {
    close_connection(upstream);
    return;
  }
  upstream.relay.stage = Stage::none;
  upstream.paused = false;
  idle_upstreams_[upstream.relay.route].push_back({slot_of(upstream), upstream.generation});
  timers_.schedule(upstream.timer, now_ms_ + settings_.config->timeouts.upstream_idle_ms);
  resume_receiving(upstream);  // a pooled connection listens for the upstream closing it
}

void Worker::release_request_copy(Connection& client) {
  if (client.relay.request_copy != nullptr) input_pool_.give_back(client.relay.request_copy);
  client.relay.request_copy = nullptr;
  client.relay.request_copy_bytes = 0;
}

void Worker::fail_exchange(Connection& client, int status, const char* reason) {
  Connection* upstream = peer_of(client);
  if (reason != nullptr) {
    log::write_line(log::Level::error, "proxy %.*s: %d: %s",
                    static_cast<int>(client.relay.logged.target.size()),
                    client.relay.logged.target.data(), status, reason);
  }
  bool head_sent = client.relay.stage == Stage::response_body;
  unlink(client);
  if (upstream != nullptr) close_connection(*upstream);
  client.relay.stage = Stage::none;
  if (head_sent || client.closing) {
    release_request_copy(client);
    close_connection(client);  // the client already has part of a response
    return;
  }
  client.paused = false;
  answer_status(client, client.relay.logged, status, false);
  release_request_copy(client);
  flush_output(client);
}

// The upstream closed (end of stream or an error) while linked to a client.
void Worker::upstream_closed(Connection& upstream) {
  Connection* client = peer_of(upstream);
  if (client == nullptr) return;
  if (upstream.relay.stage == Stage::response_body) {
    if (upstream.relay.body.complete_at_close()) {
      upstream.relay.upstream_reusable = false;
      finish_exchange(*client);
    } else {
      unlink(*client);
      client->close_after_send = true;  // a truncated body: the client must not take it as whole
      release_request_copy(*client);
      flush_output(*client);
    }
    return;
  }
  if (upstream.relay.stage == Stage::connecting && !stopping_) {
    // During the TLS handshake: nothing of the request was sent.
    connect_failed(upstream, "TLS: closed during the handshake");
    return;
  }
  // Closed before answering: a pooled connection the upstream had closed already,
  // or one it reset unread (a backend stopping closes its listener with connections
  // still queued). A bodiless request goes once more on a new connection (or to the
  // fallback, should the upstream be gone) when it was pooled or is idempotent.
  bool retry = (upstream.relay.reused || is_idempotent(client->relay.method)) &&
               client->relay.body.kind() == http::BodyKind::none && !client->relay.retried;
  unlink(*client);
  client->relay.retried = true;
  if (retry && start_upstream(*client, {}, false) == UpstreamStart::started) return;
  if (peer_of(*client) == nullptr) link(*client, upstream);
  fail_exchange(*client, 502, "upstream closed the connection before answering");
}

void Worker::upstream_timed_out(Connection& upstream) {
  Connection* client = peer_of(upstream);
  if (client == nullptr) {
    close_connection(upstream);  // idle in the pool for too long
    return;
  }
  if (upstream.relay.stage == Stage::connecting) {  // the TCP connect or the TLS handshake
    connect_failed(upstream, std::strerror(ETIMEDOUT));
    return;
  }
  if (upstream.relay.stage == Stage::response_body) {
    if (upstream.sent_bytes_total != upstream.sent_bytes_at_timer ||
        client->sent_bytes_total != client->sent_bytes_at_timer) {
      upstream.sent_bytes_at_timer = upstream.sent_bytes_total;
      client->sent_bytes_at_timer = client->sent_bytes_total;
      timers_.schedule(upstream.timer, now_ms_ + settings_.config->timeouts.keepalive_ms);
      return;
    }
  }
  fail_exchange(*client, 504, "upstream response timed out");
}

bool Worker::answer_status(Connection& client, const PendingRequest& request, int status,
                           bool keep_alive) {
  http::OutputArea out = output_area(client);
  http::ResponseOptions options{{date_, sizeof date_}, keep_alive, request.head_only};
  if (!http::write_status(out, options, status)) {
    close_connection(client);
    return true;
  }
  client.output_bytes = static_cast<std::uint32_t>(out.size);
  log_access(client, request, status, request.head_only ? 0 : http::status_body_bytes(status));
  if (!keep_alive) client.close_after_send = true;
  return true;
}

}  // namespace ringway::app
