// Serving ACME HTTP-01 challenge files through the ring: open, read, close.
#include "ringway/acme/challenge_responder.h"

#include <cstring>
#include <string>

#include "ringway/acme/challenge_file.h"
#include "ringway/acme/hop_marker.h"
#include "ringway/log/error_log.h"

namespace ringway::acme {

void ChallengeResponder::start(transport::Stream& stream, std::string_view token) {
  base::OutputArea out = transport_.output_area(stream);
  const char* path = write_challenge_path(out.data, out.capacity, token);
  ring_->prep_open_beneath(operation(io::OperationKind::file_open, stream), webroot_fd_, path,
                           &challenge_open_how());
  stream.await_file();
  stream.file_busy = true;
  stream.pause();
}

void ChallengeResponder::on_file_open(transport::Stream& stream, const io::Completion& completion) {
  stream.file_busy = false;
  FileVerdict verdict = verdict_for_open(completion.outcome());
  if (verdict != FileVerdict::serve) {
    if (stream.closing()) {
      transport_.release_if_done(stream);
      return;
    }
    if (verdict == FileVerdict::ask_peer && ask_peer(stream)) return;
    if (verdict != FileVerdict::ask_peer) log_error(stream, completion.error_text());
    finish(stream, verdict_status(verdict), {});
    return;
  }
  ChallengeFile& challenge = host_.challenge_of(stream);
  challenge.fd = completion.result;
  stream.file_busy = true;
  ring_->prep_read(operation(io::OperationKind::file_read, stream), challenge.fd,
                   challenge_file_area(stream.output, transport_.output_pool().chunk_bytes()),
                   challenge_file_bytes_max + 1, 0);
}

void ChallengeResponder::on_file_read(transport::Stream& stream, const io::Completion& completion) {
  ChallengeFile& challenge = host_.challenge_of(stream);
  ring_->prep_close(operation(io::OperationKind::file_close, stream), challenge.fd);
  challenge.fd = -1;
  if (stream.closing()) return;
  FileVerdict verdict = verdict_for_read(completion.outcome(), completion.value());
  if (verdict == FileVerdict::too_large) {
    std::string reason = "larger than " + std::to_string(challenge_file_bytes_max) + " bytes";
    log_error(stream, reason.c_str());
  } else if (verdict != FileVerdict::serve) {
    log_error(stream, completion.error_text());
  }
  std::string_view body;
  if (verdict == FileVerdict::serve) {
    body = {challenge_file_area(stream.output, transport_.output_pool().chunk_bytes()),
            completion.value()};
  }
  finish(stream, verdict_status(verdict), body);
}

void ChallengeResponder::on_file_close(transport::Stream& stream) {
  stream.file_busy = false;
  if (stream.closing()) transport_.release_if_done(stream);
}

void ChallengeResponder::log_error(transport::Stream& stream, const char* reason) {
  const http::PendingRequest& request = host_.challenge_of(stream).request;
  log::write_line(log::Level::error, "challenge file %.*s: %s",
                  static_cast<int>(request.target.size()), request.target.data(), reason);
}

// The validator may reach either host of a round-robin pair: a token this host
// does not have is asked for at the peer. The request carries the hop marker, and
// one that already carries it is answered 404 here, so two hosts that both miss
// answer in one hop instead of bouncing it between them.
bool ChallengeResponder::ask_peer(transport::Stream& stream) {
  if (!host_.has_acme_peer()) return false;
  std::uint32_t head_bytes = host_.challenge_of(stream).request.head_bytes;
  std::string_view request{stream.input, head_bytes};
  if (http::parse_request_head(request, head_, parser_limits_).status !=
          http::ParseStatus::complete ||
      carries_hop_marker(head_)) {
    return false;
  }
  stream.resume();                                   // the peer answers instead of the file
  host_.proxy_to_acme_peer(stream, head_, request);  // copies the head it needs
  // The request leaves the input; what a pipelining client sent after it waits for the answer.
  std::uint32_t rest = stream.input_bytes - head_bytes;
  std::memmove(stream.input, stream.input + head_bytes, rest);
  stream.input_bytes = rest;
  stream.pause();
  transport_.flush(stream);  // a 502 when the peer cannot be reached at all
  return true;
}

void ChallengeResponder::finish(transport::Stream& stream, int status, std::string_view body) {
  http::PendingRequest request = host_.challenge_of(stream).request;
  stream.file_answered();
  if (!host_.answer_challenge(stream, request, status, body)) return;
  // The challenge request leaves the input; what a pipelining client sent after it stays.
  std::uint32_t rest = stream.input_bytes - request.head_bytes;
  std::memmove(stream.input, stream.input + request.head_bytes, rest);
  stream.input_bytes = rest;
  transport_.resume_input(stream);
}

}  // namespace ringway::acme
