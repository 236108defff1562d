// The plain-HTTP front end of a worker: receive, parse, route, respond.
#include <sys/socket.h>

#include <cassert>
#include <cstring>

#include "ringway/app/worker.h"
#include "ringway/http/response_writer.h"
#include "ringway/log/access_log.h"
#include "ringway/proxy/router.h"

namespace ringway::app {

namespace {

// Three quarters of the receive buffer ring (worker.cc): paused clients cannot starve the rest.
constexpr std::size_t held_buffers_max = 768;
// One connection may hold a few: a pipelining client that is far ahead of us
// is closed rather than allowed to take the ring from everyone else.
constexpr std::uint32_t held_buffers_per_connection_max = 256;
constexpr std::uint64_t linger_ms = 2000;

int status_for(http::ParseStatus status) {
  switch (status) {
    case http::ParseStatus::head_too_large:
      return 431;
    case http::ParseStatus::version_not_supported:
      return 505;
    default:
      return 400;
  }
}

}  // namespace

void Worker::prep_receive(Connection& connection) {
  Operation operation = operation_for(OperationKind::receive, connection);
  std::span<char> direct = direct_receive_area(connection);
  if (!direct.empty()) {
    ring_->prep_receive_into(operation, connection.fd, direct);
    connection.receive = Connection::Receive::direct;
    return;
  }
  // Multishot receive (6.0) into the provided-buffer ring: armed once per
  // connection, and the kernel only picks a buffer when bytes arrive. A bulk
  // sender (an upstream, a client sending a body) would fill the whole ring in
  // one go, though: those take one buffer per receive, so pausing them is exact.
  bool bulk = connection.relay.role == Relay::Role::upstream ||
              connection.relay.stage == Relay::Stage::request;
  if (bulk) {
    ring_->prep_receive_one_buffer(operation, connection.fd);
  } else {
    ring_->prep_receive_multishot(operation, connection.fd);
  }
  connection.receive = Connection::Receive::buffers;
}

void Worker::on_receive(Connection& connection, const io::Completion& completion) {
  bool direct = connection.receiving_direct();
  if (!completion.more) connection.receive = Connection::Receive::idle;
  io::Outcome outcome = completion.outcome();
  if (direct && (outcome == io::Outcome::done || outcome == io::Outcome::canceled)) {
    on_direct_receive(connection, outcome == io::Outcome::done ? completion.value() : 0);
  } else if (outcome == io::Outcome::done) {
    on_received_buffer(connection, completion.buffer_id, completion.value());
  } else if (outcome == io::Outcome::no_buffers || outcome == io::Outcome::canceled) {
    // ENOBUFS: every receive buffer is taken; ECANCELED: we paused this
    // connection. Either way the bytes wait in the socket until we re-arm.
  } else if (outcome == io::Outcome::end_of_stream &&
             connection.relay.role == Relay::Role::upstream && !connection.closing()) {
    upstream_end_of_stream(connection);
  } else if (outcome == io::Outcome::end_of_stream && !connection.closing()) {
    // A half-close: what the client sent before it is still answered.
    connection.peer_closed = true;
    bool answering = connection.awaiting_file() || connection.paused() || connection.sending ||
                     connection.held_buffers > 0 || connection.output_bytes > 0;
    if (!answering || connection.lingering()) close_connection(connection);
  } else if (!connection.closing()) {
    close_connection(connection);  // a socket error
  }
  if (connection.closing()) {
    release_if_done(connection);
  } else {
    resume_receiving(connection);
  }
}

void Worker::on_received_buffer(Connection& connection, std::uint16_t buffer_id,
                                std::uint32_t length) {
  std::string_view data = ring_->receive_buffer(buffer_id, length);
  if (connection.closing() || connection.lingering() || connection.finishing()) {
    ring_->recycle_buffer(buffer_id);
  } else if (connection.paused() || connection.held_buffers > 0) {
    hold_buffer(connection, buffer_id, data.size());  // in order, behind what waits already
  } else {
    take_bytes(connection, data);
    ring_->recycle_buffer(buffer_id);
  }
}

void Worker::need_send_completion(Connection& connection) {
  // A send counted this turn as needing no wake-up now has work behind it.
  if (connection.send_counted_turn != turn_) return;
  connection.send_counted_turn = 0;
  --sends_since_wait_;
}

void Worker::resume_receiving(Connection& connection) {
  if (!connection.receiving() && !connection.paused() && !connection.closing() &&
      !connection.peer_closed && connection.held_buffers == 0) {
    prep_receive(connection);
  }
}

void Worker::hold_buffer(Connection& connection, std::uint16_t buffer_id, std::size_t length) {
  if (held_.size() >= held_buffers_max ||
      connection.held_buffers >= held_buffers_per_connection_max) {
    ring_->recycle_buffer(buffer_id);
    close_connection(connection);  // one client must not take the whole buffer ring
    return;
  }
  held_.push_back({slot_of(connection), buffer_id, static_cast<std::uint32_t>(length)});
  ++connection.held_buffers;
  // A client waiting for its proxied response keeps its receive armed (a cancel
  // and a re-arm per request cost more than the rare early bytes): stop it now.
  pause_receiving(connection);
}

void Worker::release_held(Connection& connection) {
  std::uint32_t slot = slot_of(connection);
  std::erase_if(held_, [&](const HeldBuffer& held) {
    if (held.slot != slot) return false;
    ring_->recycle_buffer(held.buffer_id);
    return true;
  });
  connection.held_buffers = 0;
}

void Worker::resume_input(Connection& connection) {
  connection.resume();
  if (connection.relay.role == Relay::Role::upstream) {
    // A receive still writing into input hands its bytes over when it completes.
    if (connection.input_bytes > 0 && !connection.receiving_direct()) {
      upstream_take_input(connection);
    }
  } else {
    consume_input(connection, connection.input_view(), true);
  }
  // Records the session kept while we were paused come before any held buffer.
  if (connection.tls && !connection.paused() && !connection.closing()) tls_receive(connection, {});
  std::uint32_t slot = slot_of(connection);
  for (std::size_t index = 0; index < held_.size() && connection.held_buffers > 0;) {
    if (connection.paused() || connection.closing() || connection.finishing()) break;
    if (held_[index].slot != slot) {
      ++index;
      continue;
    }
    HeldBuffer held = held_[index];
    held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(index));
    --connection.held_buffers;
    take_bytes(connection, ring_->receive_buffer(held.buffer_id, held.length));
    ring_->recycle_buffer(held.buffer_id);
  }
  if (connection.closing() || connection.finishing()) release_held(connection);
  bool upstream_done = connection.relay.role == Relay::Role::upstream && connection.peer_closed &&
                       !connection.paused() && connection.held_buffers == 0;
  if (upstream_done) close_connection(connection);
  if (!connection.closing()) resume_receiving(connection);
}

void Worker::pause_receiving(Connection& connection) {
  if (!connection.receiving() || connection.receive_stopping()) return;
  // A paused connection stops reading, so a client far ahead of us is held back
  // by TCP instead of by our memory. Bytes already received still fit the input chunk.
  connection.receive = connection.receive == Connection::Receive::direct
                           ? Connection::Receive::stopping_direct
                           : Connection::Receive::stopping;
  ring_->prep_cancel(operation_for(OperationKind::receive, connection));
}

void Worker::consume_input(Connection& connection, std::string_view data, bool data_is_owned) {
  if (connection.input_bytes > 0 && !data_is_owned) {
    // Earlier bytes are waiting: this data continues them.
    std::size_t room = input_pool_.chunk_bytes() - connection.input_bytes;
    if (data.size() > room) {
      close_connection(connection);  // a client far ahead of us while we could not answer
      return;
    }
    std::memcpy(connection.input + connection.input_bytes, data.data(), data.size());
    connection.input_bytes += static_cast<std::uint32_t>(data.size());
    data = connection.input_view();
    data_is_owned = true;
  }
  if (connection.paused()) return;
  std::size_t offset = 0;
  while (offset < data.size() && !connection.finishing() && !connection.paused()) {
    if (connection.relay.stage == Relay::Stage::request) {
      offset += forward_request_body(connection, data.substr(offset));
      continue;
    }
    std::string_view request = data.substr(offset);
    http::ParseResult result = http::parse_request_head(request, head_, parser_limits_);
    if (result.status == http::ParseStatus::partial) break;
    bool answered = result.status == http::ParseStatus::complete
                        ? answer(connection, head_, request.substr(0, result.head_bytes))
                        : answer_error(connection, result.status);
    if (!answered) break;  // paused: this request is answered later
    offset += result.head_bytes;
  }
  std::string_view leftover = data.substr(offset);
  if (connection.finishing()) leftover = {};
  if (!keep_leftover(connection, leftover)) return;
  if (connection.closing()) return;
  bool awaiting_response =
      connection.relay.linked && (connection.relay.stage == Relay::Stage::response_head ||
                                  connection.relay.stage == Relay::Stage::response_body);
  if (connection.paused() && !awaiting_response) {
    pause_receiving(connection);
  } else if (!connection.paused()) {
    resume_receiving(connection);
  }
  flush_output(connection);
  if (connection.paused() || connection.finishing()) need_send_completion(connection);
  schedule_idle_timer(connection);
}

bool Worker::keep_leftover(Connection& connection, std::string_view leftover) {
  if (leftover.empty()) {
    if (connection.input != nullptr) input_pool_.give_back(connection.input);
    connection.input = nullptr;
    connection.input_bytes = 0;
    connection.head_started_ms = 0;
    return true;
  }
  if (connection.input == nullptr) connection.input = input_pool_.take();
  if (leftover.size() > input_pool_.chunk_bytes()) {
    close_connection(connection);
    return false;
  }
  if (connection.head_started_ms == 0) connection.head_started_ms = now_ms_;
  if (connection.awaiting_file())
    rebase(connection.exchange->pending, leftover.data(), connection.input);
  std::memmove(connection.input, leftover.data(), leftover.size());
  connection.input_bytes = static_cast<std::uint32_t>(leftover.size());
  return true;
}

http::OutputArea Worker::output_area(Connection& connection) {
  if (connection.output == nullptr) connection.output = output_pool_.take();
  return {connection.output, connection.output_bytes, output_pool_.chunk_bytes()};
}

bool Worker::answer(Connection& connection, const http::RequestHead& head,
                    std::string_view request) {
  if (connection.tls) return answer_site(connection, head, request);
  proxy::FrontDecision decision = proxy::route_front(head);
  bool keep_alive = head.keep_alive && !head.has_body() && !stopping_;
  PendingRequest logged = pending_request(head, keep_alive, request.size(), now_unix_ns_);
  const proxy::SiteRouter& sites = connection.snapshot->sites;
  if (decision.action == proxy::FrontAction::redirect && sites.proxies_plain_http()) {
    std::optional<std::size_t> site = sites.match_host(decision.host);
    if (site && sites.site(*site).http_proxied) {
      return start_proxy(connection, head, request, static_cast<std::uint32_t>(*site));
    }
  }
  if (decision.action == proxy::FrontAction::challenge) {
    if (connection.output_bytes > 0) {
      connection.pause();  // one file read at a time, once earlier responses are out
      return false;
    }
    start_exchange(connection).pending = logged;
    start_challenge(connection, decision.token);
    return false;
  }
  LocalResponse response;
  response.keep_alive = keep_alive;
  switch (decision.action) {
    case proxy::FrontAction::redirect:
      response.kind = LocalResponse::Kind::redirect;
      response.redirect_host = decision.host;
      response.redirect_target = decision.target;
      break;
    case proxy::FrontAction::not_found:
      response.status = 404;
      break;
    case proxy::FrontAction::method_not_allowed:
      response.status = 405;
      break;
    default:
      response.status = 400;
      response.keep_alive = false;
      break;
  }
  return respond(connection, logged, response, WhenFull::wait);
}

bool Worker::answer_error(Connection& connection, http::ParseStatus parse_status) {
  LocalResponse response;
  response.status = status_for(parse_status);
  response.keep_alive = false;
  PendingRequest unparsed;
  unparsed.start_unix_ns = now_unix_ns_;
  return respond(connection, unparsed, response, WhenFull::wait);
}

void Worker::flush_output(Connection& connection) {
  if (connection.sending || connection.closing()) return;
  if (connection.tls) {
    flush_tls(connection);
    return;
  }
  if (connection.output_sent_bytes >= connection.output_bytes) {
    if (connection.output_bytes > 0 || connection.finishing()) {
      after_output_drained(connection);
    }
    return;
  }
  prep_send(connection, connection.output + connection.output_sent_bytes,
            connection.output_bytes - connection.output_sent_bytes);
}

void Worker::prep_send(Connection& connection, const char* data, std::uint32_t bytes) {
  bool first_attempt =
      (connection.tls ? connection.wire_sent_bytes : connection.output_sent_bytes) == 0;
  ring_->prep_send(operation_for(OperationKind::send, connection), connection.fd, data, bytes);
  connection.sending = true;
  // Only a first attempt at a keepalive response is expected to finish during
  // the submit; anything whose completion we act on must wake us (see run()).
  if (first_attempt && !connection.finishing() && !connection.paused() &&
      connection.held_buffers == 0 && !connection.relay.linked) {
    ++sends_since_wait_;
    connection.send_counted_turn = turn_;
  }
}

void Worker::on_send(Connection& connection, const io::Completion& completion) {
  connection.sending = false;
  if (connection.closing()) {
    release_if_done(connection);
    return;
  }
  if (completion.outcome() != io::Outcome::done || completion.value() == 0) {
    close_connection(connection);  // the client is gone (reset, broken pipe)
    return;
  }
  (connection.tls ? connection.wire_sent_bytes : connection.output_sent_bytes) +=
      completion.value();
  connection.sent_bytes_total += completion.value();
  flush_output(connection);
}

void Worker::after_output_drained(Connection& connection) {
  connection.output_bytes = 0;
  connection.output_sent_bytes = 0;
  if (connection.output != nullptr) output_pool_.give_back(connection.output);
  connection.output = nullptr;
  if (connection.relay.role == Relay::Role::upstream) {
    upstream_output_drained(connection);
    return;
  }
  if (connection.relay.linked) {
    client_output_drained(connection);
    return;
  }
  if (connection.awaiting_file()) return;
  if (connection.finishing()) {
    if (connection.lingering()) return;
    if (connection.tls && send_close_notify(connection)) return;  // drained again after it
    if (stopping_ || connection.peer_closed) {
      close_connection(connection);
      return;
    }
    // Shut our side and drain the client briefly, so unread request bytes do
    // not make the kernel reset the connection before the response arrives.
    connection.start_lingering();
    // A direct call, not the ring: io_uring runs shutdown in a worker thread that
    // looks the descriptor up late, by when this connection may be closed and
    // its number given to a new one, whose write side it would then shut.
    ring_->shutdown_write(connection.fd);
    timers_.schedule(connection.timer, now_ms_ + linger_ms);
    return;
  }
  if (connection.paused()) {
    resume_input(connection);
  } else if (connection.peer_closed && connection.held_buffers == 0) {
    close_connection(connection);  // everything the client sent before its FIN is answered
  }
}

void Worker::schedule_idle_timer(Connection& connection) {
  if (connection.lingering() || connection.closing()) return;
  std::uint64_t deadline_ms =
      connection.input_bytes > 0
          ? connection.head_started_ms + config_of(connection).timeouts.request_head_ms
          : now_ms_ + config_of(connection).timeouts.keepalive_ms;
  // Moving a deadline later needs no relinking: the wheel re-checks on expiry.
  if (connection.timer.linked() && connection.timer.deadline_ms <= deadline_ms) {
    connection.timer.deadline_ms = deadline_ms;
  } else {
    timers_.schedule(connection.timer, deadline_ms);
  }
}

}  // namespace ringway::app
