// Serving ACME HTTP-01 challenge files through the ring: open, read, close,
// never a blocking call on the worker.
#include <cstring>
#include <string>

#include "ringway/acme/challenge_file.h"
#include "ringway/acme/hop_marker.h"
#include "ringway/app/worker.h"
#include "ringway/http/response_writer.h"
#include "ringway/log/error_log.h"

namespace ringway::app {

void Worker::start_challenge(Connection& connection, std::string_view token) {
  http::OutputArea out = transport_.output_area(connection);
  const char* path = acme::write_challenge_path(out.data, out.capacity, token);
  ring_->prep_open_beneath(operation_for(OperationKind::file_open, connection),
                           settings_.webroot_fd, path, &acme::challenge_open_how());
  connection.await_file();
  connection.file_busy = true;
  connection.pause();
}

void Worker::on_file_open(Connection& connection, const io::Completion& completion) {
  connection.file_busy = false;
  acme::FileVerdict verdict = acme::verdict_for_open(completion.outcome());
  if (verdict != acme::FileVerdict::serve) {
    if (connection.closing()) {
      transport_.release_if_done(connection);
      return;
    }
    if (verdict == acme::FileVerdict::ask_peer && ask_acme_peer(connection)) return;
    if (verdict != acme::FileVerdict::ask_peer)
      log_challenge_error(connection, completion.error_text());
    finish_challenge(connection, acme::verdict_status(verdict), {});
    return;
  }
  connection.file_fd = completion.result;
  connection.file_busy = true;
  ring_->prep_read(
      operation_for(OperationKind::file_read, connection), connection.file_fd,
      acme::challenge_file_area(connection.output, transport_.output_pool().chunk_bytes()),
      acme::challenge_file_bytes_max + 1, 0);
}

void Worker::on_file_read(Connection& connection, const io::Completion& completion) {
  ring_->prep_close(operation_for(OperationKind::file_close, connection), connection.file_fd);
  connection.file_fd = -1;
  if (connection.closing()) return;
  acme::FileVerdict verdict = acme::verdict_for_read(completion.outcome(), completion.value());
  if (verdict == acme::FileVerdict::too_large) {
    std::string reason = "larger than " + std::to_string(acme::challenge_file_bytes_max) + " bytes";
    log_challenge_error(connection, reason.c_str());
  } else if (verdict != acme::FileVerdict::serve) {
    log_challenge_error(connection, completion.error_text());
  }
  std::string_view body;
  if (verdict == acme::FileVerdict::serve) {
    body = {acme::challenge_file_area(connection.output, transport_.output_pool().chunk_bytes()),
            completion.value()};
  }
  finish_challenge(connection, acme::verdict_status(verdict), body);
}

void Worker::log_challenge_error(const Connection& connection, const char* reason) {
  const PendingRequest& request = connection.exchange->pending;
  log::write_line(log::Level::error, "challenge file %.*s: %s",
                  static_cast<int>(request.target.size()), request.target.data(), reason);
}

// The validator may reach either host of a round-robin pair: a token this host
// does not have is asked for at the peer. The request carries the hop marker, and
// one that already carries it is answered 404 here, so two hosts that both miss
// answer in one hop instead of bouncing it between them.
bool Worker::ask_acme_peer(Connection& connection) {
  if (proxy_.acme_peer_route() == proxy::no_route) return false;
  std::string_view request{connection.input, connection.exchange->pending.head_bytes};
  if (http::parse_request_head(request, head_, parser_limits_).status !=
      http::ParseStatus::complete) {
    return false;
  }
  if (acme::carries_hop_marker(head_)) return false;
  connection.resume();  // the peer answers instead of the file
  proxy_.start(connection, head_, request, proxy_.acme_peer_route());  // copies the head it needs
  // The request leaves the input; what a pipelining client sent after it waits for the answer.
  std::uint32_t rest = connection.input_bytes - connection.exchange->pending.head_bytes;
  std::memmove(connection.input, connection.input + connection.exchange->pending.head_bytes, rest);
  connection.input_bytes = rest;
  connection.pause();
  transport_.flush(connection);  // a 502 when the peer cannot be reached at all
  return true;
}

void Worker::on_file_close(Connection& connection) {
  connection.file_busy = false;
  if (connection.closing()) transport_.release_if_done(connection);
}

void Worker::finish_challenge(Connection& connection, int status, std::string_view body) {
  PendingRequest& request = connection.exchange->pending;
  LocalResponse response;
  response.kind = status == 200 ? LocalResponse::Kind::file : LocalResponse::Kind::status;
  response.status = status;
  response.keep_alive = request.keep_alive;
  response.file_body = body;
  connection.file_answered();
  if (!respond(connection, request, response, WhenFull::close)) return;
  // The challenge request leaves the input; what a pipelining client sent after it stays.
  std::uint32_t rest = connection.input_bytes - request.head_bytes;
  std::memmove(connection.input, connection.input + request.head_bytes, rest);
  connection.input_bytes = rest;
  transport_.resume_input(connection);
}

}  // namespace ringway::app
