// The one way the worker answers a request itself (a redirect, a status page, a
// challenge file, a proxy error): write it, queue it, log it, and say whether
// the connection closes after it.
#include "ringway/app/worker.h"
#include "ringway/http/response_writer.h"

namespace ringway::app {

namespace {

bool write_response(http::OutputArea& out, const http::ResponseOptions& options,
                    const LocalResponse& response, std::uint16_t redirect_port) {
  switch (response.kind) {
    case LocalResponse::Kind::redirect:
      return http::write_redirect(out, options, response.redirect_host, redirect_port,
                                  response.redirect_target);
    case LocalResponse::Kind::file:
      return http::write_plain_ok(out, options, response.file_body);
    case LocalResponse::Kind::status:
      break;
  }
  return http::write_status(out, options, response.status);
}

std::uint64_t body_bytes_of(const LocalResponse& response, bool head_only) {
  if (head_only) return 0;
  switch (response.kind) {
    case LocalResponse::Kind::redirect:
      return http::redirect_body_bytes();
    case LocalResponse::Kind::file:
      return response.file_body.size();
    case LocalResponse::Kind::status:
      break;
  }
  return http::status_body_bytes(response.status);
}

}  // namespace

bool Worker::respond(Connection& connection, const PendingRequest& request,
                     const LocalResponse& response, WhenFull when_full) {
  http::OutputArea out = transport_.output_area(connection);
  http::ResponseOptions options{
      {date_, sizeof date_}, response.keep_alive, request.head_only, response.extra_headers};
  if (!write_response(out, options, response, config_of(connection).http.redirect_port)) {
    // Earlier responses fill the output: answer again once they are out, or give up.
    if (when_full == WhenFull::wait && connection.output_bytes > 0) {
      connection.pause();
    } else {
      connection.resume();
      transport_.close(connection);
    }
    return false;
  }
  connection.output_bytes = static_cast<std::uint32_t>(out.size);
  if (connection.sending)
    transport_.expect_send_completion(connection);  // this response waits for it
  int logged_status = response.kind == LocalResponse::Kind::redirect ? 301 : response.status;
  log_access(connection, request, logged_status, body_bytes_of(response, request.head_only));
  if (!response.keep_alive) connection.finish_after_send();
  return true;
}

void Worker::answer_status(proxy::RelayStream& client, const PendingRequest& request, int status) {
  LocalResponse response;
  response.status = status;
  response.keep_alive = false;
  respond(static_cast<Connection&>(client), request, response, WhenFull::close);
}

}  // namespace ringway::app
