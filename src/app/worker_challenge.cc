// Serving ACME HTTP-01 challenge files through the ring: open, read, close,
// never a blocking call on the worker.
#include <fcntl.h>
#include <linux/openat2.h>

#include <cstring>

#include "ringway/acme/challenge.h"
#include "ringway/app/worker.h"
#include "ringway/http/response_writer.h"
#include "ringway/log/error_log.h"

namespace ringway::app {

namespace {

constexpr std::size_t challenge_file_bytes_max = 4096;
constexpr std::size_t challenge_path_bytes_max = 320;

// RESOLVE_BENEATH (5.6): even a symlink cannot lead outside the webroot.
// O_NONBLOCK: a FIFO planted in the webroot must not hold a kernel worker forever.
const open_how challenge_open_how = {O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0, RESOLVE_BENEATH};

// The file's bytes are read into the tail of the output chunk; the response is
// then written at its front, so no other buffer is needed.
char* file_area(char* output, std::size_t chunk_bytes) {
  return output + chunk_bytes - challenge_file_bytes_max - 1;
}

}  // namespace

void Worker::start_challenge(Connection& connection, std::string_view token) {
  http::OutputArea out = output_area(connection);
  char* path = file_area(out.data, out.capacity) - challenge_path_bytes_max;
  std::string_view directory = acme::challenge_prefix.substr(1);  // relative to the webroot
  std::memcpy(path, directory.data(), directory.size());
  std::memcpy(path + directory.size(), token.data(), token.size());
  path[directory.size() + token.size()] = '\0';

  ring_->prep_open_beneath(operation_for(OperationKind::file_open, connection),
                           settings_.webroot_fd, path, &challenge_open_how);
  connection.awaiting_file = true;
  connection.file_busy = true;
  connection.paused = true;
}

void Worker::on_file_open(Connection& connection, const io::Completion& completion) {
  connection.file_busy = false;
  io::Outcome outcome = completion.outcome();
  if (outcome != io::Outcome::done) {
    if (connection.closing) {
      release_if_done(connection);
      return;
    }
    if (outcome != io::Outcome::not_found) {
      log::write_line(log::Level::error, "challenge file %.*s: %s",
                      static_cast<int>(connection.exchange->pending.target.size()),
                      connection.exchange->pending.target.data(), completion.error_text());
    } else if (ask_acme_peer(connection)) {
      return;
    }
    finish_challenge(connection, 404, {});
    return;
  }
  connection.file_fd = completion.result;
  connection.file_busy = true;
  // One byte more than allowed, to tell a file that is too large.
  ring_->prep_read(operation_for(OperationKind::file_read, connection), connection.file_fd,
                   file_area(connection.output, output_pool_.chunk_bytes()),
                   challenge_file_bytes_max + 1, 0);
}

void Worker::on_file_read(Connection& connection, const io::Completion& completion) {
  ring_->prep_close(operation_for(OperationKind::file_close, connection), connection.file_fd);
  connection.file_fd = -1;
  if (connection.closing) return;
  if (completion.outcome() != io::Outcome::done) {
    log::write_line(log::Level::error, "challenge file %.*s: %s",
                    static_cast<int>(connection.exchange->pending.target.size()),
                    connection.exchange->pending.target.data(), completion.error_text());
    finish_challenge(connection, 404, {});
    return;
  }
  if (completion.value() > challenge_file_bytes_max) {
    log::write_line(log::Level::error, "challenge file %.*s: larger than %zu bytes",
                    static_cast<int>(connection.exchange->pending.target.size()),
                    connection.exchange->pending.target.data(), challenge_file_bytes_max);
    finish_challenge(connection, 500, {});
    return;
  }
  finish_challenge(connection, 200,
                   {file_area(connection.output, output_pool_.chunk_bytes()), completion.value()});
}

// The validator may reach either host of a round-robin pair: a token this host
// does not have is asked for at the peer. The request carries the hop marker, and
// one that already carries it is answered 404 here, so two hosts that both miss
// answer in one hop instead of bouncing it between them.
bool Worker::ask_acme_peer(Connection& connection) {
  if (acme_peer_route_ >= routes_.size()) return false;
  std::string_view request{connection.input, connection.exchange->pending.head_bytes};
  if (http::parse_request_head(request, head_, parser_limits_).status !=
      http::ParseStatus::complete) {
    return false;
  }
  if (http::has_header(head_, hop_header_lowercase)) return false;
  connection.awaiting_file = false;
  connection.paused = false;
  start_proxy(connection, head_, request, acme_peer_route_);  // copies the head it needs
  // The request leaves the input; what a pipelining client sent after it waits for the answer.
  std::uint32_t rest = connection.input_bytes - connection.exchange->pending.head_bytes;
  std::memmove(connection.input, connection.input + connection.exchange->pending.head_bytes, rest);
  connection.input_bytes = rest;
  connection.paused = true;
  flush_output(connection);  // a 502 when the peer cannot be reached at all
  return true;
}

void Worker::on_file_close(Connection& connection) {
  connection.file_busy = false;
  if (connection.closing) release_if_done(connection);
}

void Worker::finish_challenge(Connection& connection, int status, std::string_view body) {
  PendingRequest& request = connection.exchange->pending;
  LocalResponse response;
  response.kind = status == 200 ? LocalResponse::Kind::file : LocalResponse::Kind::status;
  response.status = status;
  response.keep_alive = request.keep_alive;
  response.file_body = body;
  connection.awaiting_file = false;
  if (!respond(connection, request, response, WhenFull::close)) return;
  // The challenge request leaves the input; what a pipelining client sent after it stays.
  std::uint32_t rest = connection.input_bytes - request.head_bytes;
  std::memmove(connection.input, connection.input + request.head_bytes, rest);
  connection.input_bytes = rest;
  resume_input(connection);
}

}  // namespace ringway::app
