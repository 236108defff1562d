// Upstream connections: the per-route pools, picking an address, connecting,
// and moving a request on to the next address or the fallback when one fails.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include "ringway/log/error_log.h"
#include "ringway/preflight/socket_tuning.h"
#include "ringway/proxy/proxy.h"

namespace ringway::proxy {

namespace {

using Stage = Relay::Stage;

// " (N more like it in the last second)" after a rate-limited line, or nothing.
std::string suppressed_note(log::RateLimit& limit) {
  std::uint64_t count = limit.take_suppressed();
  if (count == 0) return {};
  return " (" + std::to_string(count) + " more upstream errors since the last line)";
}

}  // namespace

RelayStream* Proxy::take_idle_upstream(std::uint32_t route_index) {
  std::vector<IdleUpstream>& pool = idle_upstreams_[route_index];
  while (!pool.empty()) {
    IdleUpstream idle = pool.back();
    pool.pop_back();
    RelayStream& upstream = host_.stream_at(idle.slot);
    if (!upstream.in_use || upstream.generation != idle.generation || upstream.closing() ||
        upstream.relay.stage != Stage::none) {
      continue;
    }
    // Reused only while its address is still among the upstream's current ones.
    const auto& addresses = upstream_addresses_[route_index].get();
    if (addresses && addresses->generation != upstream.exchange->address_generation) {
      transport_.close(upstream);
      continue;
    }
    return &upstream;
  }
  return nullptr;
}

bool Proxy::upstream_address(std::uint32_t route_index, std::uint32_t attempt,
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

RelayStream* Proxy::open_upstream(std::uint32_t route_index, std::uint32_t attempt) {
  const config::Upstream& target = *routes_[route_index].upstream;
  sockaddr_storage address{};
  socklen_t address_length = 0;
  std::uint64_t generation = 0;
  if (!host_.has_free_slot()) return nullptr;
  if (!upstream_address(route_index, attempt, address, address_length, generation)) {
    log::RateLimit& limit = upstream_error_logs_[route_index];
    if (attempt == 0 && limit.allow(now_ms())) {
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
  preflight::apply_tcp_tuning(fd, settings_.tcp);
  RelayStream& upstream = host_.take_stream(fd);
  upstream.side = transport::Side::connected;
  upstream.relay.route = route_index;
  host_.start_exchange(upstream);
  upstream.exchange->attempt = attempt;
  upstream.exchange->address_generation = generation;
  upstream.exchange->upstream_address = address;
  // Its request waits as plaintext in output until the handshake is done.
  upstream.tls = settings_.upstream_tls[route_index] != nullptr;
  ring_->prep_connect({io::OperationKind::connect, upstream.slot, upstream.generation}, fd,
                      reinterpret_cast<const sockaddr*>(&upstream.exchange->upstream_address),
                      address_length);
  upstream.connecting = true;
  timers_.schedule(upstream.timer,
                   now_ms() + host_.config_of(upstream).timeouts.upstream_connect_ms);
  return &upstream;
}

void Proxy::on_connect(RelayStream& upstream, const io::Completion& completion) {
  upstream.connecting = false;
  if (upstream.closing()) {
    transport_.release_if_done(upstream);
    return;
  }
  if (completion.outcome() != io::Outcome::done) {
    connect_failed(upstream, completion.error_text());
    return;
  }
  route_reached(upstream.relay.route);
  transport_.arm_receive(upstream);
  if (upstream.tls) {
    start_upstream_tls(upstream);
    return;
  }
  upstream.relay.stage = Stage::request;
  timers_.schedule(upstream.timer,
                   now_ms() + host_.config_of(upstream).timeouts.upstream_response_ms);
  transport_.flush(upstream);
}

// Tries the upstream's next address, then the site's fallback; 502 once all failed.
void Proxy::connect_failed(RelayStream& upstream, std::string_view reason) {
  log::RateLimit& limit = upstream_error_logs_[upstream.relay.route];
  if (limit.allow(now_ms())) {
    log::write_line(log::Level::error, "upstream %s: connect %s: %.*s%s",
                    routes_[upstream.relay.route].upstream->authority.c_str(),
                    dns::format_address(upstream.exchange->upstream_address).c_str(),
                    static_cast<int>(reason.size()), reason.data(), suppressed_note(limit).c_str());
  }
  RelayStream* client = peer_of(upstream);
  std::uint32_t route = upstream.relay.route;
  std::uint32_t next_attempt = upstream.exchange->attempt + 1;
  if (client != nullptr) unlink(*client);
  RelayStream* next = client != nullptr ? open_upstream(route, next_attempt) : nullptr;
  if (next != nullptr) {
    // Nothing reached the failed address: its queued request (head and any body
    // so far) moves to the next connection as it is.
    std::swap(next->output, upstream.output);
    std::swap(next->output_bytes, upstream.output_bytes);
    next->exchange->request_head_bytes = upstream.exchange->request_head_bytes;
    link(*client, *next);
    next->exchange->method = client->exchange->method;
  }
  bool moved =
      next != nullptr || (client != nullptr && may_fail_over(ProxyError::upstream_unreachable) &&
                          fail_over(*client, upstream));
  transport_.close(upstream);
  if (client != nullptr && !moved) fail_exchange(*client, ProxyError::upstream_unreachable);
}

// The upstream is done sending (its FIN, or TLS close_notify); what it sent
// before is still relayed, and the connection closes once that is done.
void Proxy::upstream_end_of_stream(RelayStream& upstream) {
  upstream.peer_closed = true;
  if (!upstream.paused() && upstream.held_buffers == 0) transport_.close(upstream);
}

void Proxy::release_upstream(RelayStream& upstream) {
  upstream.relay.linked = false;
  bool clean = upstream.exchange->upstream_reusable && upstream.exchange->body.done() &&
               upstream.input_bytes == 0 && upstream.held_buffers == 0 && !upstream.closing() &&
               !upstream.peer_closed && !stopping_;
  if (!clean) {
    transport_.close(upstream);
    return;
  }
  upstream.relay.stage = Stage::none;
  upstream.resume();
  idle_upstreams_[upstream.relay.route].push_back({upstream.slot, upstream.generation});
  timers_.schedule(upstream.timer, now_ms() + host_.config_of(upstream).timeouts.upstream_idle_ms);
  transport_.resume_receiving(upstream);  // a pooled connection listens for the upstream closing it
}

}  // namespace ringway::proxy
