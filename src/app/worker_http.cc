// The HTTP/1.1 server of a worker: parse pipelined requests from a client's
// input, route them, answer or proxy them, and keep what is not parsed yet.
#include <sys/socket.h>

#include <cassert>
#include <cstring>

#include "ringway/app/worker.h"
#include "ringway/http/response_writer.h"
#include "ringway/log/access_log.h"
#include "ringway/proxy/router.h"

namespace ringway::app {

namespace {

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

void Worker::consume_input(Connection& connection, std::string_view data, bool data_is_owned) {
  if (connection.input_bytes > 0 && !data_is_owned) {
    // Earlier bytes are waiting: this data continues them.
    std::size_t room = transport_.input_pool().chunk_bytes() - connection.input_bytes;
    if (data.size() > room) {
      transport_.close(connection);  // a client far ahead of us while we could not answer
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
      offset += proxy_.forward_request_body(connection, data.substr(offset));
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
    transport_.pause_receiving(connection);
  } else if (!connection.paused()) {
    transport_.resume_receiving(connection);
  }
  transport_.flush(connection);
  if (connection.paused() || connection.finishing()) transport_.expect_send_completion(connection);
  schedule_idle_timer(connection);
}

bool Worker::keep_leftover(Connection& connection, std::string_view leftover) {
  if (leftover.empty()) {
    if (connection.input != nullptr) transport_.input_pool().give_back(connection.input);
    connection.input = nullptr;
    connection.input_bytes = 0;
    connection.head_started_ms = 0;
    return true;
  }
  if (connection.input == nullptr) connection.input = transport_.input_pool().take();
  if (leftover.size() > transport_.input_pool().chunk_bytes()) {
    transport_.close(connection);
    return false;
  }
  if (connection.head_started_ms == 0) connection.head_started_ms = now_ms_;
  if (connection.awaiting_file())
    http::rebase(connection.exchange->challenge.request, leftover.data(), connection.input);
  std::memmove(connection.input, leftover.data(), leftover.size());
  connection.input_bytes = static_cast<std::uint32_t>(leftover.size());
  return true;
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
      return proxy_.start(connection, head, request, static_cast<std::uint32_t>(*site));
    }
  }
  if (decision.action == proxy::FrontAction::challenge) {
    if (connection.output_bytes > 0) {
      connection.pause();  // one file read at a time, once earlier responses are out
      return false;
    }
    start_exchange(connection).challenge.request = logged;
    challenges_.start(connection, decision.token);
    return false;
  }
  LocalResponse response;
  response.keep_alive = keep_alive;
  switch (decision.action) {
    case proxy::FrontAction::redirect:
      response.kind = LocalResponse::Kind::redirect;
      response.redirect_host = decision.host;
      response.redirect_target = decision.target;
      response.redirect_port = config_of(connection).http.redirect_port;
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
