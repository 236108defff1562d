#pragma once
// A worker: one pinned thread, one ring, its own listeners and connections.
// It never blocks, takes no lock and never hands a connection to another thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringway/acme/challenge_responder.h"
#include "ringway/app/connection.h"
#include "ringway/app/serving_snapshot.h"
#include "ringway/base/object_pool.h"
#include "ringway/base/published.h"
#include "ringway/config/config.h"
#include "ringway/dns/address_set.h"
#include "ringway/http/request_head.h"
#include "ringway/http/request_parser.h"
#include "ringway/http/response_writer.h"
#include "ringway/io/completion.h"
#include "ringway/io/ring.h"
#include "ringway/io/timer_wheel.h"
#include "ringway/log/access_log_writer.h"
#include "ringway/proxy/proxy.h"
#include "ringway/proxy/site_router.h"
#include "ringway/tls/certificate_store.h"
#include "ringway/tls/client_context.h"
#include "ringway/tls/ticket_keys.h"
#include "ringway/transport/transport.h"

namespace ringway::app {

using io::Completion;
using io::Operation;
using io::OperationKind;
using io::TimerNode;
using io::TimerWheel;

struct ListenerSocket {
  int fd = -1;       // owned by the worker from now on
  bool tls = false;  // an HTTPS listener
};

struct WorkerSettings {
  const config::Config* config = nullptr;
  std::vector<ListenerSocket> listeners;
  std::size_t index = 0;  // this worker's number: its context set in the certificate store
  // HTTPS: the current certificates and ticket keys, and the sites requests go to.
  const base::Published<tls::CertificateStore>* certificates = nullptr;
  const base::Published<tls::TicketKeys>* ticket_keys = nullptr;
  // What requests are served with; each connection takes the current one when it starts.
  const base::Published<ServingSnapshot>* serving = nullptr;
  // Per route (proxy::upstream_routes): the addresses of its upstream name; null
  // for literal upstreams and sites without an upstream.
  std::vector<const base::Published<dns::AddressSet>*> upstream_addresses;
  // Per route: this worker's own TLS context for an https upstream, else null.
  std::vector<std::shared_ptr<const tls::ClientContext>> upstream_tls;
  int webroot_fd = -1;     // shared, read-only: an O_PATH directory
  int access_log_fd = -1;  // shared; -1 when access logging is off
  int cpu = -1;            // pin to this CPU; -1 leaves the thread unpinned
  // Tests: a ring to drive the worker with (a fake); null: the worker opens a
  // real one on its own thread (SINGLE_ISSUER binds a ring to its creator).
  io::Ring* ring = nullptr;
};

using http::LocalResponse;

class Worker : private transport::Codec, private proxy::ProxyHost, private acme::ChallengeHost {
 public:
  explicit Worker(WorkerSettings settings);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() override;

  // On the worker's own thread: sets up the ring. Empty string on success.
  std::string open();
  // On the worker's own thread: serves until stopped and drained.
  void run();
  // From any thread: begin a graceful stop.
  void request_stop();
  // On the worker's thread: slots in use (clients and upstreams), for tests.
  std::uint64_t active_connections() const { return active_connections_; }

 private:
  // worker.cc: the loop, accepting, timers, stopping.
  void prep_accept(std::uint32_t listener_index);
  void prep_wake_read();
  void dispatch(const io::Completion& completion);
  void on_accept(std::uint32_t listener_index, const io::Completion& completion);
  void on_wake(const io::Completion& completion);
  void on_timer(TimerNode& node);
  void begin_stop();
  proxy::ProxySettings proxy_settings() const;
  // worker_slots.cc: the slab (on_released, below, frees a slot).
  Connection& take_slot(int fd);
  // The snapshot a new connection serves with, kept alive while a connection uses it.
  const ServingSnapshot* take_snapshot();
  void release_snapshot(const ServingSnapshot* snapshot);
  static const config::Config& config_of(const Connection& connection) {
    return *connection.snapshot->config;
  }
  void refresh_clock();
  static Connection& connection_of(transport::Stream& stream) {
    return static_cast<Connection&>(stream);
  }
  Connection* connection_for(const io::Completion& completion);
  static std::uint32_t slot_of(const Connection& connection) { return connection.slot; }
  // The tag for an operation of this connection's current tenant.
  Operation operation_for(OperationKind kind, const Connection& connection) const {
    return {kind, slot_of(connection), connection.generation};
  }

  // worker_codec.cc: what the transport's events mean to the HTTP server and the relay.
  void on_bytes(transport::Stream& stream, std::string_view data) override;
  void on_input(transport::Stream& stream) override;
  std::span<char> direct_receive_area(transport::Stream& stream) override;
  void on_direct_receive(transport::Stream& stream, std::uint32_t bytes) override;
  bool receives_bulk(const transport::Stream& stream) const override;
  bool send_paces_peer(const transport::Stream& stream) const override;
  bool on_output_drained(transport::Stream& stream) override;
  void on_resume(transport::Stream& stream) override;
  void on_end_of_stream(transport::Stream& stream) override;
  void on_handshake_done(transport::Stream& stream) override;
  void on_tls_failed(transport::Stream& stream, std::string_view reason) override;
  void on_closing(transport::Stream& stream) override;
  void on_released(transport::Stream& stream) override;

  // worker_http.cc: parsing and answering requests.
  void consume_input(Connection& connection, std::string_view data, bool data_is_owned);
  bool answer(Connection& connection, const http::RequestHead& head, std::string_view request);
  bool answer_error(Connection& connection, http::ParseStatus status);
  bool keep_leftover(Connection& connection, std::string_view leftover);
  void schedule_idle_timer(Connection& connection);
  // worker_respond.cc: writes, queues and logs a response of the worker's own.
  // False when it does not fit behind earlier output: then the connection waits
  // for room (when_full wait, paused) or is closed.
  enum class WhenFull : std::uint8_t { wait, close };
  bool respond(Connection& connection, const PendingRequest& request, const LocalResponse& response,
               WhenFull when_full);

  // worker_tls.cc: HTTPS connections.
  bool open_tls(Connection& connection);
  bool answer_site(Connection& connection, const http::RequestHead& head, std::string_view request);

  // What the proxy asks of the slab (worker_slots.cc) and the HTTP server
  // (worker_respond.cc, worker_access_log.cc).
  proxy::RelayStream& stream_at(std::uint32_t slot) override { return connections_[slot]; }
  bool has_free_slot() const override { return free_head_ < connections_.size(); }
  proxy::RelayStream& take_stream(int fd) override { return take_slot(fd); }
  Exchange& start_exchange(proxy::RelayStream& stream) override;
  const config::Config& config_of(const proxy::RelayStream& stream) const override {
    return config_of(static_cast<const Connection&>(stream));
  }
  void answer_status(proxy::RelayStream& client, const PendingRequest& request,
                     int status) override;
  void log_access(const proxy::RelayStream& client, const PendingRequest& request, int status,
                  std::uint64_t body_bytes) override;
  void keep_input(proxy::RelayStream& stream, std::string_view leftover) override {
    keep_leftover(static_cast<Connection&>(stream), leftover);
  }

  // worker_challenge.cc: what the challenge responder asks of the worker.
  acme::ChallengeFile& challenge_of(transport::Stream& stream) override {
    return connection_of(stream).exchange->challenge;
  }
  bool answer_challenge(transport::Stream& stream, const PendingRequest& request, int status,
                        std::string_view body) override;
  bool has_acme_peer() const override { return proxy_.acme_peer_route() != proxy::no_route; }
  void proxy_to_acme_peer(transport::Stream& stream, const http::RequestHead& head,
                          std::string_view request) override;

  WorkerSettings settings_;
  base::Published<ServingSnapshot>::Reader serving_;
  // Snapshots connections still use, oldest first; the last is the current one.
  struct HeldSnapshot {
    std::shared_ptr<const ServingSnapshot> snapshot;
    std::uint32_t connections = 0;
  };
  std::vector<HeldSnapshot> held_snapshots_;
  base::Published<tls::CertificateStore>::Reader certificates_;
  base::Published<tls::TicketKeys>::Reader ticket_keys_;
  std::uint64_t tls_refused_logged_ms_ = 0;
  http::ParserLimits parser_limits_;
  std::unique_ptr<io::Ring> owned_ring_;
  io::Ring* ring_ = nullptr;
  TimerWheel timers_;
  transport::Transport transport_;
  proxy::Proxy proxy_;
  acme::ChallengeResponder challenges_;
  base::ObjectPool<Exchange> exchanges_;
  std::vector<Connection> connections_;
  std::uint32_t free_head_ = 0;
  std::uint64_t active_connections_ = 0;
  http::RequestHead head_;  // scratch for the parser: one per worker, never per request

  std::atomic<bool> stop_requested_{false};
  bool stopping_ = false;
  std::uint64_t stop_deadline_ms_ = 0;
  std::vector<bool> accepting_;
  std::uint64_t accept_retry_ms_ = 0;  // when to re-arm accepts that failed; 0: none waiting
  std::uint64_t accept_error_logged_ms_ = 0;

  std::uint64_t now_ms_ = 0;
  std::int64_t now_unix_ns_ = 0;
  std::int64_t date_second_ = -1;
  char date_[29] = {};

  log::AccessLogWriter access_log_;
  std::uint64_t refused_connections_ = 0;
};

}  // namespace ringway::app
