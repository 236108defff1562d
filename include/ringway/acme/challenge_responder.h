#pragma once
// The HTTP-01 responder: a challenge token's file is opened beneath the webroot,
// read and closed through the ring, never with a blocking call on the worker;
// a token this host does not have is asked for at the ACME peer.

#include <cstdint>
#include <string_view>

#include "ringway/acme/challenge_file.h"
#include "ringway/http/pending_request.h"
#include "ringway/http/request_head.h"
#include "ringway/http/request_parser.h"
#include "ringway/io/completion.h"
#include "ringway/io/ring.h"
#include "ringway/transport/stream.h"
#include "ringway/transport/transport.h"

namespace ringway::acme {

// What the responder asks of the worker: the state, the response, the peer.
class ChallengeHost {
 public:
  virtual ~ChallengeHost() = default;
  virtual ChallengeFile& challenge_of(transport::Stream& stream) = 0;
  // Queues the answer (200 with the file's bytes, or a status page); false
  // when the stream was closed instead.
  virtual bool answer_challenge(transport::Stream& stream, const http::PendingRequest& request,
                                int status, std::string_view body) = 0;
  // Whether an ACME peer is configured, and proxying the request to it.
  virtual bool has_acme_peer() const = 0;
  virtual void proxy_to_acme_peer(transport::Stream& stream, const http::RequestHead& head,
                                  std::string_view request) = 0;
};

class ChallengeResponder {
 public:
  ChallengeResponder(ChallengeHost& host, transport::Transport& transport, int webroot_fd,
                     http::ParserLimits parser_limits)
      : host_(host),
        transport_(transport),
        webroot_fd_(webroot_fd),
        parser_limits_(parser_limits) {}
  ChallengeResponder(const ChallengeResponder&) = delete;
  ChallengeResponder& operator=(const ChallengeResponder&) = delete;

  void attach(io::Ring& ring) { ring_ = &ring; }
  // The stream's challenge request is set: its input waits until the file is answered.
  void start(transport::Stream& stream, std::string_view token);
  void on_file_open(transport::Stream& stream, const io::Completion& completion);
  void on_file_read(transport::Stream& stream, const io::Completion& completion);
  void on_file_close(transport::Stream& stream);

 private:
  bool ask_peer(transport::Stream& stream);
  void log_error(transport::Stream& stream, const char* reason);
  void finish(transport::Stream& stream, int status, std::string_view body);
  static io::Operation operation(io::OperationKind kind, const transport::Stream& stream) {
    return {kind, stream.slot, stream.generation};
  }

  ChallengeHost& host_;
  transport::Transport& transport_;
  int webroot_fd_;  // shared, read-only: an O_PATH directory
  http::ParserLimits parser_limits_;
  io::Ring* ring_ = nullptr;
  http::RequestHead head_;  // scratch for the parser
};

}  // namespace ringway::acme
