// What the ACME challenge responder (acme::ChallengeResponder) asks of the
// worker: the answer written as the worker's own response, and the request
// proxied to the ACME peer when this host has no such token.
#include "ringway/app/worker.h"

namespace ringway::app {

bool Worker::answer_challenge(transport::Stream& stream, const PendingRequest& request, int status,
                              std::string_view body) {
  LocalResponse response;
  response.kind = status == 200 ? LocalResponse::Kind::file : LocalResponse::Kind::status;
  response.status = status;
  response.keep_alive = request.keep_alive;
  response.file_body = body;
  return respond(connection_of(stream), request, response, WhenFull::close);
}

void Worker::proxy_to_acme_peer(transport::Stream& stream, const http::RequestHead& head,
                                std::string_view request) {
  proxy_.start(connection_of(stream), head, request, proxy_.acme_peer_route());
}

}  // namespace ringway::app
