#include "ringway/app/worker.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <ctime>

#include "ringway/base/clock.h"
#include "ringway/http/response_writer.h"
#include "ringway/io/uring_ring.h"
#include "ringway/log/error_log.h"

namespace ringway::app {

namespace {

constexpr unsigned ring_entries = 4096;
constexpr std::uint32_t receive_buffer_count = 1024;  // a power of two
constexpr std::uint32_t receive_buffer_bytes = 4096;
constexpr std::uint32_t timer_tick_ms = 100;
constexpr std::size_t timer_slot_count = 1024;
constexpr std::uint64_t counted_send_wait_ms = 1;
constexpr std::uint64_t accept_retry_ms = 100;
constexpr std::size_t output_chunk_bytes_min = std::size_t{64} * 1024;
constexpr std::uint64_t linger_ms = 2000;

http::ParserLimits parser_limits(const config::Config& config) {
  http::ParserLimits limits;
  limits.head_bytes_max = config.limits.request_head_bytes;
  limits.header_count_max = config.limits.header_count;
  return limits;
}

transport::TransportSettings transport_settings(const config::Config& config) {
  transport::TransportSettings settings;
  // Room for a whole head plus what arrives while a paused connection's
  // receive is being cancelled (a few buffers at most).
  settings.input_chunk_bytes = config.limits.request_head_bytes + 4 * receive_buffer_bytes;
  // A redirect's Location repeats the target, so room for a whole head plus
  // headers; and at least four full TLS records, so a relayed download goes out
  // in few large sends (taken per response, so idle connections hold none).
  settings.output_chunk_bytes =
      std::max<std::size_t>(config.limits.request_head_bytes + 8192, output_chunk_bytes_min);
  // Three quarters of the receive buffer ring may wait in paused connections,
  // so they cannot starve the rest; one pipelining client far ahead of us may
  // hold a quarter of it before it is closed.
  settings.held_buffers_max = std::size_t{receive_buffer_count} / 4 * 3;
  settings.held_buffers_per_stream_max = receive_buffer_count / 4;
  settings.linger_ms = linger_ms;
  return settings;
}

}  // namespace

Worker::Worker(WorkerSettings settings)
    : settings_(std::move(settings)),
      serving_(*settings_.serving),
      // The ring's clock, which every deadline is measured on (a fake's is virtual).
      timers_(settings_.ring != nullptr ? settings_.ring->now_ms() : base::monotonic_ms(),
              timer_tick_ms, timer_slot_count),
      transport_(*this, timers_, transport_settings(*settings_.config)),
      proxy_(*this, transport_, timers_, {&now_ms_, &now_unix_ns_}, proxy_settings()),
      challenges_(*this, transport_, settings_.webroot_fd, parser_limits(*settings_.config)),
      connections_(settings_.config->limits.connections_per_worker),
      access_log_(settings_.access_log_fd,
                  settings_.config->access_log.format == config::AccessLogFormat::json
                      ? log::AccessLogFormat::json
                      : log::AccessLogFormat::combined) {
  parser_limits_ = parser_limits(*settings_.config);
  for (std::uint32_t index = 0; index < connections_.size(); ++index) {
    connections_[index].next_free = index + 1;
    connections_[index].slot = index;
    connections_[index].timer.owner = index;
  }
  accepting_.assign(settings_.listeners.size(), false);
  if (settings_.certificates != nullptr)
    certificates_ = base::Published<tls::CertificateStore>::Reader(*settings_.certificates);
  if (settings_.ticket_keys != nullptr)
    ticket_keys_ = base::Published<tls::TicketKeys>::Reader(*settings_.ticket_keys);
}

// Pools, address sets and failover state are per route of the first snapshot.
proxy::ProxySettings Worker::proxy_settings() const {
  proxy::ProxySettings proxy;
  proxy.routes = serving_.get()->routes;
  proxy.upstream_addresses = settings_.upstream_addresses;
  proxy.upstream_tls = settings_.upstream_tls;
  proxy.tcp = settings_.config->tcp;
  proxy.parser_limits = parser_limits(*settings_.config);
  return proxy;
}

Worker::~Worker() {
  for (const ListenerSocket& listener : settings_.listeners) {
    if (listener.fd >= 0) close(listener.fd);
  }
  for (Connection& connection : connections_) {
    if (connection.fd >= 0) close(connection.fd);
    if (connection.exchange != nullptr && connection.exchange->challenge.fd >= 0)
      close(connection.exchange->challenge.fd);
  }
}

std::string Worker::open() {
  if (settings_.cpu >= 0) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(settings_.cpu, &cpus);
    pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
  }
  ring_ = settings_.ring;
  if (ring_ == nullptr) {
    auto ring = std::make_unique<io::UringRing>();
    std::string error = ring->open({ring_entries, receive_buffer_count, receive_buffer_bytes});
    if (!error.empty()) return error;
    if (!ring->features().single_issuer_defer_taskrun) {
      log::write_line(
          log::Level::warning,
          "io_uring: no SINGLE_ISSUER/DEFER_TASKRUN (Linux 6.1+): running without them");
    }
    owned_ring_ = std::move(ring);
    ring_ = owned_ring_.get();
  }
  transport_.attach(*ring_);
  proxy_.attach(*ring_);
  challenges_.attach(*ring_);
  refresh_clock();
  for (std::uint32_t index = 0; index < settings_.listeners.size(); ++index) prep_accept(index);
  prep_wake_read();
  return {};
}

void Worker::prep_accept(std::uint32_t listener_index) {
  ring_->prep_accept_multishot({OperationKind::accept, listener_index, 0},
                               settings_.listeners[listener_index].fd);
  accepting_[listener_index] = true;
}

void Worker::prep_wake_read() {
  ring_->prep_wake_wait({OperationKind::wake, 0, 0});
}

void Worker::request_stop() {
  stop_requested_.store(true, std::memory_order_release);
  // Before open() there is no ring: the flag alone stops run() at its first turn.
  if (ring_ != nullptr) ring_->wake();
}

void Worker::run() {
  for (;;) {
    access_log_.flush(*ring_);
    if (stopping_ && active_connections_ == 0 && !access_log_.writing()) break;
    std::uint64_t wait_ms = timers_.milliseconds_to_next_tick(now_ms_) + 1;
    // A send of a small response completes during the submit itself. Waiting for
    // one completion more than the sends just queued means we sleep until there
    // is new work instead of waking once for the sends and once for the requests.
    // Should a counted send not complete at once after all, the short wait bounds
    // the delay; under load new requests wake us long before it ends.
    unsigned counted_sends = ring_->take_early_submit() ? 0 : transport_.counted_sends();
    if (counted_sends > 0) wait_ms = std::min<std::uint64_t>(wait_ms, counted_send_wait_ms);
    int result = ring_->submit_and_wait(1 + counted_sends, wait_ms);
    transport_.next_turn();
    if (result < 0 && result != -EBUSY) {
      log::write_line(log::Level::error, "worker: io_uring_enter: %s", std::strerror(-result));
      break;
    }
    ring_->for_each_completion([this](const Completion& completion) { dispatch(completion); });
    refresh_clock();
    // New certificates or ticket keys apply to connections accepted from now on.
    certificates_.refresh();
    serving_.refresh();  // for connections accepted from now on
    ticket_keys_.refresh();
    proxy_.refresh_addresses();
    timers_.advance(now_ms_, [this](TimerNode& node) { on_timer(node); });
    if (accept_retry_ms_ != 0 && now_ms_ >= accept_retry_ms_ && !stopping_) {
      accept_retry_ms_ = 0;
      for (std::uint32_t index = 0; index < accepting_.size(); ++index) {
        if (!accepting_[index]) prep_accept(index);
      }
    }
    if (stopping_ && now_ms_ >= stop_deadline_ms_) {
      for (Connection& connection : connections_) {
        if (connection.in_use && !connection.closing()) transport_.close(connection);
      }
    }
  }
  access_log_.flush(*ring_);
  // A stop with no connection left breaks out in the turn that queued the
  // listeners' cancel and close: submit them, or the listening sockets stay
  // open. Waiting for a completion runs deferred task work (DEFER_TASKRUN),
  // where the close linked behind each cancel runs.
  ring_->submit_and_wait(1, 10);
}

void Worker::refresh_clock() {
  now_ms_ = ring_->now_ms();
  now_unix_ns_ = ring_->now_unix_ns();
  transport_.set_now(now_ms_);
  std::int64_t second = now_unix_ns_ / 1000000000;
  if (second != date_second_) {
    date_second_ = second;
    http::format_http_date(second, date_);
  }
}

Connection* Worker::connection_for(const io::Completion& completion) {
  Operation operation = completion.operation;
  if (operation.slot >= connections_.size()) return nullptr;
  Connection& connection = connections_[operation.slot];
  // A completion for an earlier tenant of this slot: that tenant is gone.
  if (!connection.in_use || connection.generation != operation.generation) return nullptr;
  return &connection;
}

void Worker::dispatch(const io::Completion& completion) {
  Operation operation = completion.operation;
  switch (operation.kind) {
    case OperationKind::accept:
      on_accept(operation.slot, completion);
      return;
    case OperationKind::wake:
      on_wake(completion);
      return;
    case OperationKind::log_write:
      access_log_.on_write(*ring_, completion);
      return;
    case OperationKind::ignored:
      return;
    default:
      break;
  }
  Connection* connection = connection_for(completion);
  assert(connection != nullptr && "every connection operation completes before its slot is freed");
  if (connection == nullptr) return;
  switch (operation.kind) {
    case OperationKind::receive:
      transport_.on_receive(*connection, completion);
      break;
    case OperationKind::send:
      transport_.on_send(*connection, completion);
      break;
    case OperationKind::file_open:
      challenges_.on_file_open(*connection, completion);
      break;
    case OperationKind::file_read:
      challenges_.on_file_read(*connection, completion);
      break;
    case OperationKind::file_close:
      challenges_.on_file_close(*connection);
      break;
    case OperationKind::socket_close:
      transport_.on_socket_close(*connection);
      break;
    case OperationKind::connect:
      proxy_.on_connect(*connection, completion);
      break;
    default:
      break;
  }
}

void Worker::on_accept(std::uint32_t listener_index, const io::Completion& completion) {
  io::Outcome outcome = completion.outcome();
  bool failed = outcome != io::Outcome::done && outcome != io::Outcome::canceled &&
                outcome != io::Outcome::aborted;
  if (!completion.more) {
    accepting_[listener_index] = false;
    // After a failure (out of file descriptors, say) try again a little later
    // instead of spinning on the same error.
    if (failed) accept_retry_ms_ = now_ms_ + accept_retry_ms;
    if (!stopping_ && !failed) prep_accept(listener_index);
  }
  if (outcome != io::Outcome::done) {
    if (failed && now_ms_ >= accept_error_logged_ms_ + 1000) {
      accept_error_logged_ms_ = now_ms_;
      log::write_line(log::Level::error, "accept: %s", completion.error_text());
    }
    return;
  }
  int fd = completion.result;
  if (stopping_ || !has_free_slot()) {
    // Full: refuse now, cleanly, instead of accepting work we cannot hold.
    ring_->close_now(fd);
    if (!stopping_ && (refused_connections_++ & 1023) == 0) {
      log::write_line(log::Level::warning,
                      "connection limit (%u per worker) reached: refusing new connections",
                      settings_.config->limits.connections_per_worker);
    }
    return;
  }
  Connection& connection = take_slot(fd);
  // The client's address: for the access log, X-Forwarded-For and error lines.
  ring_->peer_address(fd, connection.remote_ip);
  connection.head_started_ms = now_ms_;
  // For HTTPS this also bounds the handshake.
  timers_.schedule(connection.timer, now_ms_ + config_of(connection).timeouts.request_head_ms);
  if (settings_.listeners[listener_index].tls && !open_tls(connection)) {
    transport_.close(connection);
    return;
  }
  transport_.arm_receive(connection);
}

void Worker::on_wake(const io::Completion& completion) {
  (void)completion;
  if (stop_requested_.load(std::memory_order_acquire)) {
    if (!stopping_) begin_stop();
    return;
  }
  prep_wake_read();
}

void Worker::begin_stop() {
  stopping_ = true;
  transport_.begin_stop();
  proxy_.begin_stop();
  stop_deadline_ms_ = now_ms_ + settings_.config->timeouts.shutdown_ms;
  // Stop accepting at once, so that new clients are refused (and round-robin
  // DNS clients move on to the other host) instead of waiting for the drain.
  for (std::uint32_t index = 0; index < settings_.listeners.size(); ++index) {
    int fd = settings_.listeners[index].fd;
    settings_.listeners[index].fd = -1;
    if (accepting_[index]) {
      ring_->prep_cancel_and_close({OperationKind::ignored, 0, 0}, fd);
    } else {
      ring_->prep_close({OperationKind::ignored, 0, 0}, fd);
    }
  }
  for (Connection& connection : connections_) {
    if (!connection.in_use || connection.closing()) continue;
    if (connection.relay.linked) {
      // A proxied exchange finishes; its client is closed after the response.
      if (!connection.upstream()) connection.exchange->client_keep_alive = false;
      continue;
    }
    bool busy = connection.sending || connection.awaiting_file() || connection.output_bytes > 0 ||
                connection.wire_bytes > 0;
    if (busy) {
      connection.finish_after_send();  // finish the response in flight, then close
      transport_.expect_send_completion(connection);
    } else {
      transport_.close(connection);
    }
  }
}

void Worker::on_timer(TimerNode& node) {
  Connection& connection = connections_[node.owner];
  if (!connection.in_use || connection.closing()) return;
  if (node.deadline_ms > now_ms_) {
    timers_.schedule(node, node.deadline_ms);
    return;
  }
  if (connection.upstream()) {
    proxy_.upstream_timed_out(connection);
    return;
  }
  if (connection.relay.linked) {
    // The upstream's timers govern an exchange in progress.
    timers_.schedule(node, now_ms_ + config_of(connection).timeouts.keepalive_ms);
    return;
  }
  if ((connection.sending || connection.awaiting_file()) &&
      connection.sent_bytes_total != connection.sent_bytes_at_timer) {
    // A response is on its way and moved since the last look: give it another
    // period. A client that stopped reading (or a file that never opens) does not.
    connection.sent_bytes_at_timer = connection.sent_bytes_total;
    timers_.schedule(node, now_ms_ + config_of(connection).timeouts.keepalive_ms);
    return;
  }
  transport_.close(connection);
}

}  // namespace ringway::app
