#pragma once
// The reverse proxy of a worker: a client's request goes to its route's upstream
// over a pooled or new connection, the response streams back with backpressure,
// and a failure is retried, failed over to the site's sibling, or answered with
// the status proxy::ProxyError picks. The client's and the upstream's streams
// are both slots of the worker's slab, which the host owns.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "ringway/base/published.h"
#include "ringway/config/config.h"
#include "ringway/dns/address_set.h"
#include "ringway/http/pending_request.h"
#include "ringway/http/request_head.h"
#include "ringway/http/request_parser.h"
#include "ringway/http/response_head.h"
#include "ringway/io/completion.h"
#include "ringway/io/timer_wheel.h"
#include "ringway/log/rate_limit.h"
#include "ringway/proxy/failover_state.h"
#include "ringway/proxy/proxy_error.h"
#include "ringway/proxy/relay_stream.h"
#include "ringway/proxy/upstream_routes.h"
#include "ringway/tls/client_context.h"
#include "ringway/transport/transport.h"

namespace ringway::proxy {

// What the proxy asks of the worker that owns the slab and the HTTP server.
class ProxyHost {
 public:
  virtual ~ProxyHost() = default;
  // The stream in this slot, whoever holds it now.
  virtual RelayStream& stream_at(std::uint32_t slot) = 0;
  // A slot for a new upstream connection, while the slab has one.
  virtual bool has_free_slot() const = 0;
  virtual RelayStream& take_stream(int fd) = 0;
  // The stream's exchange state, reset for a new exchange.
  virtual Exchange& start_exchange(RelayStream& stream) = 0;
  // The config the stream started with.
  virtual const config::Config& config_of(const RelayStream& stream) const = 0;
  // Answers the client with a status page and closes after it.
  virtual void answer_status(RelayStream& client, const http::PendingRequest& request,
                             int status) = 0;
  virtual void log_access(const RelayStream& client, const http::PendingRequest& request,
                          int status, std::uint64_t body_bytes) = 0;
  // Keeps unparsed input (an unfinished response head) in the stream's input.
  virtual void keep_input(RelayStream& stream, std::string_view leftover) = 0;
};

struct ProxySettings {
  UpstreamRoutes routes;  // numbered once for everyone (proxy::upstream_routes)
  // Per route: the addresses of its upstream name (null for literal upstreams),
  // and this worker's TLS context for an https upstream (else null).
  std::vector<const base::Published<dns::AddressSet>*> upstream_addresses;
  std::vector<std::shared_ptr<const tls::ClientContext>> upstream_tls;
  config::Tcp tcp;  // the same keepalive and congestion control as the client side
  http::ParserLimits parser_limits;
};

// The clock the worker refreshes once per loop turn.
struct ProxyClock {
  const std::uint64_t* now_ms = nullptr;
  const std::int64_t* now_unix_ns = nullptr;
};

class Proxy {
 public:
  Proxy(ProxyHost& host, transport::Transport& transport, io::TimerWheel& timers, ProxyClock clock,
        ProxySettings settings);
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  void attach(io::Ring& ring) { ring_ = &ring; }
  void begin_stop() { stopping_ = true; }
  void refresh_addresses();  // once per loop turn

  // proxy_request.cc. Answered (or closed, or waiting for the response).
  bool start(RelayStream& client, const http::RequestHead& head, std::string_view request,
             std::uint32_t route_index);
  // The client's request body, while it is on its way: returns how much was taken.
  std::size_t forward_request_body(RelayStream& client, std::string_view bytes);

  // The upstream's events (from the worker's codec and loop).
  void on_connect(RelayStream& upstream, const io::Completion& completion);
  void upstream_receive(RelayStream& upstream, std::string_view data, bool data_is_owned);
  void upstream_take_input(RelayStream& upstream);
  std::span<char> receive_area(RelayStream& upstream);
  void on_receive_area(RelayStream& upstream, std::uint32_t received_bytes);
  void upstream_output_drained(RelayStream& upstream);
  void client_output_drained(RelayStream& client);
  void upstream_end_of_stream(RelayStream& upstream);
  void upstream_handshake_done(RelayStream& upstream);
  void upstream_tls_failed(RelayStream& upstream, std::string_view reason);
  void upstream_timed_out(RelayStream& upstream);
  // A linked stream starts closing: its peer lets go (an upstream's client is
  // answered or closed).
  void on_closing(RelayStream& stream);
  void release_request_copy(RelayStream& client);

  std::uint32_t acme_peer_route() const { return acme_peer_route_; }

 private:
  RelayStream* peer_of(const RelayStream& stream);
  void link(RelayStream& client, RelayStream& upstream);
  void unlink(RelayStream& stream);
  enum class UpstreamStart : std::uint8_t { started, unreachable, does_not_fit };
  UpstreamStart start_upstream(RelayStream& client, std::string_view body_so_far, bool may_reuse);
  void keep_request_copy(RelayStream& client, std::string_view request);
  bool write_upstream_request(RelayStream& client, RelayStream& upstream,
                              std::string_view body_so_far);
  void request_complete(RelayStream& client);

  // upstream_pool.cc
  RelayStream* take_idle_upstream(std::uint32_t route_index);
  RelayStream* open_upstream(std::uint32_t route_index, std::uint32_t attempt = 0);
  bool upstream_address(std::uint32_t route_index, std::uint32_t attempt, sockaddr_storage& address,
                        socklen_t& length, std::uint64_t& generation);
  void connect_failed(RelayStream& upstream, std::string_view reason);
  void release_upstream(RelayStream& upstream);
  void start_upstream_tls(RelayStream& upstream);

  // relay_response.cc
  bool forward_response_head(RelayStream& upstream, RelayStream& client);
  void relay_response_body(RelayStream& upstream, RelayStream& client, std::string_view bytes);
  void cut_response(RelayStream& client, bool end_is_close);
  void finish_exchange(RelayStream& client);
  void fail_exchange(RelayStream& client, ProxyError error);
  void upstream_closed(RelayStream& upstream);

  // failover.cc
  bool switch_to_fallback(RelayStream& client);
  bool fail_over(RelayStream& client, const RelayStream& failed);
  void route_reached(std::uint32_t route_index);

  std::uint64_t now_ms() const { return *clock_.now_ms; }
  std::int64_t now_unix_ns() const { return *clock_.now_unix_ns; }

  ProxyHost& host_;
  transport::Transport& transport_;
  io::TimerWheel& timers_;
  ProxyClock clock_;
  ProxySettings settings_;
  io::Ring* ring_ = nullptr;
  bool stopping_ = false;
  std::vector<UpstreamRoute> routes_;
  std::uint32_t acme_peer_route_ = no_route;
  // Idle keepalive connections to each route's upstream (checked by generation on reuse).
  struct IdleUpstream {
    std::uint32_t slot;
    std::uint32_t generation;
  };
  std::vector<std::vector<IdleUpstream>> idle_upstreams_;
  std::vector<base::Published<dns::AddressSet>::Reader> upstream_addresses_;  // per route
  std::vector<std::uint32_t> next_address_;  // per route: spreads new connections over addresses
  std::vector<log::RateLimit> upstream_error_logs_;  // per route: connect errors, once a second
  FailoverState failover_{0};         // per route: whether its requests go to its fallback
  http::RequestHead head_;            // scratch for the parser: one per worker, never per request
  http::ResponseHead response_head_;  // the same for upstream responses
};

}  // namespace ringway::proxy
